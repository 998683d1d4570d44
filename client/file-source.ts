import { open, stat } from 'node:fs/promises';
import { InvalidInputError } from '../protocol/errors';

/**
 * A file to upload: its size, and a way to read it from the start, as often as needed (a column
 * that moves to a spare peer is re-sent by reading the source again). A piece `open()` yields may
 * be a view of a buffer the source reuses: it stays valid until the iterator is advanced twice.
 */
export interface FileSource {
  size: number;
  open(): AsyncIterable<Uint8Array>;
}

/** Bytes read from a file at a time. */
const READ_BYTES = 1024 * 1024;

/**
 * A file on disk as a re-openable source. The size is taken now; a file that grows or shrinks
 * later makes the upload fail with `FileChangedError`. Each reading pass reads 1 MiB at a time into
 * two buffers it alternates between, so a long upload allocates no megabyte per read.
 *
 * @example
 * const source = await fileSource('./photo.jpg');
 * await upload(deps, { source, name: 'photo.jpg' });
 */
export async function fileSource(path: string): Promise<FileSource> {
  const info = await stat(path);
  if (!info.isFile()) throw new InvalidInputError(`${path} is not a regular file`, { details: { path } });
  return {
    size: info.size,
    async *open() {
      const handle = await open(path, 'r');
      try {
        const buffers = [Buffer.allocUnsafeSlow(READ_BYTES), Buffer.allocUnsafeSlow(READ_BYTES)];
        for (let turn = 0; ; turn++) {
          const buffer = buffers[turn % 2];
          const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, null);
          if (bytesRead === 0) return;
          yield buffer.subarray(0, bytesRead);
        }
      } finally {
        await handle.close();
      }
    },
  };
}

/**
 * Bytes in memory as a source (small files, tests).
 *
 * @example
 * const source = bytesSource(new TextEncoder().encode('hello'));
 */
export function bytesSource(bytes: Uint8Array): FileSource {
  return {
    size: bytes.length,
    async *open() {
      yield bytes;
    },
  };
}
