import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { fundAccounts } from '../../cli/devnet/fund';
import { NODE_SERVER_FLAGS, RUNTIME_ENV, RUNTIME_NODE_FLAGS } from '../../cli/runtime-tuning';
import { connectChain } from '../../protocol/chain/connect';
import type { Deployment } from '../../protocol/chain/deployment';
import { type DhostParameters, deployDhost } from '../hardhat/deploy-dhost';
import { hardhatKey, startRpcServer } from './chain';

/** A `dhost node` process of a process network, behind a byte-counting TCP proxy (its endpoint on chain). */
export interface ProcessPeer {
  index: number;
  key: Hex;
  address: Hex;
  dataDir: string;
  logFile: string;
  /** Where the node listens. */
  port: number;
  /** The endpoint announced on chain: the proxy in front of the node. */
  endpoint: string;
  /** Bytes clients sent to this node (request line, headers and bodies), since the network started. */
  bytesIn: number;
  child: ChildProcess | undefined;
}

/** Real `dhost node` processes on the in-process Hardhat chain (served over HTTP), for crash tests. */
export interface ProcessNetwork {
  rpcUrl: string;
  chainId: number;
  deployment: Deployment;
  deploymentFile: string;
  peers: ProcessPeer[];
  /** Environment for `dhost` commands against this network (RPC, deployment; add DHOST_HOME and a key). */
  env: NodeJS.ProcessEnv;
  /** Starts (or starts again, same data folder and port) the node process of a peer; resolves once it is ready. */
  start(index: number): Promise<void>;
  /** `kill -9` of a peer's node process; resolves once it has exited. */
  kill(index: number): Promise<void>;
  /** Kills every node process, closes the proxies and the RPC server, removes the data folders. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A TCP proxy on an ephemeral port to `port`, counting the bytes clients send. */
async function countingProxy(port: number, onBytes: (n: number) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d: Buffer) => onBytes(d.length));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Deploys the contracts on the in-process Hardhat chain, serves it over HTTP JSON-RPC, funds `peers`
 * operators (Hardhat accounts `firstAccount`…) and starts one `dhost node` process each (the built
 * CLI in dist/, as the devnet starts them), each behind a TCP proxy that counts what clients send
 * it and whose URL is the endpoint the node announces on chain.
 *
 * @example
 * const pn = await startProcessNetwork(hre, { peers: 6 });
 * await pn.kill(0); await pn.start(0);
 * await pn.close();
 */
export async function startProcessNetwork(
  hre: HardhatRuntimeEnvironment,
  params: { peers: number; firstAccount?: number; deployParams?: DhostParameters },
): Promise<ProcessNetwork> {
  const root = path.join(__dirname, '..', '..');
  const rpc = await startRpcServer(hre);
  const { deployment } = await deployDhost(hre, params.deployParams);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-procnet-'));
  const deploymentFile = path.join(work, 'deployment.json');
  fs.writeFileSync(deploymentFile, JSON.stringify(deployment));
  const { publicClient, chain } = await connectChain({ rpcUrl: rpc.rpcUrl });
  const first = params.firstAccount ?? 1;
  const keys = Array.from({ length: params.peers }, (_, i) => hardhatKey(first + i));
  await fundAccounts({ publicClient, chain }, { token: deployment.contracts.RewardToken, recipients: keys, tokens: 10_000n * 10n ** 18n });
  const env: NodeJS.ProcessEnv = { ...process.env, DHOST_RPC_URL: rpc.rpcUrl, DHOST_DEPLOYMENT: deploymentFile };
  delete env.DHOST_PRIVATE_KEY;
  delete env.DHOST_HOME;
  const proxies: { close: () => Promise<void> }[] = [];
  const peers: ProcessPeer[] = [];
  for (let i = 0; i < params.peers; i++) {
    const port = await freePort();
    const peer: ProcessPeer = {
      index: i,
      key: keys[i],
      address: privateKeyToAccount(keys[i]).address,
      dataDir: path.join(work, `node-${i}`),
      logFile: path.join(work, `node-${i}.log`),
      port,
      endpoint: '',
      bytesIn: 0,
      child: undefined,
    };
    const proxy = await countingProxy(port, (n) => {
      peer.bytesIn += n;
    });
    proxies.push(proxy);
    peer.endpoint = `http://127.0.0.1:${proxy.port}`;
    peers.push(peer);
  }

  const start = async (index: number) => {
    const p = peers[index];
    if (p.child && p.child.exitCode === null && p.child.signalCode === null) return;
    fs.mkdirSync(p.dataDir, { recursive: true });
    const log = fs.openSync(p.logFile, 'a');
    const child = spawn(
      process.execPath,
      [
        ...RUNTIME_NODE_FLAGS,
        ...NODE_SERVER_FLAGS,
        path.join(root, 'cli', 'bin', 'dhost.js'),
        'node',
        '--port',
        String(p.port),
        '--data',
        p.dataDir,
        '--capacity',
        '1GiB',
        '--endpoint',
        p.endpoint,
      ],
      { cwd: root, env: { ...env, ...RUNTIME_ENV, DHOST_PRIVATE_KEY: p.key }, stdio: ['ignore', 'pipe', log] },
    );
    fs.closeSync(log);
    p.child = child;
    await new Promise<void>((resolve, reject) => {
      const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
      const timer = setTimeout(() => reject(new Error(`node ${index} was not ready in time; see ${p.logFile}`)), 120_000);
      lines.on('line', (line) => {
        fs.appendFileSync(p.logFile, `${line}\n`);
        if (/"ready":\s*true/.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`node ${index} exited (${code}) before it was ready; see ${p.logFile}:\n${fs.readFileSync(p.logFile, 'utf8').slice(-2000)}`));
      });
    });
  };
  const kill = async (index: number) => {
    const child = peers[index].child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  for (let i = 0; i < params.peers; i++) await start(i);
  return {
    rpcUrl: rpc.rpcUrl,
    chainId: chain.id,
    deployment,
    deploymentFile,
    peers,
    env,
    start,
    kill,
    async close() {
      for (let i = 0; i < peers.length; i++) await kill(i);
      for (const p of proxies) await p.close();
      await rpc.close();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}
