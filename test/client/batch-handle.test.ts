import { expect } from 'chai';
import fc from 'fast-check';
import { BATCH_HEADER_BYTES, decodeBatchHeader, encodeBatchHeader } from '../../client/batch/batch-header';
import { InvalidHandleError, ManifestError } from '../../client/errors';
import { formatBatchHandle, formatHandle, handleOfUpload, parseAnyHandle } from '../../client/handle';
import { deriveFileKey } from '../../client/keys';
import { MANIFEST_INDEX } from '../../protocol/column';
import { randomFileId } from '../../protocol/ids';

describe('batch handles and the batch header', () => {
  it('formats and parses a batch handle for any ids, key and indices o <= m (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(0x7fffffff), fc.nat(0x7fffffff), (fileKey, x, y) => {
        const [firstShard, manifestIndex] = x <= y ? [x, y] : [y, x];
        const dealId = randomFileId();
        const fileId = randomFileId();
        const parsed = parseAnyHandle(formatBatchHandle({ dealId, fileId, fileKey, manifestIndex, firstShard }));
        expect(parsed).to.deep.equal({ dealId, fileId, fileKey, manifestIndex, firstShard });
      }),
    );
  });

  it('reads a single-file handle as its own deal, manifest at `manifest`, first shard 0', () => {
    const fileId = randomFileId();
    const parsed = parseAnyHandle(formatHandle({ fileId, fileKey: new Uint8Array(32).fill(7) }));
    expect(parsed).to.include({ fileId, dealId: fileId, manifestIndex: MANIFEST_INDEX, firstShard: 0 });
  });

  it('refuses a first shard after the manifest index, and indices beyond 2^31 − 1', () => {
    const base = { dealId: randomFileId(), fileId: randomFileId(), fileKey: new Uint8Array(32) };
    expect(() => formatBatchHandle({ ...base, manifestIndex: 1, firstShard: 2 })).to.throw(InvalidHandleError);
    expect(() => formatBatchHandle({ ...base, manifestIndex: 2 ** 31, firstShard: 0 })).to.throw(InvalidHandleError);
    expect(() => parseAnyHandle(`dhost://${'a'.repeat(64)}/${'b'.repeat(64)}?m=2147483648&o=0#${'A'.repeat(43)}`)).to.throw(InvalidHandleError);
  });

  it('makes a recorded file’s handle again from the master, in the form it was uploaded in', () => {
    const master = new Uint8Array(32).fill(3);
    const fileId = randomFileId();
    const dealId = randomFileId();
    const fileKey = deriveFileKey({ master, fileId });
    expect(handleOfUpload({ master, entry: { fileId } })).to.equal(formatHandle({ fileId, fileKey }));
    expect(handleOfUpload({ master, entry: { fileId, batch: { dealId, manifestIndex: 9, firstShard: 4 } } })).to.equal(
      formatBatchHandle({ dealId, fileId, fileKey, manifestIndex: 9, firstShard: 4 }),
    );
  });

  it('encodes the clear layout in 24 bytes and reads it back; refuses altered or foreign bytes', () => {
    const layout = { redundancy: { scheme: 'rs' as const, dataShards: 4, parityShards: 2 }, chunkSize: 65536, shardSize: 65552, shardCount: 7, entryCount: 3 };
    const bytes = encodeBatchHeader(layout);
    expect(bytes).to.have.length(BATCH_HEADER_BYTES);
    expect(decodeBatchHeader(bytes)).to.deep.equal(layout);
    const replicated = { ...layout, redundancy: { scheme: 'replicate' as const, replicas: 3 } };
    expect(decodeBatchHeader(encodeBatchHeader(replicated))).to.deep.equal(replicated);
    for (const [at, value] of [
      [0, 0x58],
      [4, 9],
      [7, 1],
      [15, 0],
      [23, 0],
    ] as const) {
      const bad = Buffer.from(bytes);
      bad[at] = value;
      expect(() => decodeBatchHeader(bad), `byte ${at}`).to.throw(ManifestError);
    }
    expect(() => decodeBatchHeader(bytes.subarray(0, 20))).to.throw(ManifestError);
  });
});
