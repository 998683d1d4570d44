import type { z } from 'zod';
import type { storedShardSchema } from '../../protocol/wire';
import type { SlotIndex, SlotRow } from './slot-index';

/** A slot with its shards and total bytes, as the listing routes answer it. */
export interface SlotDescription {
  slotId: SlotRow['slotId'];
  fileId: SlotRow['fileId'];
  column: number;
  owner: SlotRow['owner'];
  shards: z.infer<typeof storedShardSchema>[];
  bytes: number;
}

/**
 * Adds each slot's shards (index, size, SHA-256) and total bytes to its row.
 *
 * @example
 * const described = describeSlots({ index }, { slots: index.slotsOfFile(fileId) });
 */
export function describeSlots(deps: { index: Pick<SlotIndex, 'shardsOf'> }, params: { slots: SlotRow[] }): SlotDescription[] {
  return params.slots.map((slot) => {
    const shards = deps.index.shardsOf(slot.slotId).map((s) => ({ index: s.index, size: s.size, sha256: s.sha256 }));
    return { slotId: slot.slotId, fileId: slot.fileId, column: slot.column, owner: slot.owner, shards, bytes: shards.reduce((sum, s) => sum + s.size, 0) };
  });
}
