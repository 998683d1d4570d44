import fs from 'node:fs';
import path from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type MiddlewareHandler } from 'hono';
import type { Address } from 'viem';
import type { NodeEnv } from '../env';
import { operatorAuth } from '../middleware/operator-auth';
import type { NonceStore } from '../store/nonce-store';
import type { SlotIndex } from '../store/slot-index';
import type { UsageHistory } from '../store/usage-history';
import type { NodeChainView } from './chain-view';
import { dashboardApi } from './dashboard-api';
import type { DashboardJson } from './dashboard-json';

export type { DashboardApi } from './dashboard-api';
export type { ClaimJson, DashboardJson } from './dashboard-json';

/** How much usage history the dashboard shows, and in how many points at most. */
export const dashboardDefaults = { historyWindowMs: 24 * 3600_000, historyMaxPoints: 240 } as const;

/**
 * The page's own CSP (the node's default allows nothing): its bundled script, styles and JSON from
 * this origin only; no inline script, no frames, no form posts elsewhere.
 */
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** What the dashboard needs from the node. */
export interface DashboardDeps {
  index: Pick<SlotIndex, 'usage'>;
  limits: { capacityBytes: number };
  /** Usage samples; a sample is also recorded when the figures are read (at most once a minute). */
  history: Pick<UsageHistory, 'record' | 'since'>;
  /** The node's chain figures, events and claims. */
  chain: NodeChainView;
  /** Where the built page is (`uiDir('node')`). */
  uiDir: string;
  /** The operator guard's settings, as for the operator routes. */
  apiKey?: string;
  identity: { address: Address; chainId: number };
  nonces: Pick<NonceStore, 'remember'>;
  maxSkewSeconds: number;
  now: () => number;
  startedAt: number;
  historyWindowMs?: number;
  historyMaxPoints?: number;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The node operator's dashboard:
 * - `GET /dashboard` redirects to `/dashboard/`; `GET /dashboard/*` serves the built page from
 *   `uiDir` (public static files holding no data; 503 `UI_NOT_BUILT` while there is no build);
 * - `GET /operator/dashboard` (operator guard): every figure in one JSON (`DashboardJson`):
 *   capacity, used and free bytes, shards and slots from the index; uptime; 24 h of usage samples;
 *   stake, proofs submitted and missed, rewards earned and claimable and recent events from the
 *   chain (`chain: null` with `chainError` when the chain cannot be read);
 * - `POST /operator/claim` (operator guard): claims every slot with something to claim and
 *   answers what was claimed (`ClaimJson`).
 *
 * @example
 * app.route('/', dashboardRoutes({ index, limits, history, chain: createNodeChainView({ chain }, { market, registry }), uiDir: uiDir('node'), apiKey, identity, nonces, maxSkewSeconds: 300, now: Date.now, startedAt }));
 */
export function dashboardRoutes(deps: DashboardDeps): Hono<NodeEnv> {
  const windowMs = deps.historyWindowMs ?? dashboardDefaults.historyWindowMs;
  const maxPoints = deps.historyMaxPoints ?? dashboardDefaults.historyMaxPoints;
  const guard = operatorAuth({ apiKey: deps.apiKey, identity: deps.identity, nonces: deps.nonces, now: deps.now, maxSkewSeconds: deps.maxSkewSeconds });

  const figures = async (): Promise<DashboardJson> => {
    const now = deps.now();
    const usage = deps.index.usage();
    const capacityBytes = deps.limits.capacityBytes;
    deps.history.record({ at: now, usedBytes: usage.bytes, capacityBytes });
    // The chart ends with the figures of this answer, even when the last stored sample is older (one a minute).
    const stored = deps.history.since({ since: now - windowMs, maxPoints: Math.max(0, maxPoints - 1) }).filter((p) => p.at < now);
    let chain: DashboardJson['chain'] = null;
    let chainError: DashboardJson['chainError'] = null;
    let events: DashboardJson['events'] = [];
    try {
      [chain, events] = await Promise.all([deps.chain.status(), deps.chain.events()]);
    } catch (error) {
      chainError = { code: 'CHAIN_UNAVAILABLE', message: errorText(error) };
    }
    return {
      address: deps.identity.address,
      chainId: deps.identity.chainId,
      generatedAt: new Date(now).toISOString(),
      startedAt: new Date(deps.startedAt).toISOString(),
      uptimeSeconds: Math.max(0, Math.floor((now - deps.startedAt) / 1000)),
      storage: { capacityBytes, usedBytes: usage.bytes, freeBytes: Math.max(0, capacityBytes - usage.bytes), shards: usage.shards, slots: usage.slots },
      history: { fromMs: now - windowMs, toMs: now, points: [...stored, { at: now, usedBytes: usage.bytes, capacityBytes }] },
      chain,
      chainError,
      events,
    };
  };

  const app = new Hono<NodeEnv>();
  app.get('/dashboard', (c) => c.redirect('/dashboard/', 302));
  let files: MiddlewareHandler<NodeEnv> | undefined;
  app.get('/dashboard/*', async (c, next) => {
    if (!fs.existsSync(path.join(deps.uiDir, 'index.html'))) {
      return c.json({ error: { code: 'UI_NOT_BUILT', message: 'the dashboard page is not built: run npx vite build -c ui/vite.config.mts --mode node' } }, 503);
    }
    c.header('content-security-policy', PAGE_CSP);
    c.header('cache-control', 'no-cache');
    files ??= serveStatic({ root: deps.uiDir, rewriteRequestPath: (p) => p.replace(/^\/dashboard/, '') });
    return files(c, next);
  });
  app.route('/', dashboardApi<NodeEnv>({ guard, figures, claim: () => deps.chain.claim() }));
  return app;
}
