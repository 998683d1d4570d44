import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { privateKeyToAccount } from 'viem/accounts';
import { openKeystore } from '../../client';
import { connectChain } from '../../protocol/chain/connect';
import { readActivePeers } from '../../protocol/chain/peers';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { hardhatKey } from '../devnet/accounts';
import { fundAccounts } from '../devnet/fund';
import { type NodeProcess, spawnNode } from '../devnet/spawn-node';
import { startChain } from '../devnet/start-chain';
import { UsageError } from '../errors';
import type { CommandIo } from '../main';
import { runDeploy } from '../run-deploy';
import { resolveSettings } from '../settings';
import { formatBytes } from '../sizes';
import { accountKey } from '../user-context';
import { startUserDaemon } from './ui';

/** Devnet tunables: short delays so that a dead peer drops out within a minute. */
const DEVNET = {
  peers: 8,
  firstPort: 7001,
  capacity: '10GiB',
  /** Peers heartbeat every 20 s; a peer silent for 60 s is inactive. */
  heartbeatTimeout: 60,
  evictionDelay: 300,
  unbondingDelay: 60,
  /** 20-second epochs and a 30 % challenge rate: proofs, rewards and slashes within minutes. */
  epochLength: 20,
  challengeProbabilityPpm: 300_000,
  /** Reward tokens given to each operator (stake) and to the user. */
  operatorTokens: 10_000n * 10n ** 18n,
} as const;

/**
 * `dhost devnet [--peers N] [--port 8545] [--node-port 7001] [--ui-port P] [--state DIR]`: a local Hardhat JSON-RPC node, the deployment, N funded
 * peer nodes as separate processes with their own data folders, a table of the peers once all are
 * registered, the user dashboard (`dhost ui`, on 127.0.0.1; its URL with the session token is printed),
 * and a ready-to-paste upload command. Ctrl-C stops all of it.
 *
 * @example
 * npm start   # runs `dhost devnet`
 */
