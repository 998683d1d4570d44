import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { keccak256, toBytes } from 'viem';
import { InvalidInputError } from '../../protocol/errors';
import {
  createKeccakHasher,
  depthOf,
  innerNode,
  type Keccak,
  padRoots,
  proofOfLeaves,
  proveSegment,
  rootFromProof,
  rootOfLeaves,
  SEGMENT_BYTES,
  SegmentTreeBuilder,
  segmentCountOf,
  segmentLeaf,
  slotRootLeaf,
} from '../../protocol/merkle';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('protocol/merkle', () => {
  let keccak: Keccak;
  before(async () => {
    keccak = await createKeccakHasher();
  });

  const leavesOf = (bytes: Uint8Array) => {
    const count = segmentCountOf(bytes.length);
    return Array.from({ length: count }, (_, i) => {
      const seg = new Uint8Array(SEGMENT_BYTES);
      seg.set(bytes.subarray(i * SEGMENT_BYTES, (i + 1) * SEGMENT_BYTES));
      return segmentLeaf(keccak, i, seg);
    });
  };

  it('hashes leaves, nodes and padding with the domain tags DESIGN.md gives', () => {
    const seg = randomBytes(SEGMENT_BYTES);
    const index = Buffer.alloc(8);
    index.writeBigUInt64BE(5n);
    expect(hex(segmentLeaf(keccak, 5, seg))).to.equal(keccak256(Buffer.concat([Buffer.from([0]), index, seg])).slice(2));
    const [a, b] = [randomBytes(32), randomBytes(32)];
    expect(hex(innerNode(keccak, a, b))).to.equal(keccak256(Buffer.concat([Buffer.from([1]), a, b])).slice(2));
    expect(hex(padRoots(keccak)[0])).to.equal(keccak256(toBytes('0x02')).slice(2));
    expect(hex(slotRootLeaf(keccak, 5, a))).to.equal(keccak256(Buffer.concat([Buffer.from([3]), index, a])).slice(2));
  });

  it('gives the depth for a segment count', () => {
    expect([1, 2, 3, 4, 5, 8, 9].map(depthOf)).to.deep.equal([0, 1, 2, 2, 3, 3, 4]);
    expect(() => depthOf(0)).to.throw(InvalidInputError);
  });

  it('builds, in one streaming pass, the same root as the whole tree, for any size and slicing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 * SEGMENT_BYTES + 3 }),
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 4 }),
        async (size, cuts, keptLevel) => {
          const bytes = randomBytes(size);
          const builder = await SegmentTreeBuilder.create({ keptLevel });
          for (let at = 0, c = 0; at < size; c++) {
            const n = cuts[c % cuts.length];
            builder.write(bytes.subarray(at, at + n));
            at += n;
          }
          const tree = builder.finish();
          const leaves = leavesOf(bytes);
          expect(tree.segmentCount).to.equal(leaves.length);
          expect(hex(tree.root)).to.equal(hex(rootOfLeaves(keccak, leaves)));
          // Every segment proves against the root from the kept level and its group alone.
          const groupSize = 2 ** Math.min(keptLevel, tree.depth);
          for (let index = 0; index < leaves.length; index++) {
            const first = Math.floor(index / groupSize) * groupSize;
            const group = bytes.subarray(first * SEGMENT_BYTES, Math.min(size, (first + groupSize) * SEGMENT_BYTES));
            const { segment, proof } = proveSegment(keccak, { ...tree, group: size === 0 ? new Uint8Array(1) : group, index });
            expect(proof).to.have.length(tree.depth);
            const root = rootFromProof(keccak, { leaf: segmentLeaf(keccak, index, segment), index, count: tree.segmentCount, proof });
            expect(hex(root)).to.equal(hex(tree.root));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  describe('when a proof is wrong', () => {
    it('does not reach the root with another segment, another index or a changed sibling', () => {
      const bytes = randomBytes(7 * SEGMENT_BYTES);
      const leaves = leavesOf(bytes);
      const root = hex(rootOfLeaves(keccak, leaves));
      const proof = proofOfLeaves(keccak, leaves, 3);
      const seg = bytes.subarray(3 * SEGMENT_BYTES, 4 * SEGMENT_BYTES);
      const rootWith = (leaf: Uint8Array, index: number, p: Uint8Array[]) => hex(rootFromProof(keccak, { leaf, index, count: 7, proof: p }));
      expect(rootWith(segmentLeaf(keccak, 3, seg), 3, proof)).to.equal(root);
      const other = Buffer.from(seg);
      other[0] ^= 1;
      expect(rootWith(segmentLeaf(keccak, 3, other), 3, proof)).to.not.equal(root);
      expect(rootWith(segmentLeaf(keccak, 2, seg), 2, proof)).to.not.equal(root);
      const bent = proof.map((n, i) => (i === 1 ? randomBytes(32) : n));
      expect(rootWith(segmentLeaf(keccak, 3, seg), 3, bent)).to.not.equal(root);
    });

    it('refuses a proof whose length is not the depth', () => {
      const leaves = leavesOf(randomBytes(5 * SEGMENT_BYTES));
      const proof = proofOfLeaves(keccak, leaves, 1);
      expect(() => rootFromProof(keccak, { leaf: leaves[1], index: 1, count: 5, proof: proof.slice(1) })).to.throw(InvalidInputError);
      expect(() => rootFromProof(keccak, { leaf: leaves[1], index: 1, count: 5, proof: [...proof, proof[0]] })).to.throw(InvalidInputError);
    });

    it('pads with a constant leaf, never a copy of the last one', () => {
      const leaves = leavesOf(randomBytes(3 * SEGMENT_BYTES));
      const duplicated = rootOfLeaves(keccak, [...leaves, leaves[2]]);
      expect(hex(rootOfLeaves(keccak, leaves))).to.not.equal(hex(duplicated));
    });
  });
});
