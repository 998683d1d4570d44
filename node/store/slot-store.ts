import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST_INDEX, parseShardIndex, type ShardIndex } from '../../protocol/column';
import { parseSlotId, type SlotId } from '../../protocol/ids';
import type { Scavenger } from '../../protocol/scavenger';
import { BodyLengthMismatchError, ShardTooLargeError } from '../errors';

/** A shard received into `<data>/tmp`, hashed and fsynced, not yet in place. */
export interface TempShard {
  path: string;
  size: number;
  /** SHA-256 of the bytes, 64 lowercase hex digits. */
  sha256: string;
}

/** A file found under `<data>/slots` by `walk`. */
export interface StoredFile {
  path: string;
  /** Undefined when the name is not a slot id / shard index (a stray file). */
  slotId?: SlotId;
  index?: ShardIndex;
  size: number;
}

/** An entry directly under a prefix of `<data>/slots`, as `scanSlots` finds it, in slot id order. */
export type ScannedEntry =
  /** Named like a slot directory (`<2 hex>/<slotId>`); not yet read, so it may still be a file. */
  | { kind: 'slot'; slotId: SlotId; path: string }
  /** Anything else: a stray file or directory (delete it whole). */
  | { kind: 'stray'; path: string };

/** The node's shards on disk: `<data>/slots/<2 hex>/<slotId>/<index>`, written through `<data>/tmp`. */
export interface SlotStore {
  readonly dataDir: string;
  readonly tmpDir: string;
  readonly slotsDir: string;
  shardPath(slotId: SlotId, index: ShardIndex): string;
  /**
   * Streams a body into a temporary file, hashing it as it goes and refusing more than
   * `maxBytes` (`ShardTooLargeError`) or a length other than `declaredLength`
   * (`BodyLengthMismatchError`). The file is fsynced before this returns; on any failure it is
   * removed. Aborting `signal` (the client hung up) fails it with `BodyLengthMismatchError`.
   */
  receive(params: { body: AsyncIterable<Uint8Array> | null; maxBytes: number; declaredLength?: number; signal?: AbortSignal }): Promise<TempShard>;
  /** Renames a received shard into place and fsyncs the directory. Overwrites: call under the slot's lock. */
  place(params: { temp: TempShard; slotId: SlotId; index: ShardIndex }): Promise<void>;
  /** Removes a file if it exists. */
  discard(file: string): Promise<void>;
  /** Opens a shard for reading; rejects with ENOENT when absent. */
  open(slotId: SlotId, index: ShardIndex): Promise<fs.FileHandle>;
  /** Removes a slot's directory and everything in it. */
  removeSlot(slotId: SlotId): Promise<void>;
  /** Every file under `slots/` (tests and tools; recovery uses `scanSlots`). */
  walk(): AsyncIterable<StoredFile>;
  /**
   * The slot directories under `slots/` in ascending slot id order (the order of the index's
   * primary key), and the stray entries among them, without reading inside the slot directories:
   * one `readdir` per prefix, so recovery can merge them with the index and read the slots in parallel.
   */
  scanSlots(): AsyncIterable<ScannedEntry>;
  /** Removes everything in `tmp/`; returns how many entries. */
  emptyTmp(): Promise<number>;
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Iterates a request body, turning a failure of the body itself (client gone) into a named 400. */
async function* readBody(body: AsyncIterable<Uint8Array>, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]();
  let done = false;
  // A client that hangs up does not always make the body fail: the request's signal says so.
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal?.reason ?? new Error('request aborted'));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await Promise.race([iterator.next(), aborted]);
      } catch (cause) {
        done = true;
        throw new BodyLengthMismatchError('the request body was cut off', { cause });
      }
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    // Not awaited: after an abort a read may still be pending, and a stream's return() waits for it.
    if (!done) iterator.return?.()?.catch(() => {});
  }
}

function parseName<T>(parse: (value: string) => T, value: string): T | undefined {
  try {
    return parse(value);
  } catch {
    return undefined;
  }
}

/**
 * Creates the data directory layout (idempotent) and returns the disk side of the store.
 *
 * @example
 * const store = await createSlotStore({ dataDir: '/var/lib/dhost' });
 * const temp = await store.receive({ body: request.body, maxBytes: 17 << 20 });
 * await store.place({ temp, slotId, index: 0 });
 */
