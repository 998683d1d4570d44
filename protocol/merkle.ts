import { createKeccak } from 'hash-wasm';
import { InvalidInputError } from './errors';
import { loadNativeTree, type NativeTree } from './native-tree';

/**
 * Segment Merkle trees (DESIGN.md, "Merkle trees"): a slot's bytes are cut in 512-byte segments
 * (the last zero-padded); leaf = keccak(0x00 ‖ uint64 index ‖ segment); inner node =
 * keccak(0x01 ‖ left ‖ right); the leaves are padded to a power of two with the constant
 * PAD_LEAF = keccak(0x02), never a copy of a real leaf; a proof lists the siblings bottom-up and
 * its length must equal the depth for the slot's segment count. A deal root is the same kind of
 * tree over its slot roots, with leaf = keccak(0x03 ‖ uint64 column ‖ slot root).
 * The contracts implement the same rules (contracts/market/SegmentProofs.sol); a property test
 * checks that both agree.
 */

/** Bytes per segment: a proof of a 512 B segment stays under 80k gas under today's calldata floor. */
export const SEGMENT_BYTES = 512;
/** Domain tags: leaf, inner node, padding leaf, slot-root leaf of a deal tree. */
export const TAG = { leaf: 0x00, node: 0x01, pad: 0x02, slotLeaf: 0x03 } as const;
/** The largest tree depth accepted (2^40 segments = 512 TiB per slot). */
export const MAX_DEPTH = 40;

/** A synchronous keccak-256 (WASM), made once per tree builder or prover. */
export interface Keccak {
  /** keccak-256 of the concatenation of `parts`. */
  hash(...parts: Uint8Array[]): Uint8Array;
}

/**
 * Makes a keccak-256 hasher (hash-wasm, about 170k segment leaves per second on one core).
 *
 * @example
 * const keccak = await createKeccakHasher();
 * keccak.hash(new Uint8Array([2])); // PAD_LEAF
 */
export async function createKeccakHasher(): Promise<Keccak> {
  const h = await createKeccak(256);
  return {
    hash: (...parts) => {
      h.init();
      for (const p of parts) h.update(p);
      return h.digest('binary');
    },
  };
}

const u64 = (n: number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
};
const LEAF_TAG = new Uint8Array([TAG.leaf]);
const NODE_TAG = new Uint8Array([TAG.node]);
const PAD_TAG = new Uint8Array([TAG.pad]);
const SLOT_LEAF_TAG = new Uint8Array([TAG.slotLeaf]);
const HASH_BYTES = 32;
/** 0x00 ‖ uint64 index. */
const LEAF_HEADER_BYTES = 9;
const LEAF_INPUT_BYTES = LEAF_HEADER_BYTES + SEGMENT_BYTES;
const NODE_INPUT_BYTES = 1 + 2 * HASH_BYTES;
/** The largest aligned subtree a builder hands to the native hasher at once: 2^11 segments (1 MiB). */
const NATIVE_BLOCK_HEIGHT = 11;
/** Smaller runs than 2^3 segments are hashed leaf by leaf (a native call costs more than it saves). */
const NATIVE_MIN_HEIGHT = 3;

/**
 * Number of segments of `bytes` bytes of slot data (at least one).
 *
 * @example
 * segmentCountOf(1025); // 3
 */
export function segmentCountOf(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new InvalidInputError('byte count must be a non-negative integer', { details: { bytes } });
  return Math.max(1, Math.ceil(bytes / SEGMENT_BYTES));
}

/**
 * Depth of the tree over `count` leaves: ceil(log2(count)), 0 for a single leaf.
 *
 * @example
 * depthOf(5); // 3
 */
export function depthOf(count: number): number {
  if (!Number.isSafeInteger(count) || count < 1) throw new InvalidInputError('leaf count must be a positive integer', { details: { count } });
  let depth = 0;
  while (2 ** depth < count) depth++;
  if (depth > MAX_DEPTH) throw new InvalidInputError(`tree deeper than ${MAX_DEPTH}`, { details: { count } });
  return depth;
}

