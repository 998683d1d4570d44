import type BetterSqlite3 from 'better-sqlite3';
import type { Address, Hex } from 'viem';
import { MANIFEST_INDEX, type ShardIndex } from '../../protocol/column';
import type { FileId, SlotId } from '../../protocol/ids';
import { CapacityExceededError, ForbiddenError, ShardConflictError, SlotFullError } from '../errors';

/** A slot as the index records it: created by its first stored shard, owned by that shard's signer. */
export interface SlotRow {
  slotId: SlotId;
  fileId: FileId;
  column: number;
  owner: Address;
  createdAt: number;
  /** The owner's latest assignment of this slot to this node (undefined for slots stored before deals). */
  assignment?: { deadline: bigint; signature: Hex };
}

/** A stored shard as the index records it. A shard is served only while it has a row. */
export interface ShardRow {
  slotId: SlotId;
  index: ShardIndex;
  size: number;
  sha256: string;
  storedAt: number;
}

/** Totals kept by triggers in the same transactions that change the rows. */
export interface IndexUsage {
  bytes: number;
  shards: number;
  slots: number;
}

/** What `commitShard` records. */
export interface ShardCommit {
  slotId: SlotId;
  fileId: FileId;
  column: number;
  owner: Address;
  index: ShardIndex;
  size: number;
  sha256: string;
  capacityBytes: number;
  /** The deal's `bytesPerSlot`: the slot's bytes after this shard must stay within it. */
  maxSlotBytes?: number;
  /** The owner's assignment sent with this shard; stored with the slot (the latest one wins). */
  assignment?: { deadline: bigint; signature: Hex };
  now: number;
}

