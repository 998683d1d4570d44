import { expect } from 'chai';
import { encodeBatchHeader } from '../../../client/batch/batch-header';
import { ManifestError } from '../../../client/errors';
import { erasureHeaderOf, MANIFEST_MAGIC } from '../../../client/manifest';
import { ReplicatedRepairUnsupportedError } from '../../../client/repair/errors';
import { repairLayoutOf, tailIndicesOf } from '../../../client/repair/repair-layout';
import { randomFileId } from '../../../protocol/ids';

const fileId = randomFileId();
const catching = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err;
  }
  return undefined;
};

describe('client/repair/repair-layout: what a key-less repairer reads at `manifest`', () => {
  describe('for a Reed-Solomon file alone (manifest v2)', () => {
    it('gives its stripes and nothing copied but the manifest', () => {
      const header = erasureHeaderOf({ scheme: 'rs', dataShards: 4, parityShards: 2, chunkSize: 4096, shardSize: 4112, stripeCount: 3, size: 10 * 4096 + 5 });
      const layout = repairLayoutOf(Buffer.concat([header, Buffer.alloc(40)]), { fileId });
      expect(layout).to.deep.equal({ kind: 'file', dataShards: 4, parityShards: 2, chunkSize: 4096, shardSize: 4112, stripeCount: 3, copiedCount: 0 });
      expect(tailIndicesOf(layout)).to.deep.equal(['manifest']);
    });
  });

  describe('for a Reed-Solomon batch (batch header)', () => {
    it('gives all stripes, then the file manifests to copy in file order, then the header', () => {
      const header = encodeBatchHeader({
        redundancy: { scheme: 'rs', dataShards: 4, parityShards: 2 },
        chunkSize: 4096,
        shardSize: 4112,
        shardCount: 2,
        entryCount: 3,
      });
      const layout = repairLayoutOf(header, { fileId });
      expect(layout).to.deep.equal({ kind: 'batch', dataShards: 4, parityShards: 2, chunkSize: 4096, shardSize: 4112, stripeCount: 2, copiedCount: 3 });
      expect(tailIndicesOf(layout)).to.deep.equal([2, 3, 4, 'manifest']);
    });

    it('copies the manifests only when every file is empty (no stripe)', () => {
      const header = encodeBatchHeader({
        redundancy: { scheme: 'rs', dataShards: 4, parityShards: 2 },
        chunkSize: 4096,
        shardSize: 4112,
        shardCount: 0,
        entryCount: 2,
      });
      expect(tailIndicesOf(repairLayoutOf(header, { fileId }))).to.deep.equal([0, 1, 'manifest']);
    });
  });

  describe('for a replicated deal', () => {
    it('refuses a replicated file (manifest v1) with ReplicatedRepairUnsupportedError', () => {
      const err = catching(() => repairLayoutOf(Buffer.concat([MANIFEST_MAGIC, Buffer.alloc(60)]), { fileId }));
      expect(err).to.be.instanceOf(ReplicatedRepairUnsupportedError);
    });

    it('refuses a replicated batch with ReplicatedRepairUnsupportedError naming the batch', () => {
      const header = encodeBatchHeader({ redundancy: { scheme: 'replicate', replicas: 3 }, chunkSize: 4096, shardSize: 4112, shardCount: 5, entryCount: 2 });
      const err = catching(() => repairLayoutOf(header, { fileId }));
      expect(err).to.be.instanceOf(ReplicatedRepairUnsupportedError);
      expect((err as Error).message).to.match(/replicated batch/);
    });
  });

  describe('for bytes that are no layout', () => {
    it('refuses them with ManifestError', () => {
      for (const bytes of [Buffer.alloc(0), Buffer.from('DHB1'), Buffer.from('not a manifest at all, just bytes')]) {
        expect(catching(() => repairLayoutOf(bytes, { fileId }))).to.be.instanceOf(ManifestError);
      }
    });
  });
});
