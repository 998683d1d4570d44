/** V8's collector as `--expose-gc` exposes it: `{ type: 'minor' }` collects only the young generation. */
export type CollectGarbage = (options?: { type?: 'minor' | 'major' }) => void;

/** Bytes received between two young collections during a download (see `createScavenger`). */
export const SCAVENGE_EVERY_BYTES = 2 * 1024 * 1024;

/**
 * The process's collector when Node runs with `--expose-gc` (the `dhost` command does:
 * `RUNTIME_NODE_FLAGS`), else `undefined`.
 *
 * @example
 * const gc = exposedGc(); // a function under `node --expose-gc`, undefined otherwise
 */
export function exposedGc(): CollectGarbage | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as CollectGarbage) : undefined;
}

/** Counts received bytes and asks for a young collection after every `everyBytes`. */
export interface Scavenger {
  received(bytes: number): void;
  /** Young collections asked for so far. */
  readonly collections: number;
}

/**
 * Frees the socket reads a download leaves behind. Node reads a socket into a new 64 KiB buffer
 * each time; the download copies it into its shard buffer at once, so the read is garbage a moment
 * later, but V8 frees it only with the small heap object that owns it. A download allocates little
 * heap per byte received, so young collections are rare and V8 waits until 64 MB of such memory
 * outside its heap has piled up: a client downloading 1 GiB peaked 20–60 MiB above its working set.
 * A young collection (well under a millisecond with a 1 MiB young generation) after every
 * `everyBytes` received keeps that pile to a few MiB. Without `gc` (Node without `--expose-gc`, a
 * browser) it does nothing.
 *
 * @example
 * const scavenger = createScavenger({ gc: exposedGc() }, { everyBytes: SCAVENGE_EVERY_BYTES });
 * scavenger.received(shard.length);
 */
export function createScavenger(deps: { gc?: CollectGarbage }, p: { everyBytes: number }): Scavenger {
  let pending = 0;
  let collections = 0;
  return {
    received(bytes) {
      if (!deps.gc) return;
      pending += bytes;
      if (pending < p.everyBytes) return;
      pending = 0;
      collections++;
      deps.gc({ type: 'minor' });
    },
    get collections() {
      return collections;
    },
  };
}