/**
 * Roots of all-padding subtrees: `padRoots(k)[h]` is the root of 2^h PAD_LEAFs.
 *
 * @example
 * const pads = padRoots(keccak); // pads[0] = keccak(0x02)
 */
export function padRoots(keccak: Keccak): Uint8Array[] {
  const out = [keccak.hash(PAD_TAG)];
  for (let h = 1; h <= MAX_DEPTH; h++) out.push(keccak.hash(NODE_TAG, out[h - 1], out[h - 1]));
  return out;
}

/**
 * The leaf of segment `index` (`segment` must be exactly SEGMENT_BYTES; pad the last one with zeros).
 *
 * @example
 * segmentLeaf(keccak, 0, new Uint8Array(512));
 */
export function segmentLeaf(keccak: Keccak, index: number, segment: Uint8Array): Uint8Array {
  if (segment.length !== SEGMENT_BYTES) throw new InvalidInputError(`a segment is ${SEGMENT_BYTES} bytes`, { details: { length: segment.length } });
  return keccak.hash(LEAF_TAG, u64(index), segment);
}

/**
 * An inner node.
 *
 * @example
 * innerNode(keccak, left, right);
 */
export function innerNode(keccak: Keccak, left: Uint8Array, right: Uint8Array): Uint8Array {
  return keccak.hash(NODE_TAG, left, right);
}

/**
 * Root of a tree over `leaves` (padded to a power of two with PAD_LEAF subtrees).
 *
 * @example
 * rootOfLeaves(keccak, [leafA, leafB, leafC]);
 */
export function rootOfLeaves(keccak: Keccak, leaves: Uint8Array[]): Uint8Array {
  const depth = depthOf(leaves.length);
  const pads = padRoots(keccak);
  let level = leaves;
  for (let h = 0; h < depth; h++) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(innerNode(keccak, level[i], level[i + 1] ?? pads[h]));
    level = next;
  }
  return level[0];
}

/**
 * The sibling path (bottom-up) of leaf `index` in the tree over `leaves`.
 *
 * @example
 * const proof = proofOfLeaves(keccak, leaves, 2);
 */
export function proofOfLeaves(keccak: Keccak, leaves: Uint8Array[], index: number): Uint8Array[] {
  const depth = depthOf(leaves.length);
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length)
    throw new InvalidInputError('leaf index out of range', { details: { index, count: leaves.length } });
  const pads = padRoots(keccak);
  const proof: Uint8Array[] = [];
  let level = leaves;
  let i = index;
  for (let h = 0; h < depth; h++) {
    proof.push(level[i ^ 1] ?? pads[h]);
    const next: Uint8Array[] = [];
    for (let j = 0; j < level.length; j += 2) next.push(innerNode(keccak, level[j], level[j + 1] ?? pads[h]));
    level = next;
    i >>= 1;
  }
  return proof;
}

/**
 * Recomputes the root from a leaf and its proof; the proof must be exactly `depthOf(count)` long.
 *
 * @example
 * rootFromProof(keccak, { leaf, index: 2, count: 5, proof }); // equals the root when the proof is right
 */
export function rootFromProof(keccak: Keccak, params: { leaf: Uint8Array; index: number; count: number; proof: Uint8Array[] }): Uint8Array {
  const depth = depthOf(params.count);
  if (params.proof.length !== depth) throw new InvalidInputError(`proof has ${params.proof.length} nodes, the tree depth is ${depth}`, { details: { depth } });
  if (!Number.isInteger(params.index) || params.index < 0 || params.index >= params.count) throw new InvalidInputError('leaf index out of range');
  let node = params.leaf;
  let i = params.index;
  for (const sibling of params.proof) {
    node = i & 1 ? innerNode(keccak, sibling, node) : innerNode(keccak, node, sibling);
    i >>= 1;
  }
  return node;
}

/**
 * The leaf of a slot root in its deal's tree: keccak(0x03 ‖ uint64 column ‖ slotRoot).
 *
 * @example
 * slotRootLeaf(keccak, 0, slotRoot);
 */
