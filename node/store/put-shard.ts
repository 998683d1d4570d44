import type { Address, Hex } from 'viem';
import type { ShardIndex } from '../../protocol/column';
import type { FileId, SlotId } from '../../protocol/ids';
import { CapacityExceededError, ContentHashMismatchError, ForbiddenError, ShardConflictError, SlotFullError } from '../errors';
import type { KeyedLock } from './keyed-lock';
import type { SlotIndex } from './slot-index';
import type { SlotStore } from './slot-store';

/** The outcome of a stored shard. */
export interface PutShardResult {
  /** False when the same shard was already stored (an idempotent retry). */
  created: boolean;
  size: number;
  sha256: string;
}

/**
 * Stores one shard of a slot, crash-safely: refuses early what it can (another owner, a
 * conflicting shard, no room for the declared length in the node or in the deal's slot), streams the body into `tmp/` while
 * hashing it, checks the hash against the signed one, then under the slot's lock renames the
 * file into place, fsyncs, and records it in the index in one transaction that re-checks owner,
 * conflict and capacity. A shard is served only once its row exists, so a crash at any point
 * leaves either nothing or a complete shard. Any refusal leaves no temporary file and no row.
 *
 * @example
 * const { created } = await putShard({ store, index, locks }, {
 *   slotId, fileId, column: 0, index: 3, owner: signer, contentSha256, body: req.body,
 *   declaredLength: 1048592, capacityBytes: 10 << 30, maxShardBytes: 17 << 20,
 * });
 */
export async function putShard(
  deps: {
    store: Pick<SlotStore, 'receive' | 'place' | 'discard' | 'shardPath'>;
    index: Pick<SlotIndex, 'getSlot' | 'getShard' | 'usage' | 'commitShard' | 'slotBytes'>;
    locks: KeyedLock;
    now?: () => number;
  },
  params: {
    slotId: SlotId;
    fileId: FileId;
    column: number;
    index: ShardIndex;
    owner: Address;
    contentSha256: string;
    body: AsyncIterable<Uint8Array> | null;
    declaredLength?: number;
    /** The request's signal: aborted when the client hangs up mid-body. */
    signal?: AbortSignal;
    capacityBytes: number;
    maxShardBytes: number;
    /** The deal's `bytesPerSlot`: the slot's stored bytes must stay within it (`SlotFullError`). */
    maxSlotBytes?: number;
    /** The owner's assignment of this slot to this node, stored with the slot. */
    assignment?: { deadline: bigint; signature: Hex };
  },
): Promise<PutShardResult> {
  const { store, index, locks } = deps;
  const { slotId } = params;

  const refuseEarly = (size: number | undefined): PutShardResult | undefined => {
    const slot = index.getSlot(slotId);
    if (slot && slot.owner !== params.owner) {
      throw new ForbiddenError('SLOT_OWNED_BY_OTHER', 'this slot was first written by another signer', { details: { slotId } });
    }
    const existing = index.getShard(slotId, params.index);
    if (existing) {
      if (existing.sha256 !== params.contentSha256) {
        throw new ShardConflictError('a shard with other content is already stored under this index', {
          details: { slotId, index: params.index, storedSha256: existing.sha256 },
        });
      }
      return { created: false, size: existing.size, sha256: existing.sha256 };
    }
    if (size !== undefined && params.maxSlotBytes !== undefined) {
      const held = index.slotBytes(slotId);
      if (held + size > params.maxSlotBytes) {
        throw new SlotFullError('the slot would exceed the bytes per slot of its deal', {
          details: { slotId, bytesPerSlot: params.maxSlotBytes, heldBytes: held, size },
        });
      }
    }
    const { bytes } = index.usage();
    if (size !== undefined && bytes + size > params.capacityBytes) {
      throw new CapacityExceededError('the node has no room for this shard', { details: { capacityBytes: params.capacityBytes, usedBytes: bytes, size } });
    }
    return undefined;
  };

  // Before reading a byte: a refusal here costs the client no upload. An idempotent retry is
  // still read, so that its body is checked against the signed hash like any other.
  refuseEarly(params.declaredLength);

  const temp = await store.receive({
    body: params.body,
    maxBytes: params.maxShardBytes,
    declaredLength: params.declaredLength,
    signal: params.signal,
  });
  try {
    if (temp.sha256 !== params.contentSha256) {
      throw new ContentHashMismatchError('the body does not match the signed content hash', {
        details: { signedSha256: params.contentSha256, bodySha256: temp.sha256 },
      });
    }
    return await locks.run(slotId, async () => {
      const again = refuseEarly(temp.size);
      if (again) return again;
      await store.place({ temp, slotId, index: params.index });
      try {
        index.commitShard({
          slotId,
          fileId: params.fileId,
          column: params.column,
          owner: params.owner,
          index: params.index,
          size: temp.size,
          sha256: temp.sha256,
          capacityBytes: params.capacityBytes,
          maxSlotBytes: params.maxSlotBytes,
          assignment: params.assignment,
          now: Math.floor((deps.now ?? Date.now)() / 1000),
        });
      } catch (error) {
        // No row names this file and the lock keeps other writers out: safe to remove.
        await store.discard(store.shardPath(slotId, params.index));
        throw error;
      }
      return { created: true, size: temp.size, sha256: temp.sha256 };
    });
  } finally {
    await store.discard(temp.path);
  }
}
