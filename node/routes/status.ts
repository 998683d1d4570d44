import { Hono } from 'hono';
import type { Address } from 'viem';
import { PROTOCOL_VERSION } from '../../protocol/config';
import { type SignedNodeStatus, type StatusSigner, signStatus } from '../../protocol/status-signing';
import type { NodeStatus } from '../../protocol/wire';
import type { NodeEnv } from '../env';
import type { SlotIndex } from '../store/slot-index';

/** What `/status` reports, read fresh from the index and the clock. */
export type StatusDeps = {
  index: Pick<SlotIndex, 'usage'>;
  identity: { address: Address; chainId: number };
  limits: { capacityBytes: number; maxShardBytes: number };
  now: () => number;
  startedAt: number;
};

/**
 * The node's status as `/status` answers it (unsigned): identity, version, capacity and usage, uptime.
 *
 * @example
 * const status = currentStatus({ index, identity, limits, now: Date.now, startedAt });
 */
export function currentStatus(deps: StatusDeps): NodeStatus {
  const usage = deps.index.usage();
  return {
    address: deps.identity.address,
    chainId: deps.identity.chainId,
    version: PROTOCOL_VERSION,
    capacityBytes: deps.limits.capacityBytes,
    usedBytes: usage.bytes,
    freeBytes: Math.max(0, deps.limits.capacityBytes - usage.bytes),
    slots: usage.slots,
    shards: usage.shards,
    maxShardBytes: deps.limits.maxShardBytes,
    uptimeSeconds: Math.max(0, (deps.now() - deps.startedAt) / 1000),
  };
}

/** How long a signed status is served again before the node signs a fresh one: `/status` is public, so at most one signature a second. */
export const SIGNED_STATUS_TTL_MS = 1_000;

/**
 * `GET /status`: who the node is (address, chain, version) and how much it holds and can take.
 * With a `signer` (the operator key) the body also carries `signedAt` and `signature` (see
 * `protocol/status-signing.ts`), so a client can tell that the endpoint speaks for the operator
 * registered on chain; the signed body is reused for up to `SIGNED_STATUS_TTL_MS`, so a flood of
 * status requests costs at most one signature a second. Without a signer the body is unsigned.
 *
 * @example
 * app.route('/', statusRoutes({ index, identity, limits, now: Date.now, startedAt: Date.now(), signer: account }));
 */
export function statusRoutes(deps: StatusDeps & { signer?: StatusSigner }): Hono<NodeEnv> {
  const app = new Hono<NodeEnv>();
  let cached: { at: number; body: Promise<SignedNodeStatus> } | undefined;
  const signed = (signer: StatusSigner): Promise<SignedNodeStatus> => {
    const at = deps.now();
    if (cached && at >= cached.at && at - cached.at < SIGNED_STATUS_TTL_MS) return cached.body;
    const body = signStatus({ signer }, { status: currentStatus(deps), signedAt: Math.floor(at / 1000) });
    cached = { at, body };
    // A failed signature is not cached: the next request tries again.
    body.catch(() => {
      if (cached?.body === body) cached = undefined;
    });
    return body;
  };
  app.get('/status', async (c) => c.json(deps.signer ? await signed(deps.signer) : currentStatus(deps)));
  return app;
}