export function slotRootLeaf(keccak: Keccak, column: number, slotRoot: Uint8Array): Uint8Array {
  return keccak.hash(SLOT_LEAF_TAG, u64(column), slotRoot);
}

/**
 * The deal root over the slot roots (column order): the tree over their `slotRootLeaf`s, padded
 * as every tree. This is what the owner commits on chain.
 *
 * @example
 * const root = dealRootOf(keccak, [slotRootA, slotRootB, slotRootC]);
 */
export function dealRootOf(keccak: Keccak, slotRoots: Uint8Array[]): Uint8Array {
  return rootOfLeaves(
    keccak,
    slotRoots.map((root, column) => slotRootLeaf(keccak, column, root)),
  );
}

/**
 * The proof (bottom-up) of column `column`'s slot root in the deal root, as `fillSlot` takes it.
 *
 * @example
 * const rootProof = slotRootProof(keccak, slotRoots, 2);
 */
export function slotRootProof(keccak: Keccak, slotRoots: Uint8Array[], column: number): Uint8Array[] {
  return proofOfLeaves(
    keccak,
    slotRoots.map((root, c) => slotRootLeaf(keccak, c, root)),
    column,
  );
}

/** The result of building a slot's segment tree. */
export interface SegmentTree {
  root: Uint8Array;
  segmentCount: number;
  depth: number;
  bytes: number;
  /** Level kept for proofs (each node covers 2^keptLevel segments). */
  keptLevel: number;
  /** The nodes of `keptLevel`, in order (real subtrees only; the padding is implied). */
  keptNodes: Uint8Array[];
}

/**
 * Builds a slot's segment tree from its bytes as they stream by, in one pass and constant memory
 * (a stack of at most MAX_DEPTH subtree roots), keeping the nodes at `keptLevel` (default 8: one
 * node per 128 KiB) so that a proof later rehashes only 2^keptLevel segments.
 *
 * @example
 * const builder = await SegmentTreeBuilder.create();
 * for await (const piece of column) builder.write(piece);
 * const { root, segmentCount } = builder.finish();
 */
export class SegmentTreeBuilder {
  private readonly pads: Uint8Array[];
  /**
   * The leaf preimage, reused: 0x00 ‖ uint64 index ‖ segment. Segments are copied into it and the
   * last partial segment is gathered in place, so each leaf is one keccak call over one buffer.
   */
  private readonly leafInput = new Uint8Array(LEAF_INPUT_BYTES);
  private readonly leafIndex = new DataView(this.leafInput.buffer, 1, 8);
  /** The inner-node preimage, reused: 0x01 ‖ left ‖ right. */
  private readonly nodeInput = new Uint8Array(NODE_INPUT_BYTES);
  private pendingLength = 0;
  private leaves = 0;
  private bytes = 0;
  /** Complete subtrees, heights strictly decreasing: `stackRoots[i]` has height `stackHeights[i]`. */
  private readonly stackHeights: number[] = [];
  private readonly stackRoots: Uint8Array[] = [];
  private readonly kept: Uint8Array[] = [];
  private finished = false;

  private constructor(
    private readonly keccak: Keccak,
    private readonly keptLevel: number,
    private readonly native: NativeTree | undefined,
  ) {
    this.pads = padRoots(keccak);
    this.leafInput[0] = TAG.leaf;
    this.nodeInput[0] = TAG.node;
  }

  /**
   * Makes a builder with its own keccak instance. Aligned runs of whole segments go to the native
   * hasher (`protocol/native-tree.ts`, several leaves per SIMD pass) when it is built; `native:
   * false` hashes everything with the WASM keccak (the same tree, slower). `keccak` shares one
   * hasher between builders (safe: each hash is one synchronous call), as a node building many
   * columns at once does.
   */
  static async create(options: { keptLevel?: number; native?: NativeTree | false; keccak?: Keccak } = {}): Promise<SegmentTreeBuilder> {
    const native = options.native === false ? undefined : (options.native ?? loadNativeTree());
    return new SegmentTreeBuilder(options.keccak ?? (await createKeccakHasher()), options.keptLevel ?? 8, native);
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.bytes;
  }