/** The SQLite index of stored slots and shards. */
export interface SlotIndex {
  getSlot(slotId: SlotId): SlotRow | undefined;
  getShard(slotId: SlotId, index: ShardIndex): ShardRow | undefined;
  usage(): IndexUsage;
  /** Records a shard whose file is in place, re-checking owner, conflict and capacity in one transaction. */
  commitShard(commit: ShardCommit): void;
  shardsOf(slotId: SlotId): ShardRow[];
  /** Bytes of the shards stored in a slot (0 for an unknown slot). */
  slotBytes(slotId: SlotId): number;
  slotsOfFile(fileId: FileId): SlotRow[];
  allSlots(): SlotRow[];
  /** Every shard row, streamed from SQLite: write nothing to the index while iterating. */
  allShards(): IterableIterator<ShardRow>;
  /**
   * The ids of the slots that have shard rows, in ascending order, read in pages of `pageSize`
   * (default 512) by key, so no statement stays open between two ids: the caller may read the
   * index (and write to it) while iterating; memory is one page.
   */
  slotIdsWithShards(pageSize?: number): IterableIterator<SlotId>;
  /** Drops shard rows in one transaction (one commit, one fsync); returns how many existed. */
  deleteShards(keys: Iterable<{ slotId: SlotId; index: ShardIndex }>): number;
  /** Drops a slot's rows; returns what it held, or undefined when the slot is unknown. */
  deleteSlot(slotId: SlotId): { shards: number; bytes: number } | undefined;
  deleteShard(slotId: SlotId, index: ShardIndex): void;
  /** Drops slots left without shards (after recovery dropped their rows). */
  deleteEmptySlots(): number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS slots (
  slot_id TEXT PRIMARY KEY,
  file_id TEXT NOT NULL,
  col INTEGER NOT NULL,
  owner TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  assignment_deadline TEXT, -- decimal uint64 (beyond SQLite's signed INTEGER)
  assignment_signature TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS slots_by_file ON slots (file_id);
CREATE TABLE IF NOT EXISTS shards (
  slot_id TEXT NOT NULL REFERENCES slots (slot_id),
  idx INTEGER NOT NULL, -- shard index; -1 is the manifest
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  stored_at INTEGER NOT NULL,
  PRIMARY KEY (slot_id, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  bytes INTEGER NOT NULL,
  shards INTEGER NOT NULL,
  slots INTEGER NOT NULL
);
INSERT OR IGNORE INTO usage (id, bytes, shards, slots) VALUES (1, 0, 0, 0);
CREATE TRIGGER IF NOT EXISTS shards_inserted AFTER INSERT ON shards BEGIN
  UPDATE usage SET bytes = bytes + NEW.size, shards = shards + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS shards_deleted AFTER DELETE ON shards BEGIN
  UPDATE usage SET bytes = bytes - OLD.size, shards = shards - 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS slots_inserted AFTER INSERT ON slots BEGIN
  UPDATE usage SET slots = slots + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS slots_deleted AFTER DELETE ON slots BEGIN
  UPDATE usage SET slots = slots - 1 WHERE id = 1;
END;
`;

const MANIFEST_ROW_INDEX = -1;
const toRowIndex = (index: ShardIndex): number => (index === MANIFEST_INDEX ? MANIFEST_ROW_INDEX : index);
const fromRowIndex = (idx: number): ShardIndex => (idx === MANIFEST_ROW_INDEX ? MANIFEST_INDEX : idx);

type RawSlot = {
  slot_id: string;
  file_id: string;
  col: number;
  owner: string;
  created_at: number;
  assignment_deadline: string | null;
  assignment_signature: string | null;
};
type RawShard = { slot_id: string; idx: number; size: number; sha256: string; stored_at: number };

const toSlot = (r: RawSlot): SlotRow => ({
  slotId: r.slot_id as SlotId,
  fileId: r.file_id as FileId,
  column: r.col,
  owner: r.owner as Address,
  createdAt: r.created_at,
  ...(r.assignment_deadline !== null && r.assignment_signature !== null
    ? { assignment: { deadline: BigInt(r.assignment_deadline), signature: r.assignment_signature as Hex } }
    : {}),
});

/** Columns added after the first release, with their definitions: added to existing data dirs on open. */
const SLOT_COLUMNS_ADDED = { assignment_deadline: 'TEXT', assignment_signature: 'TEXT' } as const;

function migrate(db: BetterSqlite3.Database): void {
  const present = new Set(
    db
      .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('slots')")
      .all()
      .map((c) => c.name),
  );
  for (const [name, type] of Object.entries(SLOT_COLUMNS_ADDED)) {
    if (!present.has(name)) db.exec(`ALTER TABLE slots ADD COLUMN ${name} ${type}`);
  }
}
const toShard = (r: RawShard): ShardRow => ({ slotId: r.slot_id as SlotId, index: fromRowIndex(r.idx), size: r.size, sha256: r.sha256, storedAt: r.stored_at });

/**
 * Creates the index's tables (idempotent) on an open database and prepares its queries. The
 * database should be in WAL mode with `synchronous = FULL` (see `openNodeStore`), so that a
 * shard acknowledged to a client survives a crash or power loss.
 *
 * @example
 * const index = createSlotIndex({ db: new Database(':memory:') });
 * index.usage(); // { bytes: 0, shards: 0, slots: 0 }
 */
export function createSlotIndex(deps: { db: BetterSqlite3.Database }): SlotIndex {
  const { db } = deps;
  db.exec(SCHEMA);
  migrate(db);
  const q = {
    getSlot: db.prepare<[string], RawSlot>('SELECT * FROM slots WHERE slot_id = ?'),
    getShard: db.prepare<[string, number], RawShard>('SELECT * FROM shards WHERE slot_id = ? AND idx = ?'),
    usage: db.prepare<[], IndexUsage>('SELECT bytes, shards, slots FROM usage WHERE id = 1'),
    insertSlot: db.prepare('INSERT INTO slots (slot_id, file_id, col, owner, created_at) VALUES (?, ?, ?, ?, ?)'),
    insertShard: db.prepare('INSERT INTO shards (slot_id, idx, size, sha256, stored_at) VALUES (?, ?, ?, ?, ?)'),
    setAssignment: db.prepare('UPDATE slots SET assignment_deadline = ?, assignment_signature = ? WHERE slot_id = ?'),
    shardsOf: db.prepare<[string], RawShard>('SELECT * FROM shards WHERE slot_id = ? ORDER BY idx'),
    slotsOfFile: db.prepare<[string], RawSlot>('SELECT * FROM slots WHERE file_id = ? ORDER BY col'),
    allSlots: db.prepare<[], RawSlot>('SELECT * FROM slots ORDER BY created_at, slot_id'),
    allShards: db.prepare<[], RawShard>('SELECT * FROM shards'),
    slotIdsAfter: db.prepare<[string, number], { slot_id: string }>('SELECT DISTINCT slot_id FROM shards WHERE slot_id > ? ORDER BY slot_id LIMIT ?'),
    slotTotals: db.prepare<[string], { shards: number; bytes: number | null }>('SELECT COUNT(*) AS shards, SUM(size) AS bytes FROM shards WHERE slot_id = ?'),
    deleteShardsOf: db.prepare('DELETE FROM shards WHERE slot_id = ?'),
    deleteSlot: db.prepare('DELETE FROM slots WHERE slot_id = ?'),
    deleteShard: db.prepare('DELETE FROM shards WHERE slot_id = ? AND idx = ?'),
    deleteEmptySlots: db.prepare('DELETE FROM slots WHERE NOT EXISTS (SELECT 1 FROM shards WHERE shards.slot_id = slots.slot_id)'),
  };

  const commitShard = db.transaction((c: ShardCommit) => {
    const slot = q.getSlot.get(c.slotId);
    if (slot && slot.owner !== c.owner) {
      throw new ForbiddenError('SLOT_OWNED_BY_OTHER', 'this slot was first written by another signer', { details: { slotId: c.slotId } });
    }
    const existing = q.getShard.get(c.slotId, toRowIndex(c.index));
    if (existing) {
      throw new ShardConflictError('a shard is already stored under this index', { details: { slotId: c.slotId, index: c.index, sha256: existing.sha256 } });
    }
    const { bytes } = q.usage.get()!;
    if (bytes + c.size > c.capacityBytes) {
      throw new CapacityExceededError('the node has no room for this shard', { details: { capacityBytes: c.capacityBytes, usedBytes: bytes, size: c.size } });
    }
    if (c.maxSlotBytes !== undefined) {
      const held = q.slotTotals.get(c.slotId)?.bytes ?? 0;
      if (held + c.size > c.maxSlotBytes) {
        throw new SlotFullError('the slot would exceed the bytes per slot of its deal', {
          details: { slotId: c.slotId, bytesPerSlot: c.maxSlotBytes, heldBytes: held, size: c.size },
        });
      }
    }
    if (!slot) q.insertSlot.run(c.slotId, c.fileId, c.column, c.owner, c.now);
    q.insertShard.run(c.slotId, toRowIndex(c.index), c.size, c.sha256, c.now);
    if (c.assignment) q.setAssignment.run(String(c.assignment.deadline), c.assignment.signature, c.slotId);
  });

  const deleteSlot = db.transaction((slotId: SlotId) => {
    if (!q.getSlot.get(slotId)) return undefined;
    const totals = q.slotTotals.get(slotId)!;
    q.deleteShardsOf.run(slotId);
    q.deleteSlot.run(slotId);
    return { shards: totals.shards, bytes: totals.bytes ?? 0 };
  });

  const deleteShards = db.transaction((keys: Iterable<{ slotId: SlotId; index: ShardIndex }>) => {
    let deleted = 0;
    for (const k of keys) deleted += q.deleteShard.run(k.slotId, toRowIndex(k.index)).changes;
    return deleted;
  });

  return {
    getSlot: (slotId) => {
      const r = q.getSlot.get(slotId);
      return r && toSlot(r);
    },
    getShard: (slotId, index) => {
      const r = q.getShard.get(slotId, toRowIndex(index));
      return r && toShard(r);
    },
    usage: () => q.usage.get()!,
    commitShard: (c) => commitShard.immediate(c),
    shardsOf: (slotId) => q.shardsOf.all(slotId).map(toShard),
    slotBytes: (slotId) => q.slotTotals.get(slotId)?.bytes ?? 0,
    slotsOfFile: (fileId) => q.slotsOfFile.all(fileId).map(toSlot),
    allSlots: () => q.allSlots.all().map(toSlot),
    allShards: function* () {
      for (const r of q.allShards.iterate()) yield toShard(r);
    },
    slotIdsWithShards: function* (pageSize = 512) {
      // '' sorts before every slot id.
      let after = '';
      for (;;) {
        const page = q.slotIdsAfter.all(after, pageSize);
        for (const r of page) yield r.slot_id as SlotId;
        if (page.length < pageSize) return;
        after = page[page.length - 1].slot_id;
      }
    },
    deleteShards: (keys) => deleteShards.immediate(keys),
    deleteSlot: (slotId) => deleteSlot.immediate(slotId),
    deleteShard: (slotId, index) => {
      q.deleteShard.run(slotId, toRowIndex(index));
    },
    deleteEmptySlots: () => q.deleteEmptySlots.run().changes,
  };
}
