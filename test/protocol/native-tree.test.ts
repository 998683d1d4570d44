import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { createKeccakHasher, innerNode, type Keccak, SEGMENT_BYTES, SegmentTreeBuilder, segmentLeaf } from '../../protocol/merkle';
import { loadNativeTree, type NativeTree } from '../../protocol/native-tree';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('protocol/native-tree', () => {
  let keccak: Keccak;
  let native: NativeTree;
  before(async () => {
    keccak = await createKeccakHasher();
    const loaded = loadNativeTree();
    // `npm install` builds the addon (protocol/native/binding.gyp); a missing build is a failed install.
    if (!loaded) throw new Error('the native tree hasher is not built: run npm install');
    native = loaded;
  });

  /** Every level of the tree over `count` segments from leaf index `first`, with the WASM keccak. */
  const levelsOf = (segments: Uint8Array, first: number) => {
    let level = Array.from({ length: segments.length / SEGMENT_BYTES }, (_, i) =>
      segmentLeaf(keccak, first + i, segments.subarray(i * SEGMENT_BYTES, (i + 1) * SEGMENT_BYTES)),
    );
    const levels = [level];
    while (level.length > 1) {
      const next: Uint8Array[] = [];
      for (let i = 0; i < level.length; i += 2) next.push(innerNode(keccak, level[i], level[i + 1]));
      levels.push(next);
      level = next;
    }
    return levels;
  };

  it('runs at least the one-lane implementation, and lists the faster ones this CPU has first', () => {
    expect(native.implementations.length).to.be.greaterThan(0);
    expect(native.implementations[native.implementations.length - 1]).to.equal('scalar');
    for (const name of native.implementations) expect(['avx512', 'avx2', 'scalar']).to.include(name);
  });

  it('is off when DHOST_NATIVE_TREE=0', () => {
    expect(loadNativeTree({ DHOST_NATIVE_TREE: '0' })).to.equal(undefined);
  });

  it('gives, in every implementation, the root and kept level that segmentLeaf and innerNode give', () => {
    // Heights from one leaf to 1 MiB; counts that are not a multiple of the lane width (1, 2, 4)
    // leave lanes unused; a first index past 2^32 checks the high half of the uint64 index.
    for (const height of [0, 1, 2, 3, 4, 11]) {
      const segments = randomBytes(2 ** height * SEGMENT_BYTES);
      for (const first of [0, 2 ** height * 7, 2 ** 33 + 2 ** height * 3]) {
        const levels = levelsOf(segments, first);
        for (const impl of native.implementations) {
          for (const kept of [0, Math.min(2, height), height, height + 1]) {
            const keptCount = kept <= height ? 2 ** (height - kept) : 0;
            const out = new Uint8Array(32 * (1 + keptCount));
            native.subtree(segments, first, height, kept, out, impl);
            expect(hex(out.subarray(0, 32)), `${impl} root, height ${height}`).to.equal(hex(levels[height][0]));
            if (keptCount > 0) expect(hex(out.subarray(32)), `${impl} level ${kept}`).to.equal(levels[kept].map(hex).join(''));
          }
        }
      }
    }
  });

  describe('when the arguments are wrong', () => {
    const segments = new Uint8Array(4 * SEGMENT_BYTES);
    const cases: [string, () => void, RegExp][] = [
      ['segments of the wrong length', () => native.subtree(segments.subarray(1), 0, 2, 9, new Uint8Array(32)), /2\^height \* 512/],
      ['an out too small for the kept level', () => native.subtree(segments, 0, 2, 1, new Uint8Array(32)), /root and the kept nodes/],
      ['a height above 20', () => native.subtree(segments, 0, 21, 30, new Uint8Array(32)), /height/],
      ['a negative first index', () => native.subtree(segments, -4, 2, 9, new Uint8Array(32)), /first/],
      ['a fractional first index', () => native.subtree(segments, 0.5, 2, 9, new Uint8Array(32)), /first/],
      ['an implementation this CPU lacks', () => native.subtree(segments, 0, 2, 9, new Uint8Array(32), 'sse9'), /implementation/],
      ['segments that are not bytes', () => native.subtree(new Uint16Array(1024) as unknown as Uint8Array, 0, 2, 9, new Uint8Array(32)), /Uint8Array/],
    ];
    for (const [what, call, message] of cases) {
      it(`refuses ${what} and writes nothing`, () => {
        expect(call).to.throw(message);
      });
    }
    it('leaves out untouched when it refuses', () => {
      const out = new Uint8Array(32).fill(7);
      expect(() => native.subtree(segments.subarray(1), 0, 2, 9, out)).to.throw();
      expect([...out].every((b) => b === 7)).to.equal(true);
    });
  });

  it('makes a SegmentTreeBuilder give the tree the WASM keccak gives, for any size and slicing', async () => {
    // Count the native calls, so that the property is known to have gone through the native path.
    let calls = 0;
    const counting: NativeTree = {
      implementations: native.implementations,
      subtree: (...args) => {
        calls++;
        native.subtree(...args);
      },
    };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 * 1024 * 1024 + 3 * SEGMENT_BYTES + 5 }),
        fc.array(fc.oneof(fc.integer({ min: 1, max: 70_000 }), fc.constant(1024 * 1024), fc.constant(8 * SEGMENT_BYTES)), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 12 }),
        async (size, cuts, keptLevel) => {
          const bytes = randomBytes(size);
          const withNative = await SegmentTreeBuilder.create({ keptLevel, native: counting });
          const withWasm = await SegmentTreeBuilder.create({ keptLevel, native: false });
          for (let at = 0, c = 0; at < size; c++) {
            const piece = bytes.subarray(at, at + cuts[c % cuts.length]);
            withNative.write(piece);
            withWasm.write(piece);
            at += piece.length;
          }
          const a = withNative.finish();
          const b = withWasm.finish();
          expect(hex(a.root)).to.equal(hex(b.root));
          expect({ ...a, root: undefined, keptNodes: a.keptNodes.map(hex) }).to.deep.equal({ ...b, root: undefined, keptNodes: b.keptNodes.map(hex) });
        },
      ),
      { numRuns: 25 },
    );
    expect(calls).to.be.greaterThan(0);
  });
});