  /** Adds the next bytes of the slot. */
  write(bytes: Uint8Array): void {
    if (this.finished) throw new InvalidInputError('tree already finished');
    this.bytes += bytes.length;
    const segment = this.leafInput.subarray(LEAF_HEADER_BYTES);
    let at = 0;
    if (this.pendingLength > 0) {
      const take = Math.min(SEGMENT_BYTES - this.pendingLength, bytes.length);
      segment.set(bytes.subarray(0, take), this.pendingLength);
      this.pendingLength += take;
      at = take;
      if (this.pendingLength === SEGMENT_BYTES) {
        this.pushLeaf();
        this.pendingLength = 0;
      }
    }
    while (bytes.length - at >= SEGMENT_BYTES) {
      const height = this.blockHeight(Math.floor((bytes.length - at) / SEGMENT_BYTES));
      if (height >= NATIVE_MIN_HEIGHT) {
        const end = at + 2 ** height * SEGMENT_BYTES;
        this.pushBlock(bytes.subarray(at, end), height);
        at = end;
        continue;
      }
      segment.set(bytes.subarray(at, at + SEGMENT_BYTES));
      this.pushLeaf();
      at += SEGMENT_BYTES;
    }
    if (at < bytes.length) {
      segment.set(bytes.subarray(at), 0);
      this.pendingLength = bytes.length - at;
    }
  }

  /** Pads the last segment, pads the leaves to a power of two, and returns the root. */
  finish(): SegmentTree {
    if (this.finished) throw new InvalidInputError('tree already finished');
    if (this.pendingLength > 0 || this.leaves === 0) {
      this.leafInput.fill(0, LEAF_HEADER_BYTES + this.pendingLength);
      this.pushLeaf();
      this.pendingLength = 0;
    }
    this.finished = true;
    const depth = depthOf(this.leaves);
    // Fold the stack from the top, filling each gap with an all-padding subtree of that height.
    // The last, partial subtree at keptLevel (real segments then padding) is formed here.
    const top = this.stackRoots.length - 1;
    let node = this.stackRoots[top];
    let height = this.stackHeights[top];
    let partialKept: Uint8Array | undefined;
    for (let s = top - 1; ; ) {
      while (s >= 0 && this.stackHeights[s] === height) {
        node = innerNode(this.keccak, this.stackRoots[s], node);
        height++;
        s--;
        if (height === this.keptLevel) partialKept = node;
      }
      if (height >= depth) break;
      node = innerNode(this.keccak, node, this.pads[height]);
      height++;
      if (height === this.keptLevel) partialKept = node;
    }
    const wanted = this.keptLevel <= depth ? Math.ceil(this.leaves / 2 ** this.keptLevel) : 0;
    const keptNodes = this.kept.slice(0, wanted);
    if (keptNodes.length < wanted && partialKept) keptNodes.push(partialKept);
    return { root: node, segmentCount: this.leaves, depth, bytes: this.bytes, keptLevel: this.keptLevel, keptNodes };
  }

  /**
   * The height of the native block that can start at leaf `leaves` with `available` whole segments
   * at hand: the largest power of two that both fit and keep the block aligned (up to
   * NATIVE_BLOCK_HEIGHT), or -1 without the native hasher.
   */
  private blockHeight(available: number): number {
    if (!this.native) return -1;
    let height = Math.min(NATIVE_BLOCK_HEIGHT, Math.floor(Math.log2(available)));
    while (height > 0 && this.leaves % 2 ** height !== 0) height--;
    return height;
  }

