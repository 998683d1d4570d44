import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { InvalidInputError } from '../protocol/errors';

/**
 * A file to upload: its size, and a way to read it from the start, as often as needed (a column
 * that moves to a spare peer is re-sent by reading the source again).
 */
export interface FileSource {
  size: number;
  open(): AsyncIterable<Uint8Array>;
}

/**
 * A file on disk as a re-openable source. The size is taken now; a file that grows or shrinks
 * later makes the upload fail with `FileChangedError`.
 *
 * @example
 * const source = await fileSource('./photo.jpg');
 * await upload(deps, { source, name: 'photo.jpg' });
 */
export async function fileSource(path: string): Promise<FileSource> {
  const info = await stat(path);
  if (!info.isFile()) throw new InvalidInputError(`${path} is not a regular file`, { details: { path } });
  return { size: info.size, open: () => createReadStream(path, { highWaterMark: 1024 * 1024 }) };
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