export async function createSlotStore(params: {
  dataDir: string;
  /**
   * Told the size of every piece of a body received, to keep the socket reads Node leaves behind
   * from piling up (see `createScavenger`; `startNode` passes one for the process).
   */
  scavenger?: Pick<Scavenger, 'progressed'>;
}): Promise<SlotStore> {
  const dataDir = path.resolve(params.dataDir);
  const tmpDir = path.join(dataDir, 'tmp');
  const slotsDir = path.join(dataDir, 'slots');
  await fs.mkdir(tmpDir, { recursive: true });
  await fs.mkdir(slotsDir, { recursive: true });
  const slotDir = (slotId: SlotId) => path.join(slotsDir, slotId.slice(2, 4), slotId);
  const shardPath = (slotId: SlotId, index: ShardIndex) => path.join(slotDir(slotId), index === MANIFEST_INDEX ? MANIFEST_INDEX : String(index));

  return {
    dataDir,
    tmpDir,
    slotsDir,
    shardPath,

    async receive({ body, maxBytes, declaredLength, signal }) {
      const file = path.join(tmpDir, `${randomBytes(12).toString('hex')}.part`);
      const handle = await fs.open(file, 'wx');
      const hash = createHash('sha256');
      let size = 0;
      try {
        if (body) {
          for await (const chunk of readBody(body, signal)) {
            size += chunk.byteLength;
            if (size > maxBytes) throw new ShardTooLargeError(`shard is larger than ${maxBytes} bytes`, { details: { maxShardBytes: maxBytes } });
            if (declaredLength !== undefined && size > declaredLength) {
              throw new BodyLengthMismatchError('body is longer than its Content-Length', { details: { declared: declaredLength } });
            }
            hash.update(chunk);
            await handle.write(chunk);
            params.scavenger?.progressed(chunk.byteLength);
          }
        }
        if (declaredLength !== undefined && size !== declaredLength) {
          throw new BodyLengthMismatchError(`body has ${size} bytes but Content-Length says ${declaredLength}`, {
            details: { declared: declaredLength, received: size },
          });
        }
        await handle.sync();
        await handle.close();
      } catch (error) {
        await handle.close().catch(() => {});
        await fs.rm(file, { force: true });
        throw error;
      }
      return { path: file, size, sha256: hash.digest('hex') };
    },

    async place({ temp, slotId, index }) {
      const dir = slotDir(slotId);
      const created = await fs.mkdir(dir, { recursive: true });
      if (created) {
        // New directories must be durable too, or the renamed file could vanish with them.
        await fsyncDir(path.dirname(dir));
        await fsyncDir(slotsDir);
      }
      await fs.rename(temp.path, shardPath(slotId, index));
      await fsyncDir(dir);
    },

    discard: (file) => fs.rm(file, { force: true }),

    open: (slotId, index) => fs.open(shardPath(slotId, index), 'r'),

    removeSlot: (slotId) => fs.rm(slotDir(slotId), { recursive: true, force: true }),

    async *walk() {
      for (const prefix of await fs.readdir(slotsDir)) {
        const prefixDir = path.join(slotsDir, prefix);
        if (!(await fs.stat(prefixDir)).isDirectory()) {
          yield { path: prefixDir, size: 0 };
          continue;
        }
        for (const slotName of await fs.readdir(prefixDir)) {
          const dir = path.join(prefixDir, slotName);
          const slotId = parseName(parseSlotId, slotName);
          const stat = await fs.stat(dir);
          if (!stat.isDirectory() || slotId === undefined || slotName.slice(2, 4) !== prefix) {
            yield { path: dir, size: stat.size };
            continue;
          }
          for (const name of await fs.readdir(dir)) {
            const file = path.join(dir, name);
            const index = parseName(parseShardIndex, name);
            const fileStat = await fs.stat(file);
            yield { path: file, size: fileStat.size, ...(index !== undefined && fileStat.isFile() ? { slotId, index } : {}) };
          }
        }
      }
    },

    async *scanSlots() {
      // Byte order: the index sorts slot ids the same way (SQLite's BINARY collation on ASCII).
      const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      for (const prefix of (await fs.readdir(slotsDir)).sort(byteOrder)) {
        const prefixDir = path.join(slotsDir, prefix);
        let names: string[];
        try {
          names = await fs.readdir(prefixDir);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
          yield { kind: 'stray', path: prefixDir };
          continue;
        }
        for (const name of names.sort(byteOrder)) {
          const dir = path.join(prefixDir, name);
          const slotId = parseName(parseSlotId, name);
          if (slotId === undefined || name.slice(2, 4) !== prefix) yield { kind: 'stray', path: dir };
          else yield { kind: 'slot', slotId, path: dir };
        }
      }
    },

    async emptyTmp() {
      const entries = await fs.readdir(tmpDir);
      for (const entry of entries) await fs.rm(path.join(tmpDir, entry), { recursive: true, force: true });
      return entries.length;
    },
  };
}
