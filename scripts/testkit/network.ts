import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import { type Chain, createWalletClient, type Hex, http, type Transport } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { fundAccounts } from '../../cli/devnet/fund';
import { type NodeOptions, type RunningNode, startNode } from '../../node';
import { connectChain } from '../../protocol/chain/connect';
import type { Deployment } from '../../protocol/chain/deployment';
import { type DhostParameters, deployDhost } from '../hardhat/deploy-dhost';
import { hardhatKey, startRpcServer } from './chain';

/** A peer of the test network: the running node (or `undefined` while stopped) and what restarts it. */
export interface TestPeer {
  index: number;
  key: Hex;
  address: Hex;
  dataDir: string;
  options: NodeOptions;
  node: RunningNode | undefined;
}

/** A whole dhost network for integration tests: real chain over HTTP JSON-RPC, real node servers. */
export interface TestNetwork {
  rpcUrl: string;
  chainId: number;
  deployment: Deployment;
  deploymentFile: string;
  peers: TestPeer[];
  /** Stops a peer's server (its chain registration stays: it looks alive until its heartbeat lapses). */
  stopPeer(index: number): Promise<void>;
  /** Starts a stopped peer again on the same port and data folder. */
  restartPeer(index: number): Promise<void>;
  /** Stops every node and the RPC server and removes the data folders. */
  close(): Promise<void>;
  /** A user account (a Hardhat development account, so it has ETH for gas) given reward tokens to pay for deals. */
  user(index?: number): Promise<{ key: Hex; account: ReturnType<typeof privateKeyToAccount> }>;
  /** What a deal-aware upload needs for `account` on this network. */
  marketplaceFor(account: ReturnType<typeof privateKeyToAccount>): {
    publicClient: Awaited<ReturnType<typeof connectChain>>['publicClient'];
    walletClient: ReturnType<typeof createWalletClient<Transport, Chain, ReturnType<typeof privateKeyToAccount>>>;
    market: Hex;
    token: Hex;
    registry: Hex;
  };
}

/**
 * Starts a test network: deploys the contracts on the in-process Hardhat chain, serves it over HTTP
 * JSON-RPC on an ephemeral port, funds `peers` operators (Hardhat accounts 1..n) and starts one
 * real node server per operator on an ephemeral port with its own temporary data folder.
 * `deployParams` go to `deployDhost` (e.g. short epochs and every slot challenged for slashing tests).
 *
 * @example
 * const net = await startTestNetwork(hre, { peers: 4, deployParams: { challengeProbabilityPpm: 1_000_000n } });
 * // … upload and download against net.rpcUrl / net.deployment …
 * await net.close();
 */
export async function startTestNetwork(
  hre: HardhatRuntimeEnvironment,
  params: {
    peers: number;
    capacityBytes?: number;
    maxShardBytes?: number;
    firstAccount?: number;
    /** Deployment parameters (short epochs, every slot challenged …); the rest take `DHOST_DEFAULTS`. */
    deployParams?: DhostParameters;
    /** Called with each peer's log lines (node index first); default: discarded. */
    log?: (index: number, line: string) => void;
    /** Operator API key given to every node (`Authorization: Bearer` on the operator routes); default none. */
    apiKey?: string;
  },
): Promise<TestNetwork> {
  const rpc = await startRpcServer(hre);
  const { deployment } = await deployDhost(hre, params.deployParams);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-net-'));
  const deploymentFile = path.join(work, 'deployment.json');
  fs.writeFileSync(deploymentFile, JSON.stringify(deployment));
  const { publicClient, chain } = await connectChain({ rpcUrl: rpc.rpcUrl });
  const first = params.firstAccount ?? 1;
  const keys = Array.from({ length: params.peers }, (_, i) => hardhatKey(first + i));
  await fundAccounts({ publicClient, chain }, { token: deployment.contracts.RewardToken, recipients: keys, tokens: 10_000n * 10n ** 18n });
  const peers: TestPeer[] = [];
  for (let i = 0; i < params.peers; i++) {
    const dataDir = path.join(work, `node-${i}`);
    const options: NodeOptions = {
      dataDir,
      port: 0,
      capacityBytes: params.capacityBytes ?? 1024 ** 3,
      maxShardBytes: params.maxShardBytes,
      privateKey: keys[i],
      rpcUrl: rpc.rpcUrl,
      deployment,
      // Scan for committed roots often: tests wait for fills after every upload.
      marketIntervalMs: 100,
      apiKey: params.apiKey,
      log: (line) => params.log?.(i, line),
    };
    const node = await startNode(options);
    // Restart on the same port so the endpoint on chain stays right.
    options.port = node.port;
    peers.push({ index: i, key: keys[i], address: privateKeyToAccount(keys[i]).address, dataDir, options, node });
  }
  const net: TestNetwork = {
    rpcUrl: rpc.rpcUrl,
    chainId: chain.id,
    deployment,
    deploymentFile,
    peers,
    async stopPeer(index) {
      const p = peers[index];
      await p.node?.stop();
      p.node = undefined;
    },
    async restartPeer(index) {
      const p = peers[index];
      if (!p.node) p.node = await startNode(p.options);
    },
    async user(index = 19) {
      const key = hardhatKey(index);
      const account = privateKeyToAccount(key);
      await fundAccounts(
        { publicClient, chain },
        { funderKey: hardhatKey(0), token: deployment.contracts.RewardToken, recipients: [account.address], tokens: 1_000_000n * 10n ** 18n },
      );
      return { key, account };
    },
    marketplaceFor(account) {
      const market = deployment.contracts.Marketplace;
      return {
        publicClient,
        walletClient: createWalletClient({ account, chain, transport: http(rpc.rpcUrl) }),
        market,
        token: deployment.contracts.RewardToken,
        registry: deployment.contracts.PeerRegistry,
      };
    },
    async close() {
      for (const p of peers) await p.node?.stop();
      await rpc.close();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
  return net;
}
