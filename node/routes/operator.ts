import { statfs } from 'node:fs/promises';
import { Hono } from 'hono';
import type { Address } from 'viem';
import { parseSlotId } from '../../protocol/ids';
import type { NodeHardening } from '../app';
import type { NodeEnv } from '../env';
import { operatorAuth } from '../middleware/operator-auth';
import { type ConfigValue, jsonSafe } from '../status/config-view';
import { metricsText } from '../status/metrics-text';
import type { RequestCounts } from '../status/request-counts';
import { deleteSlot } from '../store/delete-slot';
import { describeSlots } from '../store/describe-slots';
import type { KeyedLock } from '../store/keyed-lock';
import type { MarketSlotState, MarketState } from '../store/market-state';
import type { NonceStore } from '../store/nonce-store';
import type { SlotIndex } from '../store/slot-index';
import type { SlotStore } from '../store/slot-store';
import { currentStatus } from './status';

/** What the operator views read besides the index: each part optional, left out of the answers when absent. */
export interface OperatorView {
  /** The node's marketplace records, for slot counts by state. */
  market?: Pick<MarketState, 'inState'>;
  /** The nonce store, for the number of nonces remembered. */
  nonces?: Pick<NonceStore, 'count'>;
  /** Settings only the process knows (listen address, RPC, deployment…), already free of secrets; read per request. */
  config?: () => Record<string, unknown>;
  /** Answers counted by `countRequests`. */
  requests?: Pick<RequestCounts, 'snapshot'>;
}

const MARKET_STATES: MarketSlotState[] = ['committed', 'filled', 'mismatch', 'failed', 'done'];

/** Only the hardening settings (the app's merged object also carries every other node default). */
const hardeningOf = (h: NodeHardening): NodeHardening => ({
  maxConcurrentUploads: h.maxConcurrentUploads,
  uploadRetryAfterSeconds: h.uploadRetryAfterSeconds,
  signerRateLimit: { ...h.signerRateLimit },
  readRateLimit: { ...h.readRateLimit },
  rateLimitMaxKeys: h.rateLimitMaxKeys,
});

/**
 * Operator-only routes, behind `operatorAuth` (a request signed by the node's operator key, or
 * `Authorization: Bearer <api key>`):
 * - `GET /operator/slots` lists every slot with its shards and size;
 * - `DELETE /slots/:slotId` drops a slot (index rows, then files);
 * - `GET /operator/status`: everything `/status` says, plus the data directory (path, disk
 *   space), slots by marketplace state, nonces remembered, limits, hardening and signature window;
 * - `GET /operator/config`: the effective configuration, without the API key or the private key;
 * - `GET /operator/metrics`: Prometheus text format 0.0.4 (`dhost_used_bytes`,
 *   `dhost_capacity_bytes`, `dhost_slots`, `dhost_shards`, `dhost_uptime_seconds`, and when known
 *   `dhost_nonces_remembered`, `dhost_market_slots{state}`, `dhost_http_requests_total{route,method,status}`).
 *
 * @example
 * app.route('/', operatorRoutes({ index, store, locks, apiKey: 'secret', identity, nonces, limits, hardening, now: Date.now, startedAt, maxSkewSeconds: 300 }));
 */
export function operatorRoutes(deps: {
  index: Pick<SlotIndex, 'allSlots' | 'shardsOf' | 'deleteSlot' | 'usage'>;
  store: Pick<SlotStore, 'removeSlot' | 'dataDir'>;
  locks: KeyedLock;
  apiKey?: string;
  identity: { address: Address; chainId: number };
  nonces: Pick<NonceStore, 'remember'>;
  limits: { capacityBytes: number; maxShardBytes: number };
  hardening: NodeHardening;
  marketAddress: Address;
  now: () => number;
  startedAt: number;
  maxSkewSeconds: number;
  /** Whether `/status` is signed with the operator key. */
  signsStatus: boolean;
  view?: OperatorView;
}): Hono<NodeEnv> {
  const app = new Hono<NodeEnv>();
  const view = deps.view ?? {};
  const hardening = hardeningOf(deps.hardening);
  const guard = operatorAuth({ apiKey: deps.apiKey, identity: deps.identity, nonces: deps.nonces, now: deps.now, maxSkewSeconds: deps.maxSkewSeconds });
  const slotsByState = () => {
    if (!view.market) return undefined;
    const counts: Record<string, number> = {};
    for (const state of MARKET_STATES) counts[state] = view.market.inState(state).length;
    return counts;
  };

  app.get('/operator/slots', guard, (c) => c.json({ slots: describeSlots(deps, { slots: deps.index.allSlots() }) }));
  app.delete('/slots/:slotId', guard, async (c) => {
    const slotId = parseSlotId(c.req.param('slotId'));
    const dropped = await deleteSlot(deps, { slotId });
    return c.json({ slotId, deleted: true, ...dropped });
  });

  app.get('/operator/status', guard, async (c) => {
    const status = currentStatus(deps);
    let disk: { totalBytes: number; freeBytes: number } | null = null;
    try {
      const fs = await statfs(deps.store.dataDir);
      disk = { totalBytes: fs.blocks * fs.bsize, freeBytes: fs.bavail * fs.bsize };
    } catch {
      // not every platform reports it
    }
    return c.json({
      ...status,
      startedAt: new Date(deps.startedAt).toISOString(),
      runtime: `node ${process.version}`,
      dataDir: { path: deps.store.dataDir, usedBytes: status.usedBytes, slots: status.slots, shards: status.shards, disk },
      slotsByState: slotsByState() ?? null,
      noncesRemembered: view.nonces ? view.nonces.count() : null,
      limits: deps.limits,
      hardening,
      signatures: { maxSkewSeconds: deps.maxSkewSeconds, statusSigned: deps.signsStatus },
      auth: { apiKey: Boolean(deps.apiKey), operatorSignature: true },
    });
  });

  app.get('/operator/config', guard, (c) => {
    const config: Record<string, ConfigValue> = {
      address: deps.identity.address,
      chainId: deps.identity.chainId,
      marketAddress: deps.marketAddress,
      dataDir: deps.store.dataDir,
      limits: jsonSafe(deps.limits),
      hardening: jsonSafe(hardening),
      maxSignatureSkewSeconds: deps.maxSkewSeconds,
      statusSigned: deps.signsStatus,
      apiKeyConfigured: Boolean(deps.apiKey),
    };
    const extra = jsonSafe(view.config?.() ?? {}) as Record<string, ConfigValue>;
    return c.json({ ...extra, ...config });
  });

  app.get('/operator/metrics', guard, (c) => {
    const status = currentStatus(deps);
    const body = metricsText({
      usedBytes: status.usedBytes,
      capacityBytes: status.capacityBytes,
      slots: status.slots,
      shards: status.shards,
      uptimeSeconds: status.uptimeSeconds,
      noncesRemembered: view.nonces?.count(),
      slotsByState: slotsByState(),
      requests: view.requests?.snapshot(),
    });
    return c.body(body, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
  return app;
}
