/**
 * Reusable buffers for the rows an upload makes (a stripe's k + m shards, or a chunk's copies
 * under replication), so that a long upload does not allocate a new megabyte per shard. Shards
 * live until their PUTs answer — long enough for the garbage collector to move them to its old
 * generation, where dead ones wait for a full collection (tens of megabytes of them at a time).
 * Reused, they never become garbage.
 */
export interface RowBuffers {
  /** A buffer of `rowBytes`: a kept one when there is one, else a new one. */
  take(): Buffer;
  /** Gives back a buffer nothing reads any more; kept while fewer than `keep` are waiting. */
  give(buffer: Buffer): void;
  /** Buffers made so far (kept or in use). */
  readonly made: number;
}

/**
 * A pool of row buffers of one size.
 *
 * @example
 * const rows = rowBuffers({ rowBytes: 6 * (1048576 + 16), keep: 8 });
 * const row = rows.take(); // … fill, send, and once every PUT of it answered:
 * rows.give(row);
 */
export function rowBuffers(params: { rowBytes: number; keep: number }): RowBuffers {
  const free: Buffer[] = [];
  let made = 0;
  return {
    take() {
      const kept = free.pop();
      if (kept) return kept;
      made += 1;
      return Buffer.allocUnsafeSlow(params.rowBytes);
    },
    give(buffer) {
      if (buffer.length !== params.rowBytes || free.includes(buffer)) return;
      if (free.length < params.keep) free.push(buffer);
    },
    get made() {
      return made;
    },
  };
}
