import type { ShardIndex } from '../../protocol/column';
import type { SlotId } from '../../protocol/ids';
import { createKeccakHasher, type Keccak, SegmentTreeBuilder } from '../../protocol/merkle';
import type { SlotIndex } from '../store/slot-index';
import type { SlotStore } from '../store/slot-store';
import { readSlotBytes, type SlotLayout } from './slot-bytes';

/** A slot's tree as far as its shards have arrived in order: the builder has hashed `parts` shards (0 … parts − 1). */
export interface ColumnTreeProgress {
  builder: SegmentTreeBuilder;
  parts: number;
}

/** Slots whose trees are built while their shards arrive. */
export interface ColumnTrees {
  /** A shard's row was committed: hashes it, and the stored shards after it, once every shard before it is hashed. Never throws. */
  shardStored(slotId: SlotId, index: ShardIndex): void;
  /**
   * Hands over the slot's tree so far, after the hashing queued before the call, and stops
   * tracking the slot; `undefined` when it was not tracked or its bytes do not match `layout`.
   */
  take(slotId: SlotId, layout: SlotLayout): Promise<ColumnTreeProgress | undefined>;
  /** Stops tracking a slot (deleted or given up). */
  forget(slotId: SlotId): void;
  /** Resolves when every queued shard is hashed. */
  idle(): Promise<void>;
  /** Slots being tracked. */
  readonly size: number;
}

/** Slots tracked at once by default; past it the least recently fed one is dropped (its fill reads the column instead). */
export const DEFAULT_MAX_TRACKED_SLOTS = 128;

interface Tracked {
  builder: SegmentTreeBuilder;
  /** Shards hashed: the next one to hash is `next`. */
  next: number;
}

/**
 * Builds each slot's segment tree while its column arrives, as DESIGN.md's data flow asks ("column
 * i streamed to its peer while both sides build the column's segment tree"), so that the fill after
 * the owner's commit notice hashes only the manifest instead of reading the whole column again.
 *
 * Shards land out of order (several PUTs per column are in flight), and each is 1 MiB + a tag, so
 * segments straddle shard boundaries: a shard is hashed only when every shard before it is. It is
 * read back from its file once its index row is committed (from the page cache it was just written
 * to), so the tree covers exactly the bytes the node stores and serves. All hashing runs one shard
 * at a time on one queue with one read buffer; the state is memory only (after a restart the fill
 * reads the column), and at most `maxSlots` slots are tracked.
 *
 * @example
 * const trees = createColumnTrees({ index, store, log });
 * trees.shardStored(slotId, 0);
 * const progress = await trees.take(slotId, layout); // builder + shards already hashed, or undefined
 */
export function createColumnTrees(
  deps: { index: Pick<SlotIndex, 'getShard'>; store: Pick<SlotStore, 'shardPath'>; log?: (line: string) => void },
  p: { keptLevel: number; maxSlots?: number },
): ColumnTrees {
  const maxSlots = p.maxSlots ?? DEFAULT_MAX_TRACKED_SLOTS;
  /** Least recently fed first. */
  const tracked = new Map<SlotId, Tracked>();
  /** Slots with work queued, and whether shard 0 is among it (only shard 0 starts a slot's tree). */
  const scheduled = new Map<SlotId, boolean>();
  let keccak: Promise<Keccak> | undefined;
  let queue: Promise<void> = Promise.resolve();
  /** One read buffer for every slot: the queue hashes one shard at a time. */
  const buffer = Buffer.allocUnsafe(1 << 20);

  const enqueue = <T>(work: () => Promise<T>): Promise<T> => {
    const done = queue.then(work);
    queue = done.then(
      () => {},
      () => {},
    );
    return done;
  };

  /** Hashes the slot's next shards while their rows exist (starting its tree if shard 0 asked). */
  const advance = async (slotId: SlotId, start: boolean): Promise<void> => {
    let state = tracked.get(slotId);
    if (start) {
      // A new shard 0 starts the tree afresh: it is stored once in a slot's life, so a tree already
      // there is of bytes since deleted (a slot the operator dropped and its owner wrote again).
      keccak ??= createKeccakHasher();
      state = { builder: await SegmentTreeBuilder.create({ keptLevel: p.keptLevel, keccak: await keccak }), next: 0 };
    } else if (!state) {
      return; // taken, forgotten or dropped since: its fill reads the column
    }
    try {
      for (let row = deps.index.getShard(slotId, state.next); row; row = deps.index.getShard(slotId, state.next)) {
        const part = { index: state.next, size: row.size, offset: 0 };
        for await (const piece of readSlotBytes(deps, { slotId, layout: { parts: [part], bytes: row.size }, buffer })) state.builder.write(piece);
        state.next++;
      }
    } catch (error) {
      // A file gone since its row was read (a deleted slot): the fill reads the column instead.
      tracked.delete(slotId);
      deps.log?.(
        `slot ${slotId}: stopped hashing its column as it arrives (${error instanceof Error ? error.message : String(error)}); its fill reads it whole`,
      );
      return;
    }
    tracked.delete(slotId);
    tracked.set(slotId, state);
    for (const oldest of tracked.keys()) {
      if (tracked.size <= maxSlots) break;
      tracked.delete(oldest);
    }
  };

  return {
    shardStored(slotId, index) {
      // The manifest is last in the column (hashed at the fill); a shard after 0 only feeds a tree shard 0 started.
      if (typeof index !== 'number' || (index !== 0 && !tracked.has(slotId) && !scheduled.has(slotId))) return;
      const queued = scheduled.has(slotId);
      scheduled.set(slotId, scheduled.get(slotId) === true || index === 0);
      if (queued) return;
      void enqueue(() => {
        const start = scheduled.get(slotId) === true;
        scheduled.delete(slotId);
        return advance(slotId, start);
      });
    },

    take(slotId, layout) {
      return enqueue(async () => {
        const state = tracked.get(slotId);
        tracked.delete(slotId);
        if (!state) return undefined;
        const hashed = layout.parts.slice(0, state.next);
        const consistent =
          hashed.length === state.next &&
          hashed.every((part, i) => part.index === i) &&
          state.builder.bytesWritten === (layout.parts[state.next]?.offset ?? layout.bytes);
        return consistent ? { builder: state.builder, parts: state.next } : undefined;
      });
    },

    forget(slotId) {
      tracked.delete(slotId);
      scheduled.delete(slotId);
    },

    idle: () => enqueue(async () => {}),

    get size() {
      return tracked.size;
    },
  };
}
