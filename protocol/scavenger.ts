/** V8's collector as `--expose-gc` exposes it: `{ type: 'minor' }` collects only the young generation. */
export type CollectGarbage = (options?: { type?: 'minor' | 'major' }) => void;

/** Bytes received between two young collections (see `createScavenger`). */
export const SCAVENGE_EVERY_BYTES = 2 * 1024 * 1024;

/** Growth of the collectable memory (heap in use + array buffers) since the last full collection past which another is asked for (see `createScavenger`). */
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

/**
 * The collector a caller's `collectGarbage` option asks for: the one given, `exposedGc()` when
 * none is given, none for `false`.
 *
 * @example
 * createScavenger({ gc: collectorOf(deps.collectGarbage) }, { everyBytes: SCAVENGE_EVERY_BYTES });
 */
export function collectorOf(option: CollectGarbage | false | undefined): CollectGarbage | undefined {
  return option === false ? undefined : (option ?? exposedGc());
}

/** Counts the bytes received (or sent) and asks for collections (see `createScavenger`). */
export interface Scavenger {
  /** `bytes` more were received (or sent). */
  progressed(bytes: number): void;
  /** Young collections asked for so far. */
  readonly collections: number;
  /** Full collections asked for so far (the first, then one each time the collectable memory grew past its bound). */
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
 *   64 MB later; the heap objects of a long receipt (promises, requests) pile up there too. So,
 *   when `majorAfterGrowthBytes` is given, the first young collection is followed by a full one,
 *   and the collectable memory left after it (`collectable`: heap in use plus array buffers)
 *   becomes the reference; after each later young collection, once that memory has grown by more
 *   than `majorAfterGrowthBytes` past the reference, another full collection is asked for and the
 *   reference taken again. A working set that grew for good (buffers the receiver keeps) costs one
 *   extra full collection, and a small receipt (under `everyBytes`) none.
 * - A sender (an upload) passes `young: false`: it reads few bytes from its sockets, but the heap
 *   garbage of preparing each request (signatures, headers, promises) reaches the old generation
 *   the same way; only the bound's full collections are asked for.
 *
 * Without `gc` (Node without `--expose-gc`, a browser) it does nothing.
 *
 * @example
 * const scavenger = createScavenger({ gc: exposedGc() }, { everyBytes: SCAVENGE_EVERY_BYTES, majorAfterGrowthBytes: MAJOR_AFTER_GROWTH_BYTES });
 * scavenger.progressed(shard.length);
 */
export function createScavenger(
  deps: { gc?: CollectGarbage; collectable?: () => number },
  p: {
    everyBytes: number;
    majorAfterGrowthBytes?: number;
    /** Young collections after every `everyBytes` (default true); `false` keeps only the bound's full ones (a sender, whose socket reads are few). */
    young?: boolean;
  },
): Scavenger {
  const collectable =
    deps.collectable ??
    (() => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    });
  let reference: number | undefined;
  let pending = 0;
  let collections = 0;
  let majorCollections = 0;
  return {
    progressed(bytes) {
      if (!deps.gc) return;
      pending += bytes;
      if (pending < p.everyBytes) return;
      pending = 0;
      if (p.young !== false) {
        collections++;
        deps.gc({ type: 'minor' });
      }
      if (p.majorAfterGrowthBytes === undefined) return;
      if (reference !== undefined && collectable() - reference <= p.majorAfterGrowthBytes) return;
      majorCollections++;
      deps.gc({ type: 'major' });
      reference = collectable();
    },
    get collections() {
      return collections;
    },
    get majorCollections() {
      return majorCollections;
    },
  };
}
