import { loadFixture } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import fc from 'fast-check';
import { ethers } from 'hardhat';
import {
  createKeccakHasher,
  depthOf,
  proofOfLeaves,
  rootOfLeaves,
  SEGMENT_BYTES,
  SegmentTreeBuilder,
  segmentLeaf,
  slotRootLeaf,
} from '../../../protocol/merkle';
import { segmentOf } from '../../../scripts/testkit/market/fixture';

const hex = (bytes: Uint8Array) => ethers.hexlify(bytes);
const RUNS = 60;

describe('SegmentProofs', () => {
  async function harnessFixture() {
    const harness = await ethers.deployContract('SegmentProofsHarness');
    const keccak = await createKeccakHasher();
    return { harness, keccak };
  }

  /** Random slot bytes (any length up to `max` segments) and an index inside them. */
  const slotBytes = (max: number) =>
    fc
      .integer({ min: 1, max: max * SEGMENT_BYTES })
      .chain((length) => fc.tuple(fc.uint8Array({ minLength: length, maxLength: length }), fc.nat({ max: Math.ceil(length / SEGMENT_BYTES) - 1 })));

  describe('when TypeScript and Solidity hash the same slot', () => {
    it('agree on the padding leaf, segment leaves, slot-root leaves and depths', async () => {
      const { harness, keccak } = await loadFixture(harnessFixture);
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ minLength: 512, maxLength: 512 }),
          fc.nat({ max: 2 ** 40 }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          async (segment, index, root) => {
            expect(await harness.segmentLeaf(index, segment)).to.equal(hex(segmentLeaf(keccak, index, segment)));
            expect(await harness.slotRootLeaf(index, root)).to.equal(hex(slotRootLeaf(keccak, index, root)));
            const count = (index % 5000) + 1;
            expect(await harness.depthOf(count)).to.equal(BigInt(depthOf(count)));
          },
        ),
        { numRuns: RUNS },
      );
      expect(await harness.rootOfLeaves([ethers.keccak256('0x02')])).to.equal(ethers.keccak256('0x02'));
    });

    it('agree on the root of any number of segments (SegmentTreeBuilder, rootOfLeaves, Solidity)', async () => {
      const { harness, keccak } = await loadFixture(harnessFixture);
      await fc.assert(
        fc.asyncProperty(slotBytes(200), fc.integer({ min: 1, max: 4000 }), async ([bytes], cut) => {
          const builder = await SegmentTreeBuilder.create({ keptLevel: 2 });
          // Written in two pieces, as a stream would deliver them.
          builder.write(bytes.subarray(0, cut));
          builder.write(bytes.subarray(cut));
          const tree = builder.finish();
          const leaves = Array.from({ length: tree.segmentCount }, (_, i) => segmentLeaf(keccak, i, segmentOf(bytes, i)));
          expect(hex(tree.root)).to.equal(hex(rootOfLeaves(keccak, leaves)));
          expect(await harness.rootOfLeaves(leaves.map(hex))).to.equal(hex(tree.root));
        }),
        { numRuns: RUNS },
      );
    });

    it("agree on deal roots: fillSlot's check accepts every slot root under the TypeScript deal root, and nothing else", async () => {
      const { harness, keccak } = await loadFixture(harnessFixture);
      const slotRoots = fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 70 });
      await fc.assert(
        fc.asyncProperty(slotRoots, fc.nat(), fc.nat(), async (roots, pick, other) => {
          // What the client commits: protocol/merkle.ts's tree over the slot-root leaves.
          const leaves = roots.map((root, c) => slotRootLeaf(keccak, c, root));
          const dealRoot = hex(rootOfLeaves(keccak, leaves));
          expect(await harness.rootOfLeaves(leaves.map(hex))).to.equal(dealRoot);
          // What a peer proves in fillSlot: its slot root at its column.
          const slots = roots.length;
          const column = pick % slots;
          const proof = proofOfLeaves(keccak, leaves, column).map(hex);
          expect(await harness.verifySlotRoot(dealRoot, column, slots, hex(roots[column]), proof)).to.equal(true);
          // Another column's slot root, or this one at another column, is rejected.
          if (slots > 1) {
            const wrong = (column + 1 + (other % (slots - 1))) % slots;
            if (hex(roots[wrong]) !== hex(roots[column])) {
              expect(await harness.verifySlotRoot(dealRoot, column, slots, hex(roots[wrong]), proof)).to.equal(false);
            }
            expect(await harness.verifySlotRoot(dealRoot, wrong, slots, hex(roots[column]), proof)).to.equal(false);
          }
          // A proof one node too long or too short.
          expect(await harness.verifySlotRoot(dealRoot, column, slots, hex(roots[column]), [...proof, ethers.ZeroHash])).to.equal(false);
          if (proof.length > 0) expect(await harness.verifySlotRoot(dealRoot, column, slots, hex(roots[column]), proof.slice(1))).to.equal(false);
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe('when a proof is checked', () => {
    it('accepts every TypeScript proof and rejects a wrong depth, segment or index', async () => {
      const { harness, keccak } = await loadFixture(harnessFixture);
      await fc.assert(
        fc.asyncProperty(slotBytes(150), fc.nat(), fc.nat({ max: 511 }), async ([bytes, index], other, flip) => {
          const count = Math.ceil(bytes.length / SEGMENT_BYTES);
          const leaves = Array.from({ length: count }, (_, i) => segmentLeaf(keccak, i, segmentOf(bytes, i)));
          const root = hex(rootOfLeaves(keccak, leaves));
          const proof = proofOfLeaves(keccak, leaves, index).map(hex);
          const segment = segmentOf(bytes, index);
          expect(proof.length).to.equal(depthOf(count));
          expect(await harness.verifySegment(root, index, count, segment, proof)).to.equal(true);
          // Wrong depth: one node more, or one fewer.
          expect(await harness.verifySegment(root, index, count, segment, [...proof, ethers.ZeroHash])).to.equal(false);
          if (proof.length > 0) expect(await harness.verifySegment(root, index, count, segment, proof.slice(0, -1))).to.equal(false);
          // Wrong segment: one byte changed.
          const tampered = segment.slice();
          tampered[flip] ^= 0xff;
          expect(await harness.verifySegment(root, index, count, tampered, proof)).to.equal(false);
          // Another index (inside the tree, or past its end) with the same segment and proof.
          if (count > 1) {
            const wrong = (index + 1 + (other % (count - 1))) % count;
            expect(await harness.verifySegment(root, wrong, count, segment, proof)).to.equal(false);
          }
          expect(await harness.verifySegment(root, index + count, count, segment, proof)).to.equal(false);
          // A segment of the wrong length.
          expect(await harness.verifySegment(root, index, count, segment.subarray(0, 511), proof)).to.equal(false);
        }),
        { numRuns: RUNS },
      );
    });
  });
});
