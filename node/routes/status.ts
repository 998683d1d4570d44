import { Hono } from 'hono';
import type { Address } from 'viem';
import { PROTOCOL_VERSION } from '../../protocol/config';
import type { NodeStatus } from '../../protocol/wire';
import type { NodeEnv } from '../env';
import type { SlotIndex } from '../store/slot-index';

/**
 * `GET /status`: who the node is (address, chain, version) and how much it holds and can take.
 *
 * @example
 * app.route('/', statusRoutes({ index, identity, limits, now: Date.now, startedAt: Date.now() }));
 */
export function statusRoutes(deps: {
  index: Pick<SlotIndex, 'usage'>;
  identity: { address: Address; chainId: number };
  limits: { capacityBytes: number; maxShardBytes: number };
  now: () => number;
  startedAt: number;
}): Hono<NodeEnv> {
  const app = new Hono<NodeEnv>();
  app.get('/status', (c) => {
    const usage = deps.index.usage();
    const body: NodeStatus = {
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
    return c.json(body);
  });
  return app;
}
