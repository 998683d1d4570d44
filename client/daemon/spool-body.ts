import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { DaemonError } from './daemon-error';

/**
 * Writes a request body to a fresh file in `dir` (mode 0600), streaming, and checks that it has
 * exactly `size` bytes: more (stopped as soon as it passes `size`) or fewer is 400
 * `UPLOAD_SIZE_MISMATCH`. On any failure the file is removed before the error is thrown; on
 * success the caller removes it when done.
 *
 * @example
 * const file = await spoolBody(c.req.raw.body, { dir: deps.spoolDir, size: 1234 });
 */
export async function spoolBody(body: ReadableStream<Uint8Array> | null, p: { dir: string; size: number; signal?: AbortSignal }): Promise<string> {
  await mkdir(p.dir, { recursive: true, mode: 0o700 });
  const file = path.join(p.dir, `upload-${randomBytes(12).toString('hex')}.part`);
  let received = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (received > p.size) done(new DaemonError('UPLOAD_SIZE_MISMATCH', `the body is longer than the declared size ${p.size}`));
      else done(null, chunk);
    },
  });
  try {
    const source = body ? Readable.fromWeb(body as WebReadableStream<Uint8Array>) : Readable.from([]);
    await pipeline(source, count, createWriteStream(file, { mode: 0o600 }), { signal: p.signal });
    if (received !== p.size) throw new DaemonError('UPLOAD_SIZE_MISMATCH', `the body has ${received} bytes, not the declared ${p.size}`);
    return file;
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  }
}
