import { Hono } from 'hono';
import { parseSlotId } from '../../protocol/ids';
import type { NodeEnv } from '../env';
import { operatorKey } from '../middleware/operator-key';
import { deleteSlot } from '../store/delete-slot';
import { describeSlots } from '../store/describe-slots';
import type { KeyedLock } from '../store/keyed-lock';
import type { SlotIndex } from '../store/slot-index';
import type { SlotStore } from '../store/slot-store';

/**
 * Operator-only routes, behind `Authorization: Bearer <api key>`:
 * `GET /operator/slots` lists every slot with its shards and size; `DELETE /slots/:slotId` drops
 * a slot (index rows, then files).
 *
 * @example
 * app.route('/', operatorRoutes({ index, store, locks, apiKey: 'secret' }));
 */
export function operatorRoutes(deps: {
  index: Pick<SlotIndex, 'allSlots' | 'shardsOf' | 'deleteSlot'>;
  store: Pick<SlotStore, 'removeSlot'>;
  locks: KeyedLock;
  apiKey?: string;
}): Hono<NodeEnv> {
  const app = new Hono<NodeEnv>();
  const guard = operatorKey({ apiKey: deps.apiKey });
  app.get('/operator/slots', guard, (c) => c.json({ slots: describeSlots(deps, { slots: deps.index.allSlots() }) }));
  app.delete('/slots/:slotId', guard, async (c) => {
    const slotId = parseSlotId(c.req.param('slotId'));
    const dropped = await deleteSlot(deps, { slotId });
    return c.json({ slotId, deleted: true, ...dropped });
  });
  return app;
}
