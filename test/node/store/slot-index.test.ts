import Database from 'better-sqlite3';
import { expect } from 'chai';
import type { Hex } from 'viem';
import { SlotFullError } from '../../../node/errors';
import { createSlotIndex } from '../../../node/store/slot-index';
import { randomFileId, slotIdOf } from '../../../protocol/ids';

const OWNER = '0x1111111111111111111111111111111111111111';
const SIGNATURE = `0x${'ab'.repeat(65)}` as Hex;

describe('node/store/slot-index', () => {
  const fileId = randomFileId();
  const slotId = slotIdOf(fileId, 0);
  const commit = (index: number, size: number, extra: { maxSlotBytes?: number; assignment?: { deadline: bigint; signature: Hex } } = {}) => ({
    slotId,
    fileId,
    column: 0,
    owner: OWNER as Hex,
    index,
    size,
    sha256: String(index).padStart(64, '0'),
    capacityBytes: 1 << 20,
    now: 1,
    ...extra,
  });

  describe('when a data dir was made before deals (no assignment columns)', () => {
    it('adds the columns on open and keeps the old rows, without an assignment', () => {
      const db = new Database(':memory:');
      db.exec(`CREATE TABLE slots (slot_id TEXT PRIMARY KEY, file_id TEXT NOT NULL, col INTEGER NOT NULL, owner TEXT NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO slots VALUES ('${slotId}', '${fileId}', 0, '${OWNER}', 7);`);
      const index = createSlotIndex({ db });
      const columns = db
        .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('slots')")
        .all()
        .map((c) => c.name);
      expect(columns).to.include.members(['assignment_deadline', 'assignment_signature']);
      expect(index.getSlot(slotId)).to.deep.equal({ slotId, fileId, column: 0, owner: OWNER, createdAt: 7 });
      // Opening again is idempotent.
      createSlotIndex({ db });
    });
  });

  describe('when a shard arrives with an assignment', () => {
    it('stores the assignment with the slot, the latest one winning, deadlines beyond 2^63 intact', () => {
      const index = createSlotIndex({ db: new Database(':memory:') });
      index.commitShard(commit(0, 10, { assignment: { deadline: 5n, signature: SIGNATURE } }));
      expect(index.getSlot(slotId)?.assignment).to.deep.equal({ deadline: 5n, signature: SIGNATURE });
      index.commitShard(commit(1, 10, { assignment: { deadline: 2n ** 64n - 1n, signature: SIGNATURE } }));
      expect(index.getSlot(slotId)?.assignment).to.deep.equal({ deadline: 2n ** 64n - 1n, signature: SIGNATURE });
    });
  });

  describe('when a shard would overflow the deal’s bytes per slot', () => {
    it('refuses it with SlotFullError in the commit and records nothing', () => {
      const index = createSlotIndex({ db: new Database(':memory:') });
      index.commitShard(commit(0, 600, { maxSlotBytes: 1000 }));
      expect(() => index.commitShard(commit(1, 401, { maxSlotBytes: 1000 }))).to.throw(SlotFullError);
      expect(index.slotBytes(slotId)).to.equal(600);
      index.commitShard(commit(1, 400, { maxSlotBytes: 1000 }));
      expect(index.slotBytes(slotId)).to.equal(1000);
    });
  });
});
