import path from 'node:path';
import Database from 'better-sqlite3';
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
 * @example
 * const nodeStore = await openNodeStore({ dataDir: './data/node1' });
 * const app = createNodeApp({ ...nodeStore, identity, limits });
 * // …
 * nodeStore.close();
 */
export async function openNodeStore(params: { dataDir: string; now?: () => number }): Promise<NodeStore> {
  const store = await createSlotStore({ dataDir: params.dataDir });
  const db = new Database(path.join(store.dataDir, nodeDefaults.indexFileName));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    const index = createSlotIndex({ db });
    const nonces = createNonceStore({ db });
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
        if (db.open) db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
