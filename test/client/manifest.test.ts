import { createCipheriv, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { ManifestError } from '../../client/errors';
import { deriveManifestKey } from '../../client/keys';
import {
  decryptManifest,
  encryptManifest,
  MANIFEST_MAGIC,
  type ReplicatedManifest as Manifest,
  manifestAssociatedData,
  shardHashesOf,
} from '../../client/manifest';
import { defaults } from '../../protocol/config';
import { type FileId, randomFileId } from '../../protocol/ids';

function manifestFor(fileId: FileId, over: Partial<Manifest> = {}): Manifest {
  const size = over.size ?? 10_000;
  const chunkSize = over.chunkSize ?? 4096;
  const chunkCount = Math.ceil(size / chunkSize);
  const replicas = over.redundancy?.replicas ?? 3;
  return {
    version: 1,
    fileId,
    name: 'report.pdf',
    size,
    mediaType: 'application/pdf',
    chunkSize,
    chunkCount,
    cipher: 'aes-256-gcm',
    redundancy: { scheme: 'replicate', replicas },
    lastChunkLength: size === 0 ? 0 : size - (chunkCount - 1) * chunkSize,
    columns: Array.from({ length: replicas }, (_, column) => ({ column, shardSha256: randomBytes(32 * chunkCount).toString('base64') })),
    createdAt: new Date().toISOString(),
    ...over,
  };
}

/** Encrypts any JSON as a column's manifest copy, bypassing validation: what a forger with the key could store. */
function sealRaw(fileKey: Uint8Array, fileId: FileId, column: number, json: unknown): Uint8Array {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveManifestKey({ fileKey, fileId, column }), nonce);
  cipher.setAAD(manifestAssociatedData({ fileId, column }));
  const body = Buffer.concat([cipher.update(JSON.stringify(json)), cipher.final()]);
  return Buffer.concat([MANIFEST_MAGIC, nonce, body, cipher.getAuthTag()]);
}

describe('manifest', () => {
  const fileKey = new Uint8Array(32).fill(3);

  describe('when encrypted for a column and decrypted', () => {
    it('gives back the same manifest for any size and chunk size', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 200_000 }),
          fc.integer({ min: defaults.minChunkSize, max: 64 * 1024 }),
          fc.integer({ min: 1, max: 5 }),
          (size, chunkSize, replicas) => {
            const fileId = randomFileId();
            const manifest = manifestFor(fileId, { size, chunkSize, redundancy: { scheme: 'replicate', replicas } });
            const column = replicas - 1;
            const bytes = encryptManifest({ fileKey, column, manifest });
            expect(Buffer.from(bytes.subarray(0, 4)).toString('ascii')).to.equal('DHM1');
            expect(decryptManifest({ fileKey, fileId, column, bytes })).to.deep.equal(manifest);
            expect(shardHashesOf(manifest, column).length).to.equal(32 * manifest.chunkCount);
          },
        ),
        { numRuns: 40 },
      );
    });

    it('makes different bytes for each column and each encryption (random nonce)', () => {
      const fileId = randomFileId();
      const manifest = manifestFor(fileId);
      const a = Buffer.from(encryptManifest({ fileKey, column: 0, manifest }));
      const b = Buffer.from(encryptManifest({ fileKey, column: 0, manifest }));
      const c = Buffer.from(encryptManifest({ fileKey, column: 1, manifest }));
      expect(a.equals(b)).to.equal(false);
      expect(a.equals(c)).to.equal(false);
    });
  });

  describe('when the copy is forged, foreign or misplaced', () => {
    const fileId = randomFileId();
    const bytes = encryptManifest({ fileKey, column: 0, manifest: manifestFor(fileId) });

    it('refuses a flipped bit anywhere after the magic', () => {
      fc.assert(
        fc.property(fc.integer({ min: 4 * 8, max: bytes.length * 8 - 1 }), (bit) => {
          const bad = Buffer.from(bytes);
          bad[bit >> 3] ^= 1 << (bit & 7);
          expect(() => decryptManifest({ fileKey, fileId, column: 0, bytes: bad })).to.throw(ManifestError);
        }),
        { numRuns: 50 },
      );
    });

    it('refuses a copy read as another column', () => {
      expect(() => decryptManifest({ fileKey, fileId, column: 1, bytes })).to.throw(ManifestError);
    });

    it('refuses a copy of another file (foreign file id)', () => {
      expect(() => decryptManifest({ fileKey, fileId: randomFileId(), column: 0, bytes })).to.throw(ManifestError);
    });

    it('refuses a copy under another key', () => {
      expect(() => decryptManifest({ fileKey: new Uint8Array(32).fill(4), fileId, column: 0, bytes })).to.throw(ManifestError);
    });

    it('refuses a sealed manifest that names another file id', () => {
      const raw = sealRaw(fileKey, fileId, 0, manifestFor(randomFileId()));
      expect(() => decryptManifest({ fileKey, fileId, column: 0, bytes: raw })).to.throw(ManifestError, /another file/);
    });

    it('refuses bytes without the magic, and bytes larger than a shard', () => {
      const noMagic = Buffer.from(bytes);
      noMagic[0] = 0x58;
      expect(() => decryptManifest({ fileKey, fileId, column: 0, bytes: noMagic })).to.throw(ManifestError, /magic/);
      expect(() => decryptManifest({ fileKey, fileId, column: 0, bytes, maxBytes: 100 })).to.throw(ManifestError, /larger/);
    });
  });

  describe('when the sealed manifest is malformed or inconsistent', () => {
    const fileId = randomFileId();
    const cases: Record<string, unknown> = {
      'is not an object': 'hello',
      'has another version': { ...manifestFor(fileId), version: 2 },
      'has a chunk count that does not match the size': { ...manifestFor(fileId), chunkCount: 99 },
      'has a wrong last chunk length': { ...manifestFor(fileId), lastChunkLength: 1 },
      'has a chunk size outside the bounds': manifestFor(fileId, { chunkSize: 100, size: 1000 }),
      'lists fewer columns than replicas': { ...manifestFor(fileId), columns: manifestFor(fileId).columns.slice(0, 2) },
      'lists one hash too few for a column': {
        ...manifestFor(fileId),
        columns: manifestFor(fileId).columns.map((c) => ({ ...c, shardSha256: randomBytes(32 * 2).toString('base64') })),
      },
      'names another cipher': { ...manifestFor(fileId), cipher: 'chacha20' },
      'has a negative size': { ...manifestFor(fileId), size: -1 },
      'has no creation time': { ...manifestFor(fileId), createdAt: undefined },
    };
    for (const [what, json] of Object.entries(cases)) {
      it(`refuses a manifest that ${what}`, () => {
        expect(() => decryptManifest({ fileKey, fileId, column: 0, bytes: sealRaw(fileKey, fileId, 0, json) })).to.throw(ManifestError);
      });
    }

    it('refuses to encrypt an inconsistent manifest', () => {
      expect(() => encryptManifest({ fileKey, column: 0, manifest: { ...manifestFor(fileId), chunkCount: 1 } })).to.throw(ManifestError);
    });
  });
});
