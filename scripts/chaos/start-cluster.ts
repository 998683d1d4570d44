import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Address, Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { hardhatKey } from '../../cli/devnet/accounts';
import { fundAccounts } from '../../cli/devnet/fund';
import { type NodeProcess, spawnNode } from '../../cli/devnet/spawn-node';
import { startChain } from '../../cli/devnet/start-chain';
import { runDeploy } from '../../cli/run-deploy';
import { connectChain } from '../../protocol/chain/connect';
import type { Deployment } from '../../protocol/chain/deployment';
import { type FaultProxy, type ProxyFaultRates, startFaultProxy } from './fault-proxy';

/** One peer of the cluster: its process (replaced on restart), its key and, maybe, its proxy. */
export interface ClusterPeer {
  index: number;
  key: Hex;
  address: Address;
  port: number;
  dataDir: string;
  logFile: string;
  /** The URL the peer announces on chain: its proxy's when it has one. */
  endpoint: string;
  proxy?: FaultProxy;
  process: NodeProcess;
}

/** A local chain, the deployment and the peer nodes of a chaos run. */
export interface Cluster {
  rpcUrl: string;
  deploymentFile: string;
  deployment: Deployment;
  chain: ChildProcess;
  peers: ClusterPeer[];
  /** Keys of the funded user accounts (Hardhat accounts after the operators'). */
  userKeys: Hex[];
  /** Starts peer `index` again (same key, port, data dir and endpoint) and waits until it is ready. */
  restart(index: number): Promise<void>;
  /** Stops everything started here: proxies, nodes (SIGCONT first, then SIGTERM, then SIGKILL), the chain. */
  stop(): Promise<void>;
}

/** Each operator stakes 8,000 of its 10,000 tokens (room for several hundred slots' collateral). */
const OPERATOR_STAKE_TOKENS = '8000';

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));

/**
 * Starts a chaos cluster: a `hardhat node` child on `chainPort`, the contracts (short heartbeat
 * timeout and lapse delay, so that a killed peer's slots can be freed and repaired within the run),
 * `nodes` funded peers (`dhost node` processes on firstNodePort + i, data under `work`), the first
 * `proxied` of them behind a fault proxy on firstProxyPort + i and announcing the proxy's URL on
 * chain, so every client request to them crosses it. `users` accounts (the Hardhat accounts after
 * the operators', which are 1..nodes) get reward tokens for deals.
 *
 * @example
 * const cluster = await startCluster({ random, log }, { root, work, nodes: 12, proxied: 3, chainPort: 8745, firstNodePort: 7601, firstProxyPort: 7701, users: 5, … });
 */
