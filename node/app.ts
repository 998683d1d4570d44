import { Hono } from 'hono';
import type { Address } from 'viem';
import { uiDir } from '../protocol/package-root';
import type { StatusSigner } from '../protocol/status-signing';
import { nodeDefaults } from './config';
import type { NodeChainView } from './dashboard/chain-view';
import { dashboardRoutes } from './dashboard/dashboard-routes';
import type { NodeEnv } from './env';
import type { DealSource } from './market/chain-deals';
import type { HolderSource } from './market/chain-holders';
import { publicReadCors } from './middleware/cors';
import { errorHandler, notFoundHandler } from './middleware/error-handler';
import { isPublicRead, isShardRead } from './middleware/public-reads';
import { type RateBudget, rateLimit, remoteAddress } from './middleware/rate-limit';
import { securityHeaders } from './middleware/security-headers';
import { uploadCap } from './middleware/upload-cap';
import { dealHolderRoutes } from './routes/deal-holders';
import { fileRoutes } from './routes/files';
import { healthRoutes } from './routes/health';
import { type OperatorView, operatorRoutes } from './routes/operator';
import { type ShardRoutesDeps, shardRoutes } from './routes/shards';
import { sharePageRoutes } from './routes/share-page';
import { slotCommitRoutes } from './routes/slot-commit';
import { statusRoutes } from './routes/status';
import { createRecoverAddress } from './signature/recover-address';
import { createKeyedLock } from './store/keyed-lock';
import type { MarketState } from './store/market-state';
import type { NonceStore } from './store/nonce-store';
import type { SlotIndex } from './store/slot-index';
import type { SlotStore } from './store/slot-store';
import type { UsageHistory } from './store/usage-history';

/** The node's guards against floods; defaults in `nodeDefaults`. */
export interface NodeHardening {
  /** Shard uploads in progress at once before 429 `TOO_MANY_UPLOADS`. */
  maxConcurrentUploads: number;
  /** `retry-after` of a refused upload, in seconds. */
  uploadRetryAfterSeconds: number;
  /** Signed writes (shards, commit notices) per verified signer, before 429 `RATE_LIMITED`. */
  signerRateLimit: RateBudget;
  /** GET/HEAD requests per remote address, before 429 `RATE_LIMITED`. */
  readRateLimit: RateBudget;
  /** Most buckets each rate limiter keeps. */
  rateLimitMaxKeys: number;
}

/** What the node's HTTP app needs; chain reads only through the narrow `deals` source (tests drive it through `app.request()`). */
export interface NodeAppDeps {
  store: SlotStore;
  index: SlotIndex;
  /** The node's marketplace records: commit notices land here for the fill round. */
  market: Pick<MarketState, 'recordCommit' | 'get'>;
  /** Called when a commit notice recorded a new slot (start the fill round now). */
  onCommitRecorded?: () => void;
  /** Called once a new shard is stored (see `ShardRoutesDeps.onShardStored`). */
  onShardStored?: ShardRoutesDeps['onShardStored'];
  nonces: Pick<NonceStore, 'remember'>;
  /** The node's operator address and chain: signed writes must name both. */
  identity: { address: Address; chainId: number };
  limits: { capacityBytes: number; maxShardBytes: number };
  /** Deals on chain: every write must be bound to an open deal assigned to this node (see `dealWrite`). */
  deals: DealSource;
  /** The Marketplace address: the verifying contract of the owners' assignments. */
  marketAddress: Address;
  /** Operator API key (`Authorization: Bearer`); without one only requests signed by the operator key reach the operator routes. */
  apiKey?: string;
  /** The operator key (a viem `LocalAccount` fits): signs `/status`, so clients can check who answers. Without it `/status` is unsigned. */
  signer?: StatusSigner;
  /** What the operator routes report besides the index: market states, nonce count, process settings, request counts. */
  operatorView?: OperatorView;
  /**
   * The operator dashboard (`/dashboard/`, `GET /operator/dashboard`, `POST /operator/claim`): where its built page is, the
   * usage samples and the node's chain view. Without it those routes are not served.
   */
  dashboard?: { uiDir: string; history: Pick<UsageHistory, 'record' | 'since'>; chain: NodeChainView };
  /** Clock in milliseconds (signature freshness, timestamps, uptime). Default `Date.now`. */
  now?: () => number;
  /** When the node started, in milliseconds (for `uptimeSeconds`). Default: now. */
  startedAt?: number;
  /** Where unexpected errors are logged. Default `console.error`. */
  log?: (line: string) => void;
  /** Upload cap and rate limits; each field defaults to `nodeDefaults`. */
  hardening?: Partial<NodeHardening>;
  /** Who holds a deal's columns, from the chain (`GET /deals/:dealId/holders`, for the share page); without it the route is absent. */
  holders?: HolderSource;
  /** Where the built share page is (`/share/`). Default `uiDir('share')`; a missing build answers 503 `UI_NOT_BUILT`. */
  sharePageRoot?: string;
}

