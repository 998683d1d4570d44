import fs from 'node:fs/promises';
import type { SlotIndex } from './slot-index';
import type { SlotStore } from './slot-store';

/** What recovery found and repaired. */
export interface RecoveryReport {
  /** Entries removed from `tmp/`: uploads cut off by a crash. */
  tmpRemoved: number;
  /** Index rows dropped because their file was missing or had the wrong size. */
  rowsDropped: number;
  /** Files dropped because no index row names them (crash between rename and insert, stray files). */
  filesDropped: number;
  /** Slot rows dropped because none of their shards survived. */
  slotsDropped: number;
}

/**
 * Brings disk and index back into agreement after any stop, clean or `kill -9`: empties
 * `tmp/`, drops index rows whose file is missing or has the wrong size, then deletes files that
 * have no index row. Afterwards every row names a complete file and every file has a row, so
 * nothing partial is ever served and every acknowledged shard is kept.
 *
 * @example
 * const report = await recoverStore({ store, index });
 * if (report.rowsDropped) log(`dropped ${report.rowsDropped} index rows without a file`);
 */
export async function recoverStore(deps: { store: Pick<SlotStore, 'emptyTmp' | 'shardPath' | 'walk'>; index: SlotIndex }): Promise<RecoveryReport> {
  const { store, index } = deps;
  const tmpRemoved = await store.emptyTmp();

  let rowsDropped = 0;
  for (const row of index.allShards()) {
    const size = await fs.stat(store.shardPath(row.slotId, row.index)).then(
      (s) => (s.isFile() ? s.size : -1),
      () => -1,
    );
    if (size !== row.size) {
      index.deleteShard(row.slotId, row.index);
      rowsDropped++;
    }
  }

  let filesDropped = 0;
  for await (const file of store.walk()) {
    if (file.slotId === undefined || file.index === undefined || !index.getShard(file.slotId, file.index)) {
      await fs.rm(file.path, { recursive: true, force: true });
      filesDropped++;
    }
  }

  const slotsDropped = index.deleteEmptySlots();
  return { tmpRemoved, rowsDropped, filesDropped, slotsDropped };
}
