import path from 'node:path';
import Database from 'better-sqlite3';
import type { Scavenger } from '../../protocol/scavenger';
import { nodeDefaults } from '../config';
import { createMarketState, type MarketState } from './market-state';
import { createNonceStore, type NonceStore } from './nonce-store';
import { type RecoveryReport, recoverStore } from './recover';
import { createSlotIndex, type SlotIndex } from './slot-index';
import { createSlotStore, type SlotStore } from './slot-store';
import { createUsageHistory, type UsageHistory } from './usage-history';

/** An opened, recovered data directory: what `createNodeApp` needs. */
export interface NodeStore {
  store: SlotStore;
  index: SlotIndex;
  nonces: NonceStore;
  /** Marketplace bookkeeping: log cursor, committed and filled slots with their trees. */
  market: MarketState;
  /** Usage samples over time (the operator dashboard's chart). */
  usageHistory: UsageHistory;
  /** What recovery repaired while opening. */
  recovery: RecoveryReport;
  /** Closes the SQLite database. Idempotent. */
  close(): void;
}

/**
 * Opens a node's data directory: creates its layout, opens the SQLite index (WAL,
 * `synchronous = FULL` so that an acknowledged shard survives power loss), recovers from any
 * crash (see `recoverStore`) and forgets expired nonces.
 *
 * Nonces are written through a second connection to the same database with `synchronous =
 * NORMAL`: a nonce's commit does not wait for the disk (it survives a crash of the process at
 * once, being in the WAL), and it reaches the disk with the next commit of the index, which
 * syncs the whole WAL. A signed write that stored anything thus has its nonce on disk no later
 * than its shard row; only a request that changed nothing can lose its nonce to a power cut, and
 * replaying it can do no more than what its signer signed. This saves one blocking fsync per
 * signed request.
 *
 * @example
 * const nodeStore = await openNodeStore({ dataDir: './data/node1' });
 * const app = createNodeApp({ ...nodeStore, identity, limits });
 * // …
 * nodeStore.close();
 */
export async function openNodeStore(params: { dataDir: string; now?: () => number; scavenger?: Pick<Scavenger, 'progressed'> }): Promise<NodeStore> {
  const store = await createSlotStore({ dataDir: params.dataDir, scavenger: params.scavenger });
  const file = path.join(store.dataDir, nodeDefaults.indexFileName);
  const db = new Database(file);
  let nonceDb: Database.Database | undefined;
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    const index = createSlotIndex({ db });
    nonceDb = new Database(file);
    nonceDb.pragma('synchronous = NORMAL');
    nonceDb.pragma('busy_timeout = 5000');
    const nonces = createNonceStore({ db: nonceDb });
    const market = createMarketState({ db });
    const usageHistory = createUsageHistory({ db });
    const recovery = await recoverStore({ store, index });
    nonces.prune(Math.floor((params.now ?? Date.now)() / 1000));
    return {
      store,
      index,
      nonces,
      market,
      usageHistory,
      recovery,
      close: () => {
        if (nonceDb?.open) nonceDb.close();
        if (db.open) db.close();
      },
    };
  } catch (error) {
    nonceDb?.close();
    db.close();
    throw error;
  }
}