export async function startCluster(
  deps: { random: () => number; log: (line: string) => void },
  params: {
    root: string;
    work: string;
    nodes: number;
    proxied: number;
    chainPort: number;
    firstNodePort: number;
    firstProxyPort: number;
    users: number;
    heartbeatTimeout: number;
    lapseFreeSeconds: number;
    epochLength: number;
    proxyRates: ProxyFaultRates;
  },
): Promise<Cluster> {
  const { root, work } = params;
  const peers: ClusterPeer[] = [];
  const proxies: FaultProxy[] = [];
  // Blocks may share a timestamp there, so the chain's clock follows the wall clock (see the config file).
  const chain = await startChain({
    root,
    host: '127.0.0.1',
    port: params.chainPort,
    logFile: path.join(work, 'chain.log'),
    extraArgs: ['--config', path.join(root, 'scripts', 'chaos', 'chain.hardhat.config.js')],
  });
  let stopping: Promise<void> | undefined;
  const stopOnce = async () => {
    for (const p of proxies) await p.close();
    for (const p of peers) {
      p.process.child.kill('SIGCONT');
      p.process.child.kill('SIGTERM');
    }
    const deadline = new Promise((r) => setTimeout(r, 10_000));
    await Promise.race([Promise.all(peers.map((p) => exited(p.process.child))), deadline]);
    for (const p of peers) p.process.child.kill('SIGKILL');
    chain.child.kill('SIGTERM');
    await Promise.race([exited(chain.child), new Promise((r) => setTimeout(r, 5_000))]);
    chain.child.kill('SIGKILL');
  };
  const stop = () => {
    stopping ??= stopOnce();
    return stopping;
  };
  try {
    const deploymentFile = path.join(work, 'deployment.json');
    deps.log(`chain on ${chain.rpcUrl}; deploying`);
    const deployment = await runDeploy({
      root,
      rpcUrl: chain.rpcUrl,
      privateKey: hardhatKey(0),
      deploymentFile,
      parameters: {
        heartbeatTimeout: params.heartbeatTimeout,
        lapseFreeSeconds: params.lapseFreeSeconds,
        epochLength: params.epochLength,
        evictionDelay: 600,
        unbondingDelay: 60,
      },
      log: () => {},
    });
    const { publicClient, chain: viemChain } = await connectChain({ rpcUrl: chain.rpcUrl });
    const operatorKeys = Array.from({ length: params.nodes }, (_, i) => hardhatKey(i + 1));
    const userKeys = Array.from({ length: params.users }, (_, i) => hardhatKey(params.nodes + 1 + i));
    await fundAccounts({ publicClient, chain: viemChain }, { token: deployment.contracts.RewardToken, recipients: operatorKeys, tokens: 10_000n * 10n ** 18n });
    await fundAccounts({ publicClient, chain: viemChain }, { token: deployment.contracts.RewardToken, recipients: userKeys, tokens: 1_000_000n * 10n ** 18n });
    const launch = (peer: Omit<ClusterPeer, 'process'>) =>
      spawnNode({
        root,
        port: peer.port,
        dataDir: peer.dataDir,
        logFile: peer.logFile,
        capacity: '64GiB',
        // Each slot locks collateral out of the stake: 200 files × 6 columns over twelve peers (plus
        // repairs) need far more than the registry's minimum stake, which would run out (fills
        // revert with InsufficientUnlockedStake) after about 100 slots per peer.
        extraArgs: ['--endpoint', peer.endpoint, '--stake', OPERATOR_STAKE_TOKENS],
        env: { DHOST_PRIVATE_KEY: peer.key, DHOST_RPC_URL: chain.rpcUrl, DHOST_DEPLOYMENT: deploymentFile },
      });
    const bases: Omit<ClusterPeer, 'process'>[] = [];
    for (let i = 0; i < params.nodes; i++) {
      const port = params.firstNodePort + i;
      const proxy =
        i < params.proxied
          ? await startFaultProxy({ random: deps.random }, { port: params.firstProxyPort + i, targetPort: port, rates: params.proxyRates })
          : undefined;
      if (proxy) proxies.push(proxy);
      bases.push({
        index: i,
        key: operatorKeys[i],
        address: privateKeyToAccount(operatorKeys[i]).address,
        port,
        dataDir: path.join(work, `node-${i}`),
        logFile: path.join(work, `node-${i}.log`),
        endpoint: proxy?.url ?? `http://127.0.0.1:${port}`,
        proxy,
      });
    }
    // A few at a time: each registers with its own key, and two cores are shared.
    for (let i = 0; i < bases.length; i += 4) {
      const batch = bases.slice(i, i + 4);
      const started = await Promise.allSettled(batch.map((b) => launch(b)));
      started.forEach((s, j) => {
        if (s.status === 'fulfilled') peers.push({ ...batch[j], process: s.value });
      });
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      for (const b of batch) deps.log(`node ${b.index} ready on port ${b.port}${b.proxy ? ` behind proxy ${b.proxy.url}` : ''}`);
    }
    return {
      rpcUrl: chain.rpcUrl,
      deploymentFile,
      deployment,
      chain: chain.child,
      peers,
      userKeys,
      restart: async (index) => {
        const peer = peers[index];
        await exited(peer.process.child);
        peer.process = await launch(peer);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
