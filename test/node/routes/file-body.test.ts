import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { NotFoundError } from '../../../node/errors';
import { fileBody } from '../../../node/routes/file-body';

describe('node/routes/file-body', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-file-body-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A file of `bytes` and its handle, with the reads made through it counted. */
  const fileOf = async (bytes: Uint8Array) => {
    const file = path.join(dir, randomBytes(4).toString('hex'));
    fs.writeFileSync(file, bytes);
    const handle = await open(file, 'r');
    const counted = { reads: 0, closed: false };
    const read = handle.read.bind(handle);
    const close = handle.close.bind(handle);
    Object.assign(handle, {
      read: (...args: Parameters<FileHandle['read']>) => {
        counted.reads += 1;
        return read(...args);
      },
      close: () => {
        counted.closed = true;
        return close();
      },
    });
    return { file, handle, counted };
  };

  const readAll = async (stream: ReadableStream<Uint8Array>) => {
    const pieces: Uint8Array[] = [];
    for await (const piece of stream as unknown as AsyncIterable<Uint8Array>) pieces.push(piece);
    return pieces;
  };

  it('gives the bytes in pieces of pieceBytes (the last shorter) and closes the file after the last', async () => {
    const bytes = randomBytes(10_000);
    const { handle, counted } = await fileOf(bytes);
    const pieces = await readAll(fileBody(handle, { size: bytes.length, pieceBytes: 4096 }));
    expect(pieces.map((p) => p.length)).to.deep.equal([4096, 4096, 1808]);
    expect(Buffer.compare(Buffer.concat(pieces), bytes)).to.equal(0);
    expect(counted.closed).to.equal(true);
  });

  it('reads nothing until the response asks, and one piece per ask', async () => {
    const bytes = randomBytes(3 * 4096);
    const { handle, counted } = await fileOf(bytes);
    const reader = fileBody(handle, { size: bytes.length, pieceBytes: 4096 }).getReader();
    await new Promise((r) => setTimeout(r, 20));
    expect(counted.reads).to.equal(0);
    await reader.read();
    await new Promise((r) => setTimeout(r, 20));
    expect(counted.reads).to.equal(1);
    await reader.cancel();
  });

  it('closes the file when the client goes away mid-body', async () => {
    const bytes = randomBytes(3 * 4096);
    const { handle, counted } = await fileOf(bytes);
    const reader = fileBody(handle, { size: bytes.length, pieceBytes: 4096 }).getReader();
    await reader.read();
    await reader.cancel(new Error('client gone'));
    expect(counted.closed).to.equal(true);
  });

  it('closes the file, reading nothing, when its signal aborts before the body is read (client gone before the response began)', async () => {
    const bytes = randomBytes(3 * 4096);
    const { handle, counted } = await fileOf(bytes);
    const gone = new AbortController();
    const stream = fileBody(handle, { size: bytes.length, pieceBytes: 4096, signal: gone.signal });
    expect(counted.closed).to.equal(false);
    gone.abort(new Error('client gone'));
    await new Promise((r) => setImmediate(r));
    expect(counted.closed).to.equal(true);
    expect(counted.reads).to.equal(0);
    await stream.cancel();
  });

  it('closes the file at once when its signal has already aborted', async () => {
    const { handle, counted } = await fileOf(randomBytes(100));
    fileBody(handle, { size: 100, pieceBytes: 4096, signal: AbortSignal.abort(new Error('client gone')) });
    await new Promise((r) => setImmediate(r));
    expect(counted.closed).to.equal(true);
  });

  it('stops listening to its signal once the file is closed after the last byte', async () => {
    const bytes = randomBytes(100);
    const { handle } = await fileOf(bytes);
    const gone = new AbortController();
    let listeners = 0;
    const add = gone.signal.addEventListener.bind(gone.signal);
    const remove = gone.signal.removeEventListener.bind(gone.signal);
    Object.assign(gone.signal, {
      addEventListener: (...args: Parameters<AbortSignal['addEventListener']>) => {
        listeners += 1;
        add(...args);
      },
      removeEventListener: (...args: Parameters<AbortSignal['removeEventListener']>) => {
        listeners -= 1;
        remove(...args);
      },
    });
    const pieces = await readAll(fileBody(handle, { size: bytes.length, pieceBytes: 4096, signal: gone.signal }));
    expect(Buffer.compare(Buffer.concat(pieces), bytes)).to.equal(0);
    expect(listeners).to.equal(0);
  });

  it('fails with SHARD_NOT_FOUND, and closes the file, when the file ends before its indexed size', async () => {
    const bytes = randomBytes(5000);
    const { handle, counted } = await fileOf(bytes);
    const stream = fileBody(handle, { size: 8192, pieceBytes: 4096 });
    const err = await readAll(stream).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(NotFoundError);
    expect((err as NotFoundError).code).to.equal('SHARD_NOT_FOUND');
    expect(counted.closed).to.equal(true);
  });

  it('gives an empty body for an empty shard', async () => {
    const { handle, counted } = await fileOf(new Uint8Array(0));
    expect(await readAll(fileBody(handle, { size: 0, pieceBytes: 4096 }))).to.deep.equal([]);
    expect(counted.closed).to.equal(true);
  });
});
