import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import type { Deployment } from '../protocol/chain/deployment';
import { peerRegistryAbi } from '../protocol/chain/generated/abis';
import { marketAbi } from '../protocol/chain/market';
import { uiDir } from '../protocol/package-root';
import { createScavenger, exposedGc, MAJOR_AFTER_GROWTH_BYTES, SCAVENGE_EVERY_BYTES } from '../protocol/scavenger';
import { createNodeApp } from './app';
import { ensureRegistered } from './chain/ensure-registered';
import { startHeartbeats } from './chain/heartbeat';
import { connectNodeChain } from './chain/node-chain';
import { sendHeartbeat } from './chain/send-heartbeat';
import { nodeDefaults } from './config';
import { createNodeChainView } from './dashboard/chain-view';
import { createChainDeals } from './market/chain-deals';
import { createChainHolders } from './market/chain-holders';
import { createColumnTrees } from './market/column-trees';
import { fillCommittedSlots, KEPT_LEVEL } from './market/fill';
import { startMarketLoop } from './market/market-loop';
import { marketplaceAddress } from './market/marketplace-address';
import { createProverMemory, proveRound } from './market/prover';
import { createMissingWatch, watchMissingProofs } from './market/watch-missing';
import { withdrawMarkerCredit } from './market/withdraw-credit';
import { redactUrl } from './status/config-view';
import { countRequests, createRequestCounts } from './status/request-counts';
import { openNodeStore } from './store/open-node-store';
import { startUsageSampler } from './store/usage-history';

/** How to run a peer node. */
export interface NodeOptions {
  /** Where shards and the SQLite index live. */
  dataDir: string;
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Public URL announced on chain; default `http://<host>:<actual port>`. */
  endpoint?: string;
  /** Bytes offered (announced on chain and enforced on writes). */
  capacityBytes: number;
  /** Largest shard accepted; default the protocol's `maxShardBytes`. */
  maxShardBytes?: number;
  /** Operator API key for `/operator/*` and `DELETE /slots/:slotId`; without one only requests signed by the operator key reach them. */
  apiKey?: string;
  /** Where the operator dashboard's built page is; default `dist/ui/node` in the package (`uiDir('node')`). */
  uiDir?: string;
  /** The operator key: signs transactions (stake, heartbeats) and is the node's identity in signed writes. */
  privateKey: `0x${string}`;
  rpcUrl: string;
  deployment: Deployment;
  /** Stake locked when registering; default the registry's `minStake`. */
  stake?: bigint;
  /** Asked price per GiB per epoch (reward-token wei); default 1e15. */
  pricePerGiBEpoch?: bigint;
  /** How often the node scans the chain, fills committed slots and proves; default a quarter epoch, at most 15 s. */
  marketIntervalMs?: number;
  /** Slow-client limits of the HTTP server; each field defaults to `nodeDefaults`. */
  serverTimeouts?: Partial<ServerTimeouts>;
  log?: (line: string) => void;
}

/** How long the HTTP server waits for a slow client before it closes the connection. */
export interface ServerTimeouts {
  /** Until the request headers are complete (Node answers 408 and closes). */
  headersTimeoutMs: number;
  /** Until the whole request, body included, is received; must be ≥ `headersTimeoutMs`. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection. */
  keepAliveTimeoutMs: number;
  /** How often the server checks the first two. */
  connectionsCheckingIntervalMs: number;
}

