/**
 * Reusable buffers for the rows an upload makes (and the shards a download receives) (a stripe's k + m shards, or a chunk's copies
 * under replication), so that a long upload does not allocate a new megabyte per shard. Shards
 * live until their PUTs answer — long enough for the garbage collector to move them to its old
 * generation, where dead ones wait for a full collection (tens of megabytes of them at a time).
 * Reused, they never become garbage.
 */
export interface RowBuffers {
  /** A buffer of `rowBytes`: a kept one when there is one, else a new one. */
  take(): Buffer;
  /**
   * Gives back a buffer nothing reads any more; kept while fewer than `keep` are waiting. Anything
   * that is not a whole buffer of `rowBytes` (a view into a larger one) is ignored.
   */
  give(buffer: Uint8Array): void;
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
      const whole = Buffer.isBuffer(buffer) && buffer.byteOffset === 0 && buffer.length === params.rowBytes && buffer.buffer.byteLength === params.rowBytes;
      if (!whole || free.includes(buffer as Buffer)) return;
      if (free.length < params.keep) free.push(buffer as Buffer);
    },
    get made() {
      return made;
    },
  };
}
