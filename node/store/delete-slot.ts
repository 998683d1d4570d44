import type { SlotId } from '../../protocol/ids';
import { NotFoundError } from '../errors';
import type { KeyedLock } from './keyed-lock';
import type { SlotIndex } from './slot-index';
import type { SlotStore } from './slot-store';

/**
 * Drops a slot: its index rows first (so nothing is served any more), then its files. Runs under
 * the slot's lock so that no write of the same slot interleaves. A crash between the two steps
 * leaves files without rows, which recovery deletes. Throws `NotFoundError` for an unknown slot.
 *
 * @example
 * const { shards, bytes } = await deleteSlot({ index, store, locks }, { slotId });
 */
export async function deleteSlot(
  deps: { index: Pick<SlotIndex, 'deleteSlot'>; store: Pick<SlotStore, 'removeSlot'>; locks: KeyedLock },
  params: { slotId: SlotId },
): Promise<{ shards: number; bytes: number }> {
  return deps.locks.run(params.slotId, async () => {
    const dropped = deps.index.deleteSlot(params.slotId);
    if (!dropped) throw new NotFoundError('SLOT_NOT_FOUND', 'this node holds no such slot', { details: { slotId: params.slotId } });
    await deps.store.removeSlot(params.slotId);
    return dropped;
  });
}
