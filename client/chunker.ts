import { MAX_SHARD_INDEX } from '../protocol/column';
import { defaults } from '../protocol/config';
import { InvalidInputError } from '../protocol/errors';
import { FileChangedError } from './errors';

/** One plaintext chunk, zero-padded to the chunk size. */
export interface Chunk {
  index: number;
  /** Exactly `chunkSize` bytes; the last chunk's tail after `length` is zeros. */
  plaintext: Uint8Array;
  /** The true number of file bytes in this chunk. */
  length: number;
  isLast: boolean;
}

/**
 * Checks a chunk size against the protocol bounds (`defaults.minChunkSize`..`maxChunkSize`).
 *
 * @example
 * checkChunkSize(1024 * 1024); // ok
 */
export function checkChunkSize(chunkSize: number): void {
  if (!Number.isInteger(chunkSize) || chunkSize < defaults.minChunkSize || chunkSize > defaults.maxChunkSize) {
    throw new InvalidInputError(`chunk size must be an integer in [${defaults.minChunkSize}, ${defaults.maxChunkSize}]`, { details: { chunkSize } });
  }
}

/**
 * The number of chunks of a file: ceil(size / chunkSize); a 0-byte file has none (its column holds
 * the manifest only).
 *
 * @example
 * chunkCountOf(0, 1024); // 0
 * chunkCountOf(1025, 1024); // 2
 */
export function chunkCountOf(size: number, chunkSize: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new InvalidInputError('file size must be a non-negative safe integer', { details: { size } });
  const count = Math.ceil(size / chunkSize);
  if (count > MAX_SHARD_INDEX + 1) throw new InvalidInputError('file has more chunks than a column can index', { details: { size, chunkSize } });
  return count;
}

/**
 * The true length of a file's last chunk (0 for an empty file).
 *
 * @example
 * lastChunkLengthOf(1025, 1024); // 1
 */
export function lastChunkLengthOf(size: number, chunkSize: number): number {
  if (size === 0) return 0;
  return size - (chunkCountOf(size, chunkSize) - 1) * chunkSize;
}

/**
 * Cuts a byte stream into chunks of `chunkSize`, however the input is sliced, holding at most one
 * chunk. The last chunk is zero-padded. A chunk that lies whole inside one input piece is a view of
 * that piece (no copy), so the input must not reuse the memory of a piece it has handed on (file
 * streams and `bytesSource` do not); the others are fresh buffers. The stream must have exactly `size` bytes, otherwise
 * `FileChangedError` (the file grew or shrank while it was read).
 *
 * @example
 * for await (const chunk of chunkStream(source.open(), { size: source.size, chunkSize: 1 << 20 })) {
 *   send(chunk.index, chunk.plaintext);
 * }
 */
export async function* chunkStream(input: AsyncIterable<Uint8Array>, params: { size: number; chunkSize: number; signal?: AbortSignal }): AsyncIterable<Chunk> {
  const { size, chunkSize } = params;
  checkChunkSize(chunkSize);
  const count = chunkCountOf(size, chunkSize);
  let index = 0;
  let buffer: Buffer = Buffer.alloc(chunkSize);
  let filled = 0;
  let total = 0;
  for await (const piece of input) {
    params.signal?.throwIfAborted();
    total += piece.length;
    if (total > size) throw new FileChangedError(`the source has more than its announced ${size} bytes`, { details: { size } });
    let offset = 0;
    while (offset < piece.length) {
      if (filled === 0 && piece.length - offset >= chunkSize && index < count - 1) {
        // A whole chunk inside one piece (a file read with chunk-sized reads): handed on as a view, not copied.
        yield { index, plaintext: piece.subarray(offset, offset + chunkSize), length: chunkSize, isLast: false };
        index += 1;
        offset += chunkSize;
        continue;
      }
      const n = Math.min(chunkSize - filled, piece.length - offset);
      buffer.set(piece.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === chunkSize && index < count - 1) {
        yield { index, plaintext: buffer, length: chunkSize, isLast: false };
        index += 1;
        buffer = Buffer.alloc(chunkSize);
        filled = 0;
      }
    }
  }
  if (total !== size) throw new FileChangedError(`the source ended after ${total} of its announced ${size} bytes`, { details: { size, read: total } });
  if (count > 0) yield { index, plaintext: buffer, length: filled, isLast: true };
}