  /** Hashes 2^height whole segments as one aligned subtree (native) and pushes its root. */
  private pushBlock(block: Uint8Array, height: number): void {
    const native = this.native as NativeTree;
    const keptCount = this.keptLevel <= height ? 2 ** (height - this.keptLevel) : 0;
    const out = new Uint8Array(HASH_BYTES * (1 + keptCount));
    native.subtree(block, this.leaves, height, this.keptLevel, out);
    for (let i = 1; i <= keptCount; i++) this.kept.push(out.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES));
    this.leaves += 2 ** height;
    this.pushNode(out.subarray(0, HASH_BYTES), height);
  }

  /** Hashes the segment waiting in `leafInput` as leaf number `leaves` and pushes it. */
  private pushLeaf(): void {
    const index = this.leaves;
    // uint64 big-endian without a BigInt: indices stay below 2^MAX_DEPTH < 2^53.
    this.leafIndex.setUint32(0, Math.floor(index / 2 ** 32));
    this.leafIndex.setUint32(4, index >>> 0);
    const leaf = this.keccak.hash(this.leafInput);
    this.leaves++;
    if (this.keptLevel === 0) this.kept.push(leaf);
    this.pushNode(leaf, 0);
  }

  /** Pushes a complete subtree of `height` (its kept nodes already recorded) and merges equal-height subtrees. */
  private pushNode(root: Uint8Array, rootHeight: number): void {
    let node = root;
    let height = rootHeight;
    const heights = this.stackHeights;
    const roots = this.stackRoots;
    const input = this.nodeInput;
    while (heights.length > 0 && heights[heights.length - 1] === height) {
      heights.pop();
      input.set(roots.pop() as Uint8Array, 1);
      input.set(node, 1 + HASH_BYTES);
      node = this.keccak.hash(input);
      height++;
      if (height === this.keptLevel) this.kept.push(node);
    }
    heights.push(height);
    roots.push(node);
  }
}

/**
 * The proof of segment `index` from what a peer keeps: the nodes at `keptLevel` (from the builder)
 * and the bytes of the 2^keptLevel segments around `index` (read back from disk; the last group
 * may be shorter). Only that group is rehashed.
 *
 * @example
 * const proof = proveSegment(keccak, { segmentCount, keptLevel, keptNodes, group, index });
 */
export function proveSegment(
  keccak: Keccak,
  params: { segmentCount: number; keptLevel: number; keptNodes: Uint8Array[]; group: Uint8Array; index: number },
): { segment: Uint8Array; proof: Uint8Array[] } {
  const depth = depthOf(params.segmentCount);
  const level = Math.min(params.keptLevel, depth);
  const groupSize = 2 ** level;
  const first = Math.floor(params.index / groupSize) * groupSize;
  const real = Math.min(groupSize, params.segmentCount - first);
  if (params.index < 0 || params.index >= params.segmentCount) throw new InvalidInputError('segment index out of range', { details: { index: params.index } });
  if (params.group.length > real * SEGMENT_BYTES || params.group.length <= (real - 1) * SEGMENT_BYTES) {
    throw new InvalidInputError('group bytes do not match the segments of its group', { details: { length: params.group.length, segments: real } });
  }
  const leaves: Uint8Array[] = [];
  let segment = new Uint8Array(SEGMENT_BYTES);
  for (let i = 0; i < real; i++) {
    const seg = new Uint8Array(SEGMENT_BYTES);
    seg.set(params.group.subarray(i * SEGMENT_BYTES, (i + 1) * SEGMENT_BYTES));
    if (first + i === params.index) segment = seg;
    leaves.push(segmentLeaf(keccak, first + i, seg));
  }
  const pads = padRoots(keccak);
  while (leaves.length < groupSize) leaves.push(pads[0]);
  const lower = level === 0 ? [] : proofOfLeaves(keccak, leaves, params.index - first);
  if (level === depth) return { segment, proof: lower };
  // Upper levels: a tree over the kept nodes, padded with all-padding subtrees of that height.
  const upper: Uint8Array[] = [];
  let nodes = params.keptNodes;
  let i = first / groupSize;
  for (let h = level; h < depth; h++) {
    upper.push(nodes[i ^ 1] ?? pads[h]);
    const next: Uint8Array[] = [];
    for (let j = 0; j < nodes.length; j += 2) next.push(innerNode(keccak, nodes[j], nodes[j + 1] ?? pads[h]));
    nodes = next;
    i >>= 1;
  }
  return { segment, proof: [...lower, ...upper] };
}
