import { expect } from 'chai';
import fc from 'fast-check';
import { encryptChunk } from '../../client/cipher';
import { deriveChunkKey, deriveFileKey, deriveManifestKey, masterFromPrivateKey } from '../../client/keys';
import { type FileId, randomFileId } from '../../protocol/ids';

const PRIVATE_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';

describe('keys', () => {
  describe('when the same inputs are given twice', () => {
    it('derives the same master, file key, chunk keys and manifest keys', () => {
      const fileId = randomFileId();
      const master = masterFromPrivateKey(PRIVATE_KEY);
      expect(Buffer.from(masterFromPrivateKey(PRIVATE_KEY)).equals(Buffer.from(master))).to.equal(true);
      const fileKey = deriveFileKey({ master, fileId });
      expect(Buffer.from(deriveFileKey({ master, fileId })).equals(Buffer.from(fileKey))).to.equal(true);
      expect(Buffer.from(deriveChunkKey({ fileKey, fileId, column: 1 })).equals(Buffer.from(deriveChunkKey({ fileKey, fileId, column: 1 })))).to.equal(true);
      expect(Buffer.from(deriveManifestKey({ fileKey, fileId, column: 1 })).equals(Buffer.from(deriveManifestKey({ fileKey, fileId, column: 1 })))).to.equal(
        true,
      );
    });

    it('does not depend on the case of the private key hex', () => {
      expect(
        Buffer.from(masterFromPrivateKey(PRIVATE_KEY.toUpperCase().replace('0X', '0x') as `0x${string}`)).equals(
          Buffer.from(masterFromPrivateKey(PRIVATE_KEY)),
        ),
      ).to.equal(true);
    });
  });

  describe('when any input differs', () => {
    it('derives distinct keys for distinct file ids, columns and purposes', () => {
      const master = masterFromPrivateKey(PRIVATE_KEY);
      const a = randomFileId();
      const b = randomFileId();
      const keyA = deriveFileKey({ master, fileId: a });
      const all = [
        master,
        keyA,
        deriveFileKey({ master, fileId: b }),
        deriveChunkKey({ fileKey: keyA, fileId: a, column: 0 }),
        deriveChunkKey({ fileKey: keyA, fileId: a, column: 1 }),
        deriveChunkKey({ fileKey: keyA, fileId: a, column: 10 }),
        deriveManifestKey({ fileKey: keyA, fileId: a, column: 0 }),
        deriveManifestKey({ fileKey: keyA, fileId: a, column: 1 }),
      ].map((k) => Buffer.from(k).toString('hex'));
      expect(new Set(all).size).to.equal(all.length);
      expect(all.every((k) => k.length === 64)).to.equal(true);
    });

    it('makes different ciphertexts of the same chunk in different columns', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 254 }), fc.uint8Array({ minLength: 1, maxLength: 256 }), (column, plaintext) => {
          const fileId = randomFileId() as FileId;
          const fileKey = deriveFileKey({ master: masterFromPrivateKey(PRIVATE_KEY), fileId });
          const shard = (c: number) =>
            Buffer.from(encryptChunk({ key: deriveChunkKey({ fileKey, fileId, column: c }), fileId, index: 0, isLast: true, plaintext }));
          expect(shard(column).equals(shard(column + 1))).to.equal(false);
          expect(shard(column).equals(shard(column))).to.equal(true);
        }),
        { numRuns: 50 },
      );
    });
  });
});
