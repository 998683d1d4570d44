import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { chunkAssociatedData, chunkNonce, decryptChunk, encryptChunk, TAG_BYTES } from '../../client/cipher';
import { DecryptionError } from '../../client/errors';
import { deriveChunkKey } from '../../client/keys';
import { loadNativeGcm, type NativeGcm } from '../../client/native-gcm';
import { InvalidInputError } from '../../protocol/errors';
import { randomFileId } from '../../protocol/ids';

function setup() {
  const fileId = randomFileId();
  const fileKey = crypto.getRandomValues(new Uint8Array(32));
  const key0 = deriveChunkKey({ fileKey, fileId, column: 0 });
  const key1 = deriveChunkKey({ fileKey, fileId, column: 1 });
  return { fileId, fileKey, key0, key1 };
}

describe('cipher', () => {
  describe('when a chunk is encrypted and decrypted with the same key and place', () => {
    it('gives back the plaintext, and the shard is ciphertext plus a 16-byte tag', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 8192 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.boolean(), (plaintext, index, isLast) => {
          const { fileId, key0 } = setup();
          const shard = encryptChunk({ key: key0, fileId, index, isLast, plaintext });
          expect(shard.length).to.equal(plaintext.length + TAG_BYTES);
          const back = decryptChunk({ key: key0, fileId, index, isLast, shard });
          expect(Buffer.from(back).equals(Buffer.from(plaintext))).to.equal(true);
        }),
        { numRuns: 100 },
      );
    });

    it('writes the same shard into a given buffer (a slice of a reused row) as into a new one, and returns that buffer', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 0, maxLength: 200_000 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (plaintext, index) => {
          const { fileId, key0 } = setup();
          const fresh = encryptChunk({ key: key0, fileId, index, isLast: false, plaintext });
          const row = Buffer.alloc(plaintext.length + TAG_BYTES + 64, 0xee);
          const into = row.subarray(32, 32 + plaintext.length + TAG_BYTES);
          const shard = encryptChunk({ key: key0, fileId, index, isLast: false, plaintext, into });
          expect(shard).to.equal(into);
          expect(Buffer.from(into).equals(Buffer.from(fresh))).to.equal(true);
          // Nothing outside the slice is touched.
          expect(row.subarray(0, 32).every((b) => b === 0xee) && row.subarray(row.length - 32).every((b) => b === 0xee)).to.equal(true);
        }),
        { numRuns: 40 },
      );
    });

    it('refuses an output buffer of the wrong size with InvalidInputError, and writes nothing into it', () => {
      const { fileId, key0 } = setup();
      const into = Buffer.alloc(100 + TAG_BYTES - 1, 0xee);
      expect(() => encryptChunk({ key: key0, fileId, index: 0, isLast: false, plaintext: new Uint8Array(100), into })).to.throw(
        InvalidInputError,
        /must have 116 bytes/,
      );
      expect(into.every((b) => b === 0xee)).to.equal(true);
    });

    it('decrypts in place: the plaintext is written over the shard’s ciphertext and returned as a view of it', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 0, maxLength: 200_000 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.boolean(), (plaintext, index, isLast) => {
          const { fileId, key0 } = setup();
          const shard = Buffer.from(encryptChunk({ key: key0, fileId, index, isLast, plaintext }));
          const back = decryptChunk({ key: key0, fileId, index, isLast, shard, inPlace: true });
          expect(Buffer.from(back).equals(Buffer.from(plaintext))).to.equal(true);
          expect(back.buffer).to.equal(shard.buffer);
          expect(back.byteOffset).to.equal(shard.byteOffset);
          expect(shard.subarray(0, plaintext.length).equals(Buffer.from(plaintext))).to.equal(true);
        }),
        { numRuns: 40 },
      );
    });

    it('refuses a tampered shard in place too, with DecryptionError', () => {
      const { fileId, key0 } = setup();
      const shard = Buffer.from(encryptChunk({ key: key0, fileId, index: 7, isLast: false, plaintext: new Uint8Array(100_000).fill(3) }));
      shard[50_000] ^= 1;
      expect(() => decryptChunk({ key: key0, fileId, index: 7, isLast: false, shard, inPlace: true })).to.throw(DecryptionError);
    });

    it('uses the chunk index as a 12-byte big-endian nonce and binds version, file id, index and last flag', () => {
      expect(Buffer.from(chunkNonce(258)).toString('hex')).to.equal('000000000000000000000102');
      const fileId = `0x${'aa'.repeat(32)}` as ReturnType<typeof randomFileId>;
      expect(Buffer.from(chunkAssociatedData({ fileId, index: 2, isLast: true })).toString('hex')).to.equal(`01${'aa'.repeat(32)}000000000000000201`);
    });
  });

  describe('when the shard or its place was tampered with', () => {
    const plaintext = new Uint8Array(4096).fill(7);

    it('refuses any flipped bit with DecryptionError', () => {
      const { fileId, key0 } = setup();
      const shard = encryptChunk({ key: key0, fileId, index: 3, isLast: false, plaintext });
      fc.assert(
        fc.property(fc.integer({ min: 0, max: shard.length * 8 - 1 }), (bit) => {
          const bad = Buffer.from(shard);
          bad[bit >> 3] ^= 1 << (bit & 7);
          expect(() => decryptChunk({ key: key0, fileId, index: 3, isLast: false, shard: bad })).to.throw(DecryptionError);
        }),
        { numRuns: 100 },
      );
    });

    it('refuses a chunk swapped into another index (reordering)', () => {
      const { fileId, key0 } = setup();
      const shard = encryptChunk({ key: key0, fileId, index: 1, isLast: false, plaintext });
      expect(() => decryptChunk({ key: key0, fileId, index: 2, isLast: false, shard })).to.throw(DecryptionError);
    });

    it('refuses a chunk from another column', () => {
      const { fileId, key0, key1 } = setup();
      const shard = encryptChunk({ key: key1, fileId, index: 0, isLast: false, plaintext });
      expect(() => decryptChunk({ key: key0, fileId, index: 0, isLast: false, shard })).to.throw(DecryptionError);
    });

    it('refuses a middle chunk presented as the last one (truncation)', () => {
      const { fileId, key0 } = setup();
      const shard = encryptChunk({ key: key0, fileId, index: 4, isLast: false, plaintext });
      expect(() => decryptChunk({ key: key0, fileId, index: 4, isLast: true, shard })).to.throw(DecryptionError);
    });

    it('refuses the last chunk presented as a middle one (extension)', () => {
      const { fileId, key0 } = setup();
      const shard = encryptChunk({ key: key0, fileId, index: 4, isLast: true, plaintext });
      expect(() => decryptChunk({ key: key0, fileId, index: 4, isLast: false, shard })).to.throw(DecryptionError);
    });

    it('refuses a chunk of another file id under the same key', () => {
      const { fileId, key0 } = setup();
      const shard = encryptChunk({ key: key0, fileId, index: 0, isLast: true, plaintext });
      expect(() => decryptChunk({ key: key0, fileId: randomFileId(), index: 0, isLast: true, shard })).to.throw(DecryptionError);
    });

    it('refuses a shard cut short or grown', () => {
      const { fileId, key0 } = setup();
      const shard = Buffer.from(encryptChunk({ key: key0, fileId, index: 0, isLast: true, plaintext }));
      expect(() => decryptChunk({ key: key0, fileId, index: 0, isLast: true, shard: shard.subarray(0, shard.length - 1) })).to.throw(DecryptionError);
      expect(() => decryptChunk({ key: key0, fileId, index: 0, isLast: true, shard: shard.subarray(0, 5) })).to.throw(DecryptionError);
      expect(() => decryptChunk({ key: key0, fileId, index: 0, isLast: true, shard: Buffer.concat([shard, Buffer.of(0)]) })).to.throw(DecryptionError);
    });
  });

  describe("with the system's OpenSSL (native) and with Node's crypto", () => {
    let gcm: NativeGcm;
    before(() => {
      const loaded = loadNativeGcm();
      // `npm install` builds it and Debian has libcrypto: missing here is a failed install.
      if (!loaded) throw new Error('the native AES-256-GCM is not built or finds no libcrypto: run npm install');
      gcm = loaded;
    });

    it('is off when DHOST_NATIVE_GCM=0', () => {
      expect(loadNativeGcm({ DHOST_NATIVE_GCM: '0' })).to.equal(undefined);
    });

    it('makes the same shard, and each opens what the other sealed', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 70_000 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.boolean(), (size, index, isLast) => {
          const { fileId, key0 } = setup();
          const plaintext = randomBytes(size);
          const place = { key: key0, fileId, index, isLast };
          const native = encryptChunk({ ...place, plaintext, gcm });
          const node = encryptChunk({ ...place, plaintext, gcm: false });
          expect(Buffer.compare(native, node)).to.equal(0);
          expect(Buffer.compare(decryptChunk({ ...place, shard: native, gcm: false }), plaintext)).to.equal(0);
          expect(Buffer.compare(decryptChunk({ ...place, shard: node, gcm }), plaintext)).to.equal(0);
        }),
        { numRuns: 40 },
      );
    });

    it('encrypts a chunk that already sits in its output buffer, in place', () => {
      const { fileId, key0 } = setup();
      const plaintext = randomBytes(1 << 20);
      const row = new Uint8Array(plaintext.length + TAG_BYTES);
      row.set(plaintext);
      const shard = encryptChunk({ key: key0, fileId, index: 3, isLast: false, plaintext: row.subarray(0, plaintext.length), into: row, gcm });
      expect(shard).to.equal(row);
      expect(Buffer.compare(shard, encryptChunk({ key: key0, fileId, index: 3, isLast: false, plaintext, gcm: false }))).to.equal(0);
    });

    it('refuses a flipped bit, another index or another key with DecryptionError, and leaves no plaintext in place', () => {
      const { fileId, key0, key1 } = setup();
      const plaintext = crypto.getRandomValues(new Uint8Array(4096));
      const shard = encryptChunk({ key: key0, fileId, index: 1, isLast: false, plaintext, gcm });
      const flipped = Buffer.from(shard);
      flipped[100] ^= 1;
      expect(() => decryptChunk({ key: key0, fileId, index: 1, isLast: false, shard: flipped, gcm })).to.throw(DecryptionError);
      expect(() => decryptChunk({ key: key0, fileId, index: 2, isLast: false, shard, gcm })).to.throw(DecryptionError);
      expect(() => decryptChunk({ key: key1, fileId, index: 1, isLast: false, shard, gcm })).to.throw(DecryptionError);
      expect(() => decryptChunk({ key: key0.subarray(1), fileId, index: 1, isLast: false, shard, gcm })).to.throw(DecryptionError);
      const inPlace = Buffer.from(flipped);
      expect(() => decryptChunk({ key: key0, fileId, index: 1, isLast: false, shard: inPlace, inPlace: true, gcm })).to.throw(DecryptionError);
      expect(inPlace.subarray(0, plaintext.length).every((b) => b === 0)).to.equal(true);
    });

    it('refuses arguments of the wrong sizes with a RangeError', () => {
      const tag = new Uint8Array(16);
      expect(() => gcm.seal(new Uint8Array(16), new Uint8Array(12), new Uint8Array(0), new Uint8Array(8), tag)).to.throw(RangeError);
      expect(() => gcm.seal(new Uint8Array(32), new Uint8Array(8), new Uint8Array(0), new Uint8Array(8), tag)).to.throw(RangeError);
      expect(() => gcm.open(new Uint8Array(32), new Uint8Array(12), new Uint8Array(0), new Uint8Array(8), new Uint8Array(4))).to.throw(RangeError);
    });
  });
});
