/** Types of the native `@ronomon/reed-solomon` addon (MIT), as its README documents them. */
declare module '@ronomon/reed-solomon' {
  /** An opaque encoding context for one (k, m); reusable concurrently. */
  export type Context = object & { readonly __reedSolomonContext?: never };
  /** Largest number of data shards. */
  export const MAX_K: number;
  /** Largest number of parity shards. */
  export const MAX_M: number;
  export function create(k: number, m: number): Context;
  /**
   * Encodes the `targets` shards (bit i: shard i; data 0..k-1 in `buffer`, parity k..k+m-1 in
   * `parity`) from the `sources` shards, in the libuv threadpool. Shard size = bufferSize / k and
   * must be a multiple of 8.
   */
  export function encode(
    context: Context,
    sources: number,
    targets: number,
    buffer: Buffer,
    bufferOffset: number,
    bufferSize: number,
    parity: Buffer,
    parityOffset: number,
    paritySize: number,
    callback: (error?: Error) => void,
  ): void;
}
