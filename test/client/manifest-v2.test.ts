import { createCipheriv, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ManifestError } from '../../client/errors';
import { deriveErasureManifestKey } from '../../client/keys';
import {
  decryptManifest,
  ERASURE_HEADER_BYTES,
  type ErasureManifest,
  encryptManifest,
  erasureHeaderOf,
  erasureManifestAssociatedData,
  manifestBytesBound,
  readErasureHeader,
} from '../../client/manifest';
import { type FileId, randomFileId } from '../../protocol/ids';

function erasureManifest(fileId: FileId, size = 10 * 4096 + 5, k = 4, m = 2): ErasureManifest {
  const chunkSize = 4096;
  const chunkCount = Math.ceil(size / chunkSize);
  const stripeCount = Math.ceil(chunkCount / k);
  return {
    version: 2,
    fileId,
    name: 'video.mp4',
    size,
    mediaType: 'video/mp4',
    chunkSize,
    chunkCount,
    cipher: 'aes-256-gcm',
    redundancy: { scheme: 'rs', dataShards: k, parityShards: m },
    lastChunkLength: size === 0 ? 0 : size - (chunkCount - 1) * chunkSize,
    shardSize: chunkSize + 16,
    stripeCount,
    columns: Array.from({ length: k + m }, (_, column) => ({ column, shardSha256: randomBytes(32 * stripeCount).toString('base64') })),
    createdAt: new Date().toISOString(),
  };
}

describe('manifest version 2 (Reed-Solomon)', () => {
  const fileKey = new Uint8Array(32).fill(9);
  const fileId = randomFileId();

  it('is one ciphertext for every column, whose clear header gives the layout without the key', () => {
    const manifest = erasureManifest(fileId);
    const bytes = encryptManifest({ fileKey, manifest });
    for (let column = 0; column < 6; column++) expect(decryptManifest({ fileKey, fileId, column, bytes })).to.deep.equal(manifest);
    expect(readErasureHeader(bytes)).to.deep.equal({
      scheme: 'rs',
      dataShards: 4,
      parityShards: 2,
      chunkSize: 4096,
      shardSize: 4112,
      stripeCount: 3,
      size: 10 * 4096 + 5,
    });
    expect(Buffer.from(bytes.subarray(0, 4)).toString('ascii')).to.equal('DHM2');
    expect(bytes.length).to.be.at.most(manifestBytesBound({ ...manifest, redundancy: { scheme: 'rs', dataShards: 4, parityShards: 2 } }));
  });

  it('refuses a column the file does not have', () => {
    const bytes = encryptManifest({ fileKey, manifest: erasureManifest(fileId) });
    expect(() => decryptManifest({ fileKey, fileId, column: 6, bytes })).to.throw(ManifestError, /column 6/);
  });

  it('refuses a malformed clear header with ManifestError', () => {
    const bytes = Buffer.from(encryptManifest({ fileKey, manifest: erasureManifest(fileId) }));
    const mutate = (at: number, value: number) => {
      const bad = Buffer.from(bytes);
      bad[at] = value;
      return bad;
    };
    const cases: [string, Buffer][] = [
      ['unknown scheme', mutate(4, 7)],
      ['k = 0', mutate(5, 0)],
      ['m beyond the codec', mutate(6, 9)],
      ['reserved byte', mutate(7, 1)],
      ['shard size', mutate(15, bytes[15] ^ 8)],
      ['stripe count', mutate(19, bytes[19] + 1)],
      ['truncated', bytes.subarray(0, ERASURE_HEADER_BYTES + 10)],
    ];
    for (const [what, bad] of cases) {
      expect(() => readErasureHeader(bad), what).to.throw(ManifestError);
      expect(() => decryptManifest({ fileKey, fileId, column: 0, bytes: bad }), what).to.throw(ManifestError);
    }
  });

  it('binds the header: a consistent but changed header fails the tag check', () => {
    const manifest = erasureManifest(fileId, 8 * 4096);
    const bytes = Buffer.from(encryptManifest({ fileKey, manifest }));
    // size 8 chunks → 7 chunks + 1 byte keeps the stripe count (2): a well-formed header that lies.
    const forged = Buffer.from(bytes);
    forged.writeBigUInt64BE(BigInt(7 * 4096 + 1), 20);
    expect(() => readErasureHeader(forged)).not.to.throw();
    expect(() => decryptManifest({ fileKey, fileId, column: 0, bytes: forged })).to.throw(ManifestError, /authentication tag/);
  });

  it('refuses a JSON body that disagrees with its header, even under the right key', () => {
    const manifest = erasureManifest(fileId);
    const header = erasureHeaderOf({ scheme: 'rs', dataShards: 4, parityShards: 2, chunkSize: 4096, shardSize: 4112, stripeCount: 3, size: 9 * 4096 });
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', deriveErasureManifestKey({ fileKey, fileId }), nonce);
    cipher.setAAD(erasureManifestAssociatedData({ fileId, header }));
    const body = Buffer.concat([cipher.update(JSON.stringify(manifest)), cipher.final()]);
    const bytes = Buffer.concat([header, nonce, body, cipher.getAuthTag()]);
    expect(() => decryptManifest({ fileKey, fileId, column: 0, bytes })).to.throw(ManifestError, /differs from its clear header/);
  });

  it('refuses to encrypt an inconsistent version-2 manifest', () => {
    expect(() => encryptManifest({ fileKey, manifest: { ...erasureManifest(fileId), stripeCount: 2 } })).to.throw(ManifestError);
    expect(() => encryptManifest({ fileKey, manifest: { ...erasureManifest(fileId), shardSize: 4100 } })).to.throw(ManifestError);
    const m = erasureManifest(fileId);
    expect(() => encryptManifest({ fileKey, manifest: { ...m, columns: m.columns.slice(0, 5) } })).to.throw(ManifestError);
  });
});
