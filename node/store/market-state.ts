import type BetterSqlite3 from 'better-sqlite3';
import type { Hex } from 'viem';
import type { FileId, SlotId } from '../../protocol/ids';

/** Where a slot this node holds stands in the marketplace, as the node recorded it. */
export type MarketSlotState =
  /** The owner committed the deal root; the node has not filled the slot yet. */
  | 'committed'
  /** The node filled the slot on chain and keeps its tree for proofs. */
  | 'filled'
  /** The committed slot root is not the root of what this node received: never filled. */
  | 'mismatch'
  /** The fill was refused on chain (see the log); not retried. */
  | 'failed'
  /** The deal ended, the collateral came back and the data was deleted. */
  | 'done';

/** A slot of a committed deal that this node holds. */
export interface MarketSlotRow {
  slotId: SlotId;
  dealId: FileId;
  column: number;
  state: MarketSlotState;
  /** The slot root committed on chain for this column. */
  slotRoot: Hex;
  /** The proof of `slotRoot` in the deal root (bottom-up). */
  rootProof: Hex[];
  segmentCount: number;
  /** Kept tree level and its nodes, once filled (what `proveSegment` needs besides the bytes). */
  tree?: { keptLevel: number; keptNodes: Uint8Array[] };
}

/** The node's marketplace bookkeeping in its SQLite database; survives restarts. */
export interface MarketState {
  /** Records a committed slot (ignored when already known). */
  recordCommit(row: Omit<MarketSlotRow, 'state' | 'tree'>): void;
  get(slotId: SlotId): MarketSlotRow | undefined;
  inState(state: MarketSlotState): MarketSlotRow[];
  markFilled(slotId: SlotId, tree: { keptLevel: number; keptNodes: Uint8Array[] }): void;
  setState(slotId: SlotId, state: Exclude<MarketSlotState, 'filled'>): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS market_slots (
  slot_id TEXT PRIMARY KEY,
  deal_id TEXT NOT NULL,
  col INTEGER NOT NULL,
  state TEXT NOT NULL,
  slot_root TEXT NOT NULL,
  root_proof TEXT NOT NULL, -- JSON array of 0x-hex nodes
  segment_count INTEGER NOT NULL,
  kept_level INTEGER,
  kept_nodes BLOB -- the kept level's nodes, 32 bytes each, concatenated
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS market_slots_by_state ON market_slots (state);
`;

type Raw = {
  slot_id: string;
  deal_id: string;
  col: number;
  state: string;
  slot_root: string;
  root_proof: string;
  segment_count: number;
  kept_level: number | null;
  kept_nodes: Buffer | null;
};

const toRow = (r: Raw): MarketSlotRow => {
  const row: MarketSlotRow = {
    slotId: r.slot_id as SlotId,
    dealId: r.deal_id as FileId,
    column: r.col,
    state: r.state as MarketSlotState,
    slotRoot: r.slot_root as Hex,
    rootProof: JSON.parse(r.root_proof) as Hex[],
    segmentCount: r.segment_count,
  };
  if (r.kept_level !== null && r.kept_nodes !== null) {
    const keptNodes: Uint8Array[] = [];
    for (let at = 0; at < r.kept_nodes.length; at += 32) keptNodes.push(new Uint8Array(r.kept_nodes.subarray(at, at + 32)));
    row.tree = { keptLevel: r.kept_level, keptNodes };
  }
  return row;
};

/**
 * Creates the marketplace tables (idempotent) on the node's open database.
 *
 * @example
 * const market = createMarketState({ db });
 * market.inState('committed');
 */
export function createMarketState(deps: { db: BetterSqlite3.Database }): MarketState {
  const { db } = deps;
  db.exec(SCHEMA);
  const q = {
    insert: db.prepare(
      "INSERT OR IGNORE INTO market_slots (slot_id, deal_id, col, state, slot_root, root_proof, segment_count) VALUES (?, ?, ?, 'committed', ?, ?, ?)",
    ),
    get: db.prepare<[string], Raw>('SELECT * FROM market_slots WHERE slot_id = ?'),
    inState: db.prepare<[string], Raw>('SELECT * FROM market_slots WHERE state = ? ORDER BY deal_id, col'),
    markFilled: db.prepare("UPDATE market_slots SET state = 'filled', kept_level = ?, kept_nodes = ? WHERE slot_id = ?"),
    setState: db.prepare('UPDATE market_slots SET state = ? WHERE slot_id = ?'),
  };
  return {
    recordCommit: (row) => {
      q.insert.run(row.slotId, row.dealId, row.column, row.slotRoot, JSON.stringify(row.rootProof), row.segmentCount);
    },
    get: (slotId) => {
      const r = q.get.get(slotId);
      return r && toRow(r);
    },
    inState: (state) => q.inState.all(state).map(toRow),
    markFilled: (slotId, tree) => {
      q.markFilled.run(tree.keptLevel, Buffer.concat(tree.keptNodes), slotId);
    },
    setState: (slotId, state) => {
      q.setState.run(state, slotId);
    },
  };
}
