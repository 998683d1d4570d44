/** V8's collector as `--expose-gc` exposes it: `{ type: 'minor' }` collects only the young generation. */
export type CollectGarbage = (options?: { type?: 'minor' | 'major' }) => void;

/** Bytes received between two young collections (see `createScavenger`). */
export const SCAVENGE_EVERY_BYTES = 2 * 1024 * 1024;

/** Growth of array-buffer memory since the last full collection past which another is asked for (see `createScavenger`). */
export const MAJOR_AFTER_GROWTH_BYTES = 16 * 1024 * 1024;

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

/** Counts received bytes and asks for collections (see `createScavenger`). */
export interface Scavenger {
  received(bytes: number): void;
  /** Young collections asked for so far. */
  readonly collections: number;
  /** Full collections asked for so far (the first, then one each time array-buffer memory grew past its bound). */
  readonly majorCollections: number;
}

/**
 * Frees the socket reads that receiving many bytes leaves behind (a client's download, a node's
 * shard uploads). Node reads a socket into a new 64 KiB buffer each time; the receiver copies or
 * writes it out at once, so the read is garbage a moment later, but V8 frees it only with the small
 * heap object that owns it. Receiving allocates little heap per byte, so young collections are rare
 * and V8 waits until 64 MB of such memory outside its heap has piled up: a client downloading 1 GiB
 * peaked 20–60 MiB above its working set.
 *
 * - After every `everyBytes` received: a young collection (about a millisecond with a 1 MiB young
 *   generation: some 0.6 s of CPU per GiB received), which frees the reads still owned by young
 *   objects.
 * - A read whose owner lived through two young collections (it waited in a stream while the
 *   process was busy) sits in the old generation until a full collection, which V8 starts only
 *   64 MB later. So, when `majorAfterGrowthBytes` is given, the first young collection is followed
 *   by a full one, and the process's array-buffer memory left after it (`arrayBuffers`) becomes
 *   the reference; after each later young collection, once that memory has grown by more than
 *   `majorAfterGrowthBytes` past the reference, another full collection is asked for and the
 *   reference taken again. A working set that grew for good (buffers the receiver keeps) costs one
 *   extra full collection, and a small receipt (under `everyBytes`) none.
 *
 * Without `gc` (Node without `--expose-gc`, a browser) it does nothing.
 *
 * @example
 * const scavenger = createScavenger({ gc: exposedGc() }, { everyBytes: SCAVENGE_EVERY_BYTES, majorAfterGrowthBytes: MAJOR_AFTER_GROWTH_BYTES });
 * scavenger.received(shard.length);
 */
export function createScavenger(
  deps: { gc?: CollectGarbage; arrayBuffers?: () => number },
  p: { everyBytes: number; majorAfterGrowthBytes?: number },
): Scavenger {
  const arrayBuffers = deps.arrayBuffers ?? (() => process.memoryUsage().arrayBuffers);
  let reference: number | undefined;
  let pending = 0;
  let collections = 0;
  let majorCollections = 0;
  return {
    received(bytes) {
      if (!deps.gc) return;
      pending += bytes;
      if (pending < p.everyBytes) return;
      pending = 0;
      collections++;
      deps.gc({ type: 'minor' });
      if (p.majorAfterGrowthBytes === undefined) return;
      if (reference !== undefined && arrayBuffers() - reference <= p.majorAfterGrowthBytes) return;
      majorCollections++;
      deps.gc({ type: 'major' });
      reference = arrayBuffers();
    },
    get collections() {
      return collections;
    },
    get majorCollections() {
      return majorCollections;
    },
  };
}