/** A started node. */
export interface RunningNode {
  /** Base URL the node listens on (not necessarily the announced endpoint). */
  url: string;
  port: number;
  address: `0x${string}`;
  chainId: number;
  /** Stops heartbeats, closes the HTTP server and the database. Idempotent. */
  stop(): Promise<void>;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: ServerType): Promise<number> {
  return new Promise((resolve, reject) => {
    if (server.listening) return resolve((server.address() as AddressInfo).port);
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Wraps a fetch handler to count the handlers still running, so that stopping can wait for them
 * (a handler's promise settles once the request is answered or its upload cleaned up).
 */
function trackInFlight<A extends unknown[]>(fetch: (req: Request, ...rest: A) => Response | Promise<Response>) {
  let running = 0;
  const idle: (() => void)[] = [];
  return {
    fetch: async (req: Request, ...rest: A): Promise<Response> => {
      running++;
      try {
        return await fetch(req, ...rest);
      } finally {
        running--;
        if (running === 0) for (const wake of idle.splice(0)) wake();
      }
    },
    drained: (timeoutMs: number) =>
      new Promise<void>((resolve) => {
        if (running === 0) return resolve();
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        idle.push(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const force = setTimeout(() => 'closeAllConnections' in server && server.closeAllConnections(), 2_000);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  });
}

/**
 * Starts a peer node: checks the RPC serves the deployment's chain (`ChainError('CHAIN_MISMATCH')`
 * otherwise), opens and recovers the data directory, listens, makes sure the registry describes
 * it (registering with a stake, or updating its offer; refusing to start while exiting), and sends
 * heartbeats every third of the registry's `heartbeatTimeout`. Aborting `signal` during start-up
 * undoes what was started and rejects; aborting later stops the node.
 *
 * @example
 * const node = await startNode({ dataDir: './data/n1', port: 0, capacityBytes: 1 << 30, privateKey, rpcUrl, deployment });
 * console.log(`serving at ${node.url}`);
 * await node.stop();
 */
export async function startNode(options: NodeOptions, signal?: AbortSignal): Promise<RunningNode> {
  const log = options.log ?? ((line: string) => console.log(line));
  const host = options.host ?? nodeDefaults.host;
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        log(`error while stopping: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };

  try {
    signal?.throwIfAborted();
    const chain = await connectNodeChain({ rpcUrl: options.rpcUrl, privateKey: options.privateKey, deployment: options.deployment });
    const address = chain.account.address;
    const chainId = options.deployment.chainId;
    const market = marketplaceAddress(options.deployment);

    signal?.throwIfAborted();
    // Shard bodies arrive in socket reads that V8 would let pile up outside its heap: young
    // collections paced by the bytes received, a full one when heap and array buffers grow past a bound.
    const scavenger = createScavenger({ gc: exposedGc() }, { everyBytes: SCAVENGE_EVERY_BYTES, majorAfterGrowthBytes: MAJOR_AFTER_GROWTH_BYTES });
    const nodeStore = await openNodeStore({ dataDir: options.dataDir, scavenger });
    cleanups.push(() => nodeStore.close());
    const { recovery } = nodeStore;
    if (recovery.tmpRemoved + recovery.rowsDropped + recovery.filesDropped + recovery.slotsDropped > 0) {
      log(
        `recovered data dir: ${recovery.tmpRemoved} partial uploads removed, ${recovery.rowsDropped} index rows and ${recovery.filesDropped} files dropped, ${recovery.slotsDropped} empty slots dropped`,
      );
    }

    const limits = { capacityBytes: options.capacityBytes, maxShardBytes: options.maxShardBytes ?? nodeDefaults.maxShardBytes };
    const deals = createChainDeals({ publicClient: chain.publicClient }, { market });
    // Each column's tree is built while it arrives, so a fill hashes only the manifest.
    const trees = createColumnTrees({ index: nodeStore.index, store: nodeStore.store, log }, { keptLevel: KEPT_LEVEL });
    // A commit notice starts the fill round at once (the loop starts after the server; until then the round runs on its own).
    let startRound: (() => void) | undefined;
    const requests = createRequestCounts();
    // What `/operator/config` shows besides what the app knows: never the private key or the API key,
    // and the RPC URL without credentials, path or query (providers put API keys there).
    let listening: { url: string; endpoint: string } | undefined;
    let marketIntervalMs: number | undefined;
    const timeouts: ServerTimeouts = { ...nodeDefaults, ...options.serverTimeouts };
    const processConfig = () => ({
      host,
      port: options.port,
      ...listening,
      rpcUrl: redactUrl(options.rpcUrl),
      deployment: { chainId: options.deployment.chainId, contracts: options.deployment.contracts },
      capacityBytes: options.capacityBytes,
      stake: options.stake ?? 'registry minimum',
      pricePerGiBEpoch: options.pricePerGiBEpoch ?? nodeDefaults.pricePerGiBEpoch,
      marketIntervalMs,
      serverTimeouts: timeouts,
    });
    // The operator dashboard: usage sampled now and every minute; chain figures and claims through the node's own clients.
    const sampler = startUsageSampler({ history: nodeStore.usageHistory, usage: () => nodeStore.index.usage(), capacityBytes: options.capacityBytes, log });
    cleanups.push(() => sampler.stop());
    const chainView = createNodeChainView(
      { chain },
      { market, registry: options.deployment.contracts.PeerRegistry, fromBlock: BigInt(options.deployment.blockNumber) },
    );
    const app = createNodeApp({
      ...nodeStore,
      identity: { address, chainId },
      limits,
      deals,
      marketAddress: market,
      onCommitRecorded: () => startRound?.(),
      onShardStored: trees.shardStored,
      apiKey: options.apiKey,
      signer: chain.account,
      operatorView: { market: nodeStore.market, nonces: nodeStore.nonces, config: processConfig, requests },
      dashboard: { uiDir: options.uiDir ?? uiDir('node'), history: nodeStore.usageHistory, chain: chainView },
      holders: createChainHolders({ publicClient: chain.publicClient }, { market, registry: options.deployment.contracts.PeerRegistry }),
      log,
    });
    const inFlight = trackInFlight(countRequests(app.fetch, requests));
    // Stop order (reverse of the pushes): close the server, let running handlers finish (a hung-up
    // upload removes its temporary file), then close the database.
    cleanups.push(() => inFlight.drained(5_000));
    const server = serve({
      fetch: inFlight.fetch,
      hostname: host,
      port: options.port,
      serverOptions: {
        headersTimeout: timeouts.headersTimeoutMs,
        requestTimeout: timeouts.requestTimeoutMs,
        keepAliveTimeout: timeouts.keepAliveTimeoutMs,
        connectionsCheckingInterval: timeouts.connectionsCheckingIntervalMs,
      },
    });
    // Older Node versions ignore the option in createServer: set the property as well.
    if ('keepAliveTimeout' in server) server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
    cleanups.push(() => closeServer(server));
    const port = await listen(server);
    const url = `http://${urlHost(host)}:${port}`;
    const endpoint = options.endpoint ?? url;
    listening = { url, endpoint };
    if (!options.endpoint && (host === '0.0.0.0' || host === '::')) {
      log(`listening on all interfaces but announcing ${endpoint}: pass an endpoint that other machines can reach`);
    }

    const pruner = setInterval(() => {
      try {
        nodeStore.nonces.prune(Math.floor(Date.now() / 1000));
      } catch (error) {
        log(`nonce pruning failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }, nodeDefaults.noncePruneIntervalMs);
    pruner.unref();
    cleanups.push(() => clearInterval(pruner));

    signal?.throwIfAborted();
    const registry = options.deployment.contracts.PeerRegistry;
    const registration = await ensureRegistered(chain, {
      registry,
      token: options.deployment.contracts.RewardToken,
      endpoint,
      capacity: BigInt(options.capacityBytes),
      pricePerGiBEpoch: options.pricePerGiBEpoch ?? nodeDefaults.pricePerGiBEpoch,
      stake: options.stake,
      log,
    });
    const config = await chain.publicClient.readContract({ address: registry, abi: peerRegistryAbi, functionName: 'config' });
    const intervalMs = Number(config.heartbeatTimeout) * 1000 * nodeDefaults.heartbeatIntervalFraction;
    // A fresh registration counts as a heartbeat; a restarted node beats at once (it may have lapsed).
    const heartbeats = startHeartbeats(
      { sendHeartbeat: () => sendHeartbeat(chain, { registry }), log },
      { intervalMs, beatFirst: registration.action !== 'registered' },
    );
    cleanups.push(() => heartbeats.stop());

    const marketConfig = await chain.publicClient.readContract({ address: market, abi: marketAbi, functionName: 'config' });
    marketIntervalMs =
      options.marketIntervalMs ?? Math.min(Number(marketConfig.epochLength) * 1000 * nodeDefaults.marketIntervalFraction, nodeDefaults.marketIntervalMaxMs);
    const marketDeps = { chain, index: nodeStore.index, store: nodeStore.store, market: nodeStore.market, log, trees };
    // What a round need not read again (final seeds, slots done for the epoch): a quiet round costs a call or two.
    const proverMemory = createProverMemory();
    const watch = createMissingWatch();
    // The marker credit is withdrawn in the first round (left from before a restart) and after every round that marked a miss.
    let sweepCredit = true;
    const marketLoop = startMarketLoop(
      {
        round: async (roundSignal) => {
          try {
            await fillCommittedSlots(marketDeps, { marketAddress: market, signal: roundSignal });
            await proveRound({ ...marketDeps, memory: proverMemory }, { marketAddress: market, signal: roundSignal });
          } finally {
            // The watchtower runs even when the node's own work failed this round; it never throws.
            const report = await watchMissingProofs({ chain, market: nodeStore.market, watch, log }, { marketAddress: market, signal: roundSignal });
            if (sweepCredit || report.marked.length > 0) {
              const outcome = await withdrawMarkerCredit({ chain }, { registry });
              if (outcome.status === 'withdrawn') log(`withdrew ${outcome.amount} wei of marker credit from the registry`);
              if (outcome.status === 'failed') log(`marker credit not withdrawn, will retry: ${outcome.message}`);
              sweepCredit = outcome.status === 'failed';
            }
          }
        },
        log,
      },
      { intervalMs: marketIntervalMs, name: 'marketplace' },
    );
    // Notices coalesce: one extra round is queued at a time, and it sees every slot recorded before it starts.
    let queued = false;
    startRound = () => {
      if (queued) return;
      queued = true;
      void marketLoop.runNow().finally(() => {
        queued = false;
      });
    };
    // Stopped before the database closes (cleanups run in reverse).
    cleanups.push(() => marketLoop.stop());
    signal?.throwIfAborted();

    log(`node ${address} serving ${url} (announced ${endpoint}) on chain ${chainId}, ${registration.action} in the registry`);
    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= cleanup();
      return stopping;
    };
    signal?.addEventListener('abort', () => void stop(), { once: true });
    return { url, port, address, chainId, stop };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
