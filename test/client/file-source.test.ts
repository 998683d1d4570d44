import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { chunkStream } from '../../client/chunker';
import { FileChangedError } from '../../client/errors';
import { bytesSource, fileSource } from '../../client/file-source';
import { InvalidInputError } from '../../protocol/errors';

describe('client/file-source: a file as a re-openable source', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-file-source-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads the whole file, in order, every time it is opened (pieces copied as they come)', async () => {
    const bytes = randomBytes((5 << 20) / 2 + 3);
    const file = path.join(dir, 'a.bin');
    fs.writeFileSync(file, bytes);
    const source = await fileSource(file);
    expect(source.size).to.equal(bytes.length);
    for (let pass = 0; pass < 2; pass++) {
      const pieces: Buffer[] = [];
      for await (const piece of source.open()) pieces.push(Buffer.from(piece));
      expect(Buffer.concat(pieces).equals(bytes)).to.equal(true);
      expect(pieces.map((p) => p.length)).to.deep.equal([1 << 20, 1 << 20, (1 << 19) + 3]);
    }
  });

  it('gives chunkStream every chunk intact, though its read buffers are reused', async () => {
    const bytes = randomBytes(5 * (1 << 20) + 17);
    const file = path.join(dir, 'b.bin');
    fs.writeFileSync(file, bytes);
    const source = await fileSource(file);
    const chunks: Buffer[] = [];
    for await (const chunk of chunkStream(source.open(), { size: source.size, chunkSize: 1 << 20 })) {
      chunks.push(Buffer.from(chunk.plaintext.subarray(0, chunk.length)));
    }
    expect(chunks).to.have.length(6);
    expect(Buffer.concat(chunks).equals(bytes)).to.equal(true);
    // The same through an in-memory source.
    const again: Buffer[] = [];
    for await (const chunk of chunkStream(bytesSource(bytes).open(), { size: bytes.length, chunkSize: 1 << 20 })) {
      again.push(Buffer.from(chunk.plaintext.subarray(0, chunk.length)));
    }
    expect(Buffer.concat(again).equals(bytes)).to.equal(true);
  });

  it('makes a read of a file that grew after it was opened fail with FileChangedError', async () => {
    const file = path.join(dir, 'c.bin');
    fs.writeFileSync(file, randomBytes(1000));
    const source = await fileSource(file);
    fs.appendFileSync(file, randomBytes(10));
    const err = await (async () => {
      for await (const _ of chunkStream(source.open(), { size: source.size, chunkSize: 1 << 20 })) {
        // read on
      }
    })().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(FileChangedError);
  });

  it('refuses a folder with InvalidInputError', async () => {
    const err = await fileSource(dir).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(InvalidInputError);
  });
});
