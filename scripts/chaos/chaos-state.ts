import type { FileId } from '../../protocol/ids';

/** One file of a chaos run, as the driver tracks it. */
export interface ChaosFile {
  index: number;
  size: number;
  /** SHA-256 (hex) of the bytes uploaded. */
  sha256: string;
  /** Which user account uploaded it (index into the run's users). */
  user: number;
  /** Set once an upload succeeded. */
  handle?: string;
  fileId?: FileId;
  stripes: number;
  /** Column → peer index holding it (updated by repairs). */
  holders: Map<number, number>;
  /** Column → peer index whose copy of that column had a shard corrupted (counts while that peer still holds the column). */
  corrupt: Map<number, number>;
  uploadErrors: string[];
}

/** Why a peer is out of service right now. */
export type OutageKind = 'killed' | 'killedLong' | 'paused';

/** What the fault scheduler and the workers share: files, outages and the redundancy's tolerance. */
export interface ChaosState {
  files: ChaosFile[];
  /** Peer index → why it is out (killed, paused, or restarting after a kill). */
  outage: Map<number, OutageKind>;
  /** Uploads in progress (their placement is not known yet). */
  uploading: number;
  /** Columns a file may lose at once and still be read: m under RS(k, m), r − 1 under replication. */
  tolerance: number;
  /** k under RS(k, m), 1 under replication. */
  dataColumns: number;
  /** Most peers out at once: the tolerance, and never so many that fewer than n + 1 peers serve (uploads and repairs keep a spare). */
  maxOut: number;
}

/**
 * Columns of `file` out of service if the peers in `down` are out: held by one of them, or holding a
 * corrupted shard (while the corrupted copy is still the column's holder).
 *
 * @example
 * badColumns(file, new Set([3])); // 1 when peer 3 holds one column and nothing is corrupt
 */
export function badColumns(file: ChaosFile, down: ReadonlySet<number>): number {
  let bad = 0;
  for (const [column, peer] of file.holders) {
    if (down.has(peer) || file.corrupt.get(column) === peer) bad += 1;
  }
  return bad;
}

/**
 * Whether taking peer `peer` out of service (kill or pause) keeps every file within tolerance: no
 * uploaded file would have more than `tolerance` bad columns, and (for uploads whose placement is
 * not known yet) no more than `tolerance` peers — nor more than `maxOut` — would be out at once.
 *
 * @example
 * if (mayTakeDown(state, 4)) kill(4);
 */
export function mayTakeDown(state: ChaosState, peer: number): boolean {
  if (state.outage.has(peer)) return false;
  const down = new Set([...state.outage.keys(), peer]);
  if (down.size > Math.min(state.tolerance, state.maxOut)) return false;
  return state.files.every((f) => f.handle === undefined || badColumns(f, down) <= state.tolerance);
}

/**
 * Whether one more corrupted column of `file` keeps it within tolerance (at most one corruption per
 * file, so that outages still have room).
 *
 * @example
 * const candidates = state.files.filter((f) => mayCorrupt(state, f));
 */
export function mayCorrupt(state: ChaosState, file: ChaosFile): boolean {
  if (file.handle === undefined || file.stripes === 0) return false;
  if ([...file.corrupt].some(([column, peer]) => file.holders.get(column) === peer)) return false;
  return badColumns(file, new Set(state.outage.keys())) + 1 <= state.tolerance;
}
