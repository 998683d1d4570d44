import { expect } from 'chai';
import fc from 'fast-check';
import { chunkCountOf, chunkStream, lastChunkLengthOf } from '../../client/chunker';
import { FileChangedError } from '../../client/errors';
import { InvalidInputError } from '../../protocol/errors';

const CHUNK = 4096;

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function* sliced(bytes: Uint8Array, cuts: number[]): AsyncIterable<Uint8Array> {
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    yield bytes.subarray(at, cut);
    at = cut;
  }
  yield bytes.subarray(at);
}

function randomBytesOf(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = x & 0xff;
  }
  return out;
}

describe('chunker', () => {
  describe('when the file size sits on a chunk boundary', () => {
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK]) {
      it(`cuts a ${size}-byte file into ceil(size / chunk) chunks, the last padded with zeros`, async () => {
        const bytes = randomBytesOf(size);
        const chunks = await collect(chunkStream(sliced(bytes, []), { size, chunkSize: CHUNK }));
        expect(chunks.length).to.equal(chunkCountOf(size, CHUNK));
        expect(chunks.length).to.equal(Math.ceil(size / CHUNK));
        chunks.forEach((c, i) => {
          expect(c.index).to.equal(i);
          expect(c.plaintext.length).to.equal(CHUNK);
          expect(c.isLast).to.equal(i === chunks.length - 1);
        });
        if (size > 0) {
          const last = chunks[chunks.length - 1];
          expect(last.length).to.equal(lastChunkLengthOf(size, CHUNK));
          expect(last.plaintext.subarray(last.length).every((b) => b === 0)).to.equal(true);
        }
        const joined = Buffer.concat(chunks.map((c) => c.plaintext.subarray(0, c.length)));
        expect(joined.equals(Buffer.from(bytes))).to.equal(true);
      });
    }
  });

  describe('when the input arrives in arbitrary slices', () => {
    it('yields the same chunks for every slicing of any file', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 5 * CHUNK }).chain((size) => fc.tuple(fc.constant(size), fc.array(fc.integer({ min: 0, max: size }), { maxLength: 12 }))),
          async ([size, cuts]) => {
            const bytes = randomBytesOf(size, size + 1);
            const chunks = await collect(chunkStream(sliced(bytes, cuts), { size, chunkSize: CHUNK }));
            expect(chunks.length).to.equal(Math.ceil(size / CHUNK));
            const joined = Buffer.concat(chunks.map((c) => c.plaintext.subarray(0, c.length)));
            expect(joined.equals(Buffer.from(bytes))).to.equal(true);
            expect(chunks.every((c) => c.plaintext.length === CHUNK)).to.equal(true);
          },
        ),
        { numRuns: 60 },
      );
    });
  });

  describe('when a piece of the input holds whole chunks', () => {
    it('hands them on as views of that piece, without a copy, and still pads the last chunk in a buffer of its own', async () => {
      const bytes = randomBytesOf(2 * CHUNK + 10);
      const chunks = await collect(chunkStream(sliced(bytes, []), { size: bytes.length, chunkSize: CHUNK }));
      expect(chunks.map((c) => c.plaintext.buffer === bytes.buffer)).to.deep.equal([true, true, false]);
      expect(chunks[2].plaintext.subarray(10).every((b) => b === 0)).to.equal(true);
    });
  });

  describe('when the source has another length than announced', () => {
    it('refuses a source that is longer with FileChangedError', async () => {
      await expect(collect(chunkStream(sliced(randomBytesOf(CHUNK + 1), []), { size: CHUNK, chunkSize: CHUNK }))).to.be.rejectedWith(FileChangedError);
    });

    it('refuses a source that is shorter with FileChangedError', async () => {
      await expect(collect(chunkStream(sliced(randomBytesOf(10), []), { size: 11, chunkSize: CHUNK }))).to.be.rejectedWith(FileChangedError);
    });
  });

  describe('when the chunk size is outside the protocol bounds', () => {
    it('refuses it with InvalidInputError', async () => {
      await expect(collect(chunkStream(sliced(new Uint8Array(0), []), { size: 0, chunkSize: 1000 }))).to.be.rejectedWith(InvalidInputError);
      await expect(collect(chunkStream(sliced(new Uint8Array(0), []), { size: 0, chunkSize: 64 * 1024 * 1024 }))).to.be.rejectedWith(InvalidInputError);
    });
  });
});