export async function devnetCommand(io: CommandIo, args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...COMMON_OPTIONS,
    peers: { type: 'string' },
    port: { type: 'string' },
    'node-port': { type: 'string' },
    state: { type: 'string' },
    'ui-port': { type: 'string', default: '0' },
  });
  const peerCount = values.peers === undefined ? DEVNET.peers : Number(values.peers);
  if (!Number.isInteger(peerCount) || peerCount < 1 || peerCount > 16) throw new UsageError('--peers must be 1 to 16');
  const chainPort = values.port === undefined ? 8545 : Number(values.port);
  const firstNodePort = values['node-port'] === undefined ? DEVNET.firstPort : Number(values['node-port']);
  for (const [name, port] of [
    ['--port', chainPort],
    ['--node-port', firstNodePort],
  ] as const) {
    if (!Number.isInteger(port) || port < 1 || port + peerCount > 65535) throw new UsageError(`${name} must be a port number`);
  }
  const settings = resolveSettings(values, io.env);
  const stateDir = path.resolve(values.state ?? path.join(settings.root, '.dhost', 'devnet'));
  fs.rmSync(stateDir, { recursive: true, force: true });
  fs.mkdirSync(stateDir, { recursive: true });
  const say = (line: string) => io.stderr.write(`${line}\n`);
  const children: { kill: (s: NodeJS.Signals) => void; exited: Promise<void> }[] = [];
  let dashboard: Awaited<ReturnType<typeof startUserDaemon>> | undefined;
  const track = (child: import('node:child_process').ChildProcess) => {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    children.push({ kill: (s) => child.kill(s), exited });
  };
  try {
    say(`devnet: starting the chain on 127.0.0.1:${chainPort} (log: ${path.join(stateDir, 'chain.log')})`);
    const chainProc = await startChain({
      root: settings.root,
      host: '127.0.0.1',
      port: chainPort,
      logFile: path.join(stateDir, 'chain.log'),
      signal: io.signal,
    });
    track(chainProc.child);
    const rpcUrl = chainProc.rpcUrl;
    const deploymentFile = settings.deploymentFile ?? path.join(settings.root, 'deployments', '31337.json');
    say('devnet: deploying RewardToken and PeerRegistry with Hardhat Ignition');
    const deployment = await runDeploy({
      root: settings.root,
      rpcUrl,
      privateKey: hardhatKey(0),
      deploymentFile,
      parameters: {
        heartbeatTimeout: DEVNET.heartbeatTimeout,
        evictionDelay: DEVNET.evictionDelay,
        unbondingDelay: DEVNET.unbondingDelay,
        epochLength: DEVNET.epochLength,
        challengeProbabilityPpm: DEVNET.challengeProbabilityPpm,
      },
      log: () => {},
      signal: io.signal,
    });
    const { publicClient, chain } = await connectChain({ rpcUrl });
    const operatorKeys = Array.from({ length: peerCount }, (_, i) => hardhatKey(i + 1));
    const keystore = openKeystore({ home: settings.home });
    const userKey = settings.privateKey ?? (await accountKey(keystore, { onNewKey: (file) => say(`devnet: created your account key in ${file}`) }));
    const user = privateKeyToAccount(userKey).address;
    say(`devnet: funding ${peerCount} operators and your account ${user}`);
    await fundAccounts(
      { publicClient, chain },
      {
        funderKey: hardhatKey(0),
        token: deployment.contracts.RewardToken,
        recipients: operatorKeys.map((k) => privateKeyToAccount(k).address),
        tokens: DEVNET.operatorTokens,
      },
    );
    await fundAccounts(
      { publicClient, chain },
      { funderKey: hardhatKey(0), token: deployment.contracts.RewardToken, recipients: [user], tokens: DEVNET.operatorTokens, eth: '100' },
    );
    say(`devnet: starting ${peerCount} peer nodes`);
    const nodes: (NodeProcess & { apiKey: string })[] = [];
    // Start peers one after the other: each registers with its own key, and two cores are shared.
    for (let i = 0; i < peerCount; i++) {
      const apiKey = randomBytes(16).toString('hex');
      const node = await spawnNode({
        root: settings.root,
        port: firstNodePort + i,
        dataDir: path.join(stateDir, `node-${i + 1}`),
        logFile: path.join(stateDir, `node-${i + 1}.log`),
        capacity: DEVNET.capacity,
        env: { DHOST_PRIVATE_KEY: operatorKeys[i], DHOST_RPC_URL: rpcUrl, DHOST_DEPLOYMENT: deploymentFile, DHOST_API_KEY: apiKey },
      });
      track(node.child);
      node.child.once('exit', (code, sig) => say(`devnet: node ${i + 1} (${node.url}) exited (${sig ?? code})`));
      nodes.push({ ...node, apiKey });
    }
    const active = await readActivePeers({ publicClient }, { registry: deployment.contracts.PeerRegistry });
    fs.writeFileSync(
      path.join(stateDir, 'devnet.json'),
      `${JSON.stringify({ rpcUrl, deploymentFile, user, nodes: nodes.map((n) => ({ url: n.url, address: n.address, apiKey: n.apiKey, dataDir: n.dataDir, log: n.logFile })) }, null, 2)}\n`,
    );
    io.stdout.write(`\ndhost devnet is up on chain ${deployment.chainId} — RPC ${rpcUrl}\n\n`);
    io.stdout.write(`  #  ${'operator'.padEnd(42)}  ${'endpoint'.padEnd(22)}  ${'capacity'.padStart(9)}  stake\n`);
    nodes.forEach((n, i) => {
      const p = active.find((a) => a.operator.toLowerCase() === n.address.toLowerCase());
      io.stdout.write(
        `  ${String(i + 1).padStart(1)}  ${n.address.padEnd(42)}  ${n.url.padEnd(22)}  ${formatBytes(Number(p?.capacity ?? 0n)).padStart(9)}  ${p ? `${p.stake / 10n ** 18n} DHOST` : 'NOT ACTIVE'}\n`,
      );
    });
    io.stdout.write(`\n  ${active.length} of ${peerCount} peers active. Operator API keys and logs: ${path.join(stateDir, 'devnet.json')}\n`);
    // The user dashboard (dhost ui) for the devnet's user account, on 127.0.0.1 only.
    dashboard = await startUserDaemon({ ...settings, rpcUrl, deploymentFile }, io, { port: Number(values['ui-port']) || 0 });
    io.stdout.write(`\n  Your dashboard: ${dashboard.url}\n`);
    io.stdout.write(`  Node 1's operator dashboard: ${nodes[0]?.url}/dashboard/ (API key ${nodes[0]?.apiKey}; the others' keys are in devnet.json)\n`);
    io.stdout.write('\n  In a second shell:\n');
    io.stdout.write('    npx dhost upload README.md\n');
    io.stdout.write('    npx dhost download <handle printed by upload> -o copy.md\n');
    io.stdout.write('    npx dhost peers\n\n  Ctrl-C stops the devnet.\n');
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    say('devnet: stopping');
    return 0;
  } finally {
    await dashboard?.stop();
    for (const c of children.slice().reverse()) c.kill('SIGTERM');
    await Promise.race([Promise.all(children.map((c) => c.exited)), new Promise((r) => setTimeout(r, 10_000))]);
    for (const c of children) c.kill('SIGKILL');
  }
}