/**
 * Builds the node's HTTP app: shard writes and reads, file holdings, status, health, operator
 * routes, one JSON error path and a JSON 404. Every answer carries security headers; public reads
 * are open to any origin (CORS), cross-origin writes are refused at the preflight; reads are rate
 * limited per remote address, signed writes per signer (after verification), and shard uploads
 * are capped in number — all before a body is read. The limiters' state lives in this app.
 *
 * @example
 * const nodeStore = await openNodeStore({ dataDir });
 * const deals = createChainDeals({ publicClient }, { market });
 * const app = createNodeApp({ ...nodeStore, identity: { address, chainId: 31337 }, limits: { capacityBytes: 1 << 30, maxShardBytes: 17 << 20 }, deals, marketAddress: market });
 * const res = await app.request('/health');
 */
export function createNodeApp(deps: NodeAppDeps): Hono<NodeEnv> {
  const now = deps.now ?? Date.now;
  const locks = createKeyedLock();
  const hardening: NodeHardening = { ...nodeDefaults, ...deps.hardening };
  const app = new Hono<NodeEnv>();
  app.onError(errorHandler({ log: deps.log ?? console.error }));
  app.notFound(notFoundHandler());
  app.use('*', securityHeaders({ crossOrigin: isShardRead }));
  app.use('*', publicReadCors({ isPublic: isPublicRead }));
  app.use(
    '*',
    rateLimit({
      budget: hardening.readRateLimit,
      key: (c) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? remoteAddress(c) : undefined),
      now,
      what: 'remote address',
      maxKeys: hardening.rateLimitMaxKeys,
    }),
  );
  app.on(
    'PUT',
    '/slots/:slotId/shards/:index',
    uploadCap({ maxConcurrent: hardening.maxConcurrentUploads, retryAfterSeconds: hardening.uploadRetryAfterSeconds }),
  );
  const signerLimit = rateLimit({ budget: hardening.signerRateLimit, key: (c) => c.get('signer'), now, what: 'signer', maxKeys: hardening.rateLimitMaxKeys });
  // One recoverer per app: libsecp256k1 for the signature of every signed write (a shard PUT each).
  const { recoverAddress } = createRecoverAddress();
  app.route('/', healthRoutes());
  const startedAt = deps.startedAt ?? now();
  app.route('/', statusRoutes({ index: deps.index, identity: deps.identity, limits: deps.limits, now, startedAt, signer: deps.signer }));
  app.route('/', fileRoutes({ index: deps.index }));
  if (deps.holders) app.route('/', dealHolderRoutes({ holders: deps.holders }));
  app.route('/', sharePageRoutes({ root: deps.sharePageRoot ?? uiDir('share') }));
  app.route(
    '/',
    shardRoutes({
      store: deps.store,
      index: deps.index,
      nonces: deps.nonces,
      locks,
      identity: deps.identity,
      limits: deps.limits,
      deals: deps.deals,
      market: deps.marketAddress,
      maxSkewSeconds: nodeDefaults.maxSignatureSkewSeconds,
      now,
      afterSignature: signerLimit,
      recoverAddress,
      onShardStored: deps.onShardStored,
    }),
  );
  app.route(
    '/',
    slotCommitRoutes({
      index: deps.index,
      deals: deps.deals,
      commits: deps.market,
      nonces: deps.nonces,
      identity: deps.identity,
      maxSkewSeconds: nodeDefaults.maxSignatureSkewSeconds,
      now,
      onRecorded: deps.onCommitRecorded,
      afterSignature: signerLimit,
      recoverAddress,
    }),
  );
  app.route(
    '/',
    operatorRoutes({
      index: deps.index,
      store: deps.store,
      locks,
      apiKey: deps.apiKey,
      identity: deps.identity,
      nonces: deps.nonces,
      limits: deps.limits,
      hardening,
      marketAddress: deps.marketAddress,
      now,
      startedAt,
      maxSkewSeconds: nodeDefaults.maxSignatureSkewSeconds,
      signsStatus: deps.signer !== undefined,
      view: deps.operatorView,
    }),
  );
  if (deps.dashboard) {
    app.route(
      '/',
      dashboardRoutes({
        ...deps.dashboard,
        index: deps.index,
        limits: deps.limits,
        apiKey: deps.apiKey,
        identity: deps.identity,
        nonces: deps.nonces,
        maxSkewSeconds: nodeDefaults.maxSignatureSkewSeconds,
        now,
        startedAt,
      }),
    );
  }
  return app;
}
