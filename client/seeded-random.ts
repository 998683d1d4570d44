/**
 * A small seeded pseudo-random source (mulberry32) returning numbers in [0, 1), for tests and
 * benchmarks that inject `random` into placement. Not for keys or anything secret.
 *
 * @example
 * const random = seededRandom(42);
 * await placeColumns({ peers, random }, { columns: 6, columnBytes, shardBytes });
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
