import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { expect } from 'chai';
import { type ColumnTreeProgress, type ColumnTrees, createColumnTrees } from '../../../node/market/column-trees';
import { KEPT_LEVEL } from '../../../node/market/fill';
import { readSlotBytes, type SlotLayout, slotLayout } from '../../../node/market/slot-bytes';
import { deleteSlot } from '../../../node/store/delete-slot';
import { createKeyedLock } from '../../../node/store/keyed-lock';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import { MANIFEST_INDEX, type ShardIndex } from '../../../protocol/column';
import { randomFileId, type SlotId, slotIdOf } from '../../../protocol/ids';
import { type SegmentTree, SegmentTreeBuilder } from '../../../protocol/merkle';
import { scratchDir } from '../../../scripts/testkit/node/shard-requests';
import { writeStoredShard } from '../../../scripts/testkit/node/stored-shard';

/** A shard as a client sends it: 1 MiB of ciphertext and its 16-byte tag, so segments straddle shards. */
const SHARD_BYTES = (1 << 20) + 16;

describe('node/market/column-trees: a node builds each column’s tree while its shards arrive', () => {
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let node: NodeStore;
  let trees: ColumnTrees;
  let logged: string[];
  const fileId = randomFileId();
  const columns = new Map<SlotId, number>();
  /** The slot of a column of the test's deal. */
  const slot = (column: number): SlotId => {
    const slotId = slotIdOf(fileId, column);
    columns.set(slotId, column);
    return slotId;
  };

  /** Writes a shard file and its index row, as a stored PUT leaves them, then tells the trees as the shard route does. */
  const store = async (slotId: SlotId, index: ShardIndex, bytes: Uint8Array, opts: { notify?: boolean } = {}) => {
    await writeStoredShard(node, { slotId, fileId, column: columns.get(slotId) ?? 0, index, bytes });
    if (opts.notify !== false) trees.shardStored(slotId, index);
  };
  /** The tree of the slot's bytes read whole from disk: what a fill without help computes. */
  const wholeTree = async (slotId: SlotId, layout: SlotLayout): Promise<SegmentTree> => {
    const builder = await SegmentTreeBuilder.create({ keptLevel: KEPT_LEVEL });
    for await (const piece of readSlotBytes(node, { slotId, layout })) builder.write(piece);
    return builder.finish();
  };
  const layoutOf = (slotId: SlotId): SlotLayout => {
    const layout = slotLayout(node, { slotId });
    if (!layout) throw new Error('the column is incomplete');
    return layout;
  };
  /**
   * Takes the slot's tree (`parts` shards hashed, or the test fails), finishes it with the parts it
   * has not hashed as the fill does, and returns it with the tree of a whole read.
   */
  const handOver = async (slotId: SlotId, parts: number) => {
    const layout = layoutOf(slotId);
    const progress = await trees.take(slotId, layout);
    expect(progress?.parts, 'shards hashed before the fill').to.equal(parts);
    const { builder } = progress as ColumnTreeProgress;
    const bytesBefore = builder.bytesWritten;
    const rest = { parts: layout.parts.slice(parts), bytes: layout.bytes };
    for await (const piece of readSlotBytes(node, { slotId, layout: rest })) builder.write(piece);
    return { tree: builder.finish(), whole: await wholeTree(slotId, layout), bytesBefore, layout };
  };

  beforeEach(async () => {
    dir = await scratchDir('dhost-column-trees-');
    node = await openNodeStore({ dataDir: dir.path });
    logged = [];
    trees = createColumnTrees({ index: node.index, store: node.store, log: (line) => logged.push(line) }, { keptLevel: KEPT_LEVEL });
  });
  afterEach(async () => {
    await trees.idle();
    node.close();
    await dir.remove();
  });

  it('hashes shards that land out of order once every shard before them is there, and hands over the same tree as a whole read', async () => {
    const slotId = slot(0);
    const shards = [0, 1, 2, 3].map(() => randomBytes(SHARD_BYTES));
    for (const i of [2, 0, 3, 1]) await store(slotId, i, shards[i]);
    await store(slotId, MANIFEST_INDEX, randomBytes(1234));

    const { tree, whole, bytesBefore, layout } = await handOver(slotId, 4);
    expect(bytesBefore).to.equal(4 * SHARD_BYTES);
    expect(Buffer.from(tree.root).toString('hex')).to.equal(Buffer.from(whole.root).toString('hex'));
    expect(tree.segmentCount).to.equal(whole.segmentCount);
    expect(tree.keptNodes.map((n) => Buffer.from(n).toString('hex'))).to.deep.equal(whole.keptNodes.map((n) => Buffer.from(n).toString('hex')));
    // Handed over once: the slot is no longer tracked.
    expect(trees.size).to.equal(0);
    expect(await trees.take(slotId, layout)).to.equal(undefined);
  });

  it('stops at a gap: a shard stored without notice is read by the fill, with the same root', async () => {
    const slotId = slot(1);
    const shards = [0, 1, 2].map(() => randomBytes(SHARD_BYTES));
    await store(slotId, 0, shards[0]);
    await store(slotId, 2, shards[2]);
    await trees.idle();
    // Shard 1 lands after the hashing of shard 2's notice found it missing, and nobody says so.
    await store(slotId, 1, shards[1], { notify: false });
    await store(slotId, MANIFEST_INDEX, randomBytes(500));

    const { tree, whole } = await handOver(slotId, 1);
    expect(tree.root).to.deep.equal(whole.root);
  });

  it('starts a tree only at shard 0: a column whose shard 0 it never saw is left to the fill', async () => {
    const slotId = slot(2);
    await store(slotId, 0, randomBytes(SHARD_BYTES), { notify: false });
    await store(slotId, 1, randomBytes(SHARD_BYTES));
    await store(slotId, MANIFEST_INDEX, randomBytes(10));
    expect(await trees.take(slotId, layoutOf(slotId))).to.equal(undefined);
    expect(trees.size).to.equal(0);
  });

  it('refuses to hand over a tree whose bytes are not the layout’s (other shard sizes)', async () => {
    const slotId = slot(3);
    await store(slotId, 0, randomBytes(SHARD_BYTES));
    await store(slotId, MANIFEST_INDEX, randomBytes(10));
    const layout = layoutOf(slotId);
    await trees.idle();
    const shifted: SlotLayout = {
      parts: [
        { index: 0, size: SHARD_BYTES - 1, offset: 0 },
        { index: MANIFEST_INDEX, size: 10, offset: SHARD_BYTES - 1 },
      ],
      bytes: SHARD_BYTES + 9,
    };
    expect(await trees.take(slotId, shifted)).to.equal(undefined);
    // Refused means dropped: even the right layout gets nothing now.
    expect(await trees.take(slotId, layout)).to.equal(undefined);
  });

  it('drops a slot whose shard file is gone before it is read, and says so', async () => {
    const slotId = slot(4);
    await store(slotId, 0, randomBytes(SHARD_BYTES), { notify: false });
    await fs.rm(node.store.shardPath(slotId, 0));
    trees.shardStored(slotId, 0);
    await trees.idle();
    expect(trees.size).to.equal(0);
    expect(logged.join('\n')).to.match(/stopped hashing its column as it arrives \(ENOENT/);
  });

  it('starts afresh when shard 0 comes again: a slot deleted and written anew gets the tree of its new bytes', async () => {
    const slotId = slot(5);
    await store(slotId, 0, randomBytes(SHARD_BYTES));
    await store(slotId, 1, randomBytes(SHARD_BYTES));
    await trees.idle();
    await deleteSlot({ index: node.index, store: node.store, locks: createKeyedLock() }, { slotId });
    await store(slotId, 0, randomBytes(SHARD_BYTES));
    await store(slotId, 1, randomBytes(SHARD_BYTES));
    await store(slotId, MANIFEST_INDEX, randomBytes(64));
    const { tree, whole } = await handOver(slotId, 2);
    expect(tree.root).to.deep.equal(whole.root);
  });

  it('tracks at most maxSlots columns, dropping the least recently fed', async () => {
    trees = createColumnTrees({ index: node.index, store: node.store }, { keptLevel: KEPT_LEVEL, maxSlots: 2 });
    const [a, b, c] = [6, 7, 8].map(slot);
    // One at a time, each hashed before the next lands.
    for (const [slotId, index] of [
      [a, 0],
      [b, 0],
      [a, 1], // a fed again: b is now the oldest
      [c, 0],
    ] as const) {
      await store(slotId, index, randomBytes(600));
      await trees.idle();
    }
    expect(trees.size).to.equal(2);
    for (const slotId of [a, c]) await store(slotId, MANIFEST_INDEX, randomBytes(10));
    await store(b, MANIFEST_INDEX, randomBytes(10));
    expect(await trees.take(b, layoutOf(b))).to.equal(undefined);
    expect((await trees.take(a, layoutOf(a)))?.parts).to.equal(2);
    expect((await trees.take(c, layoutOf(c)))?.parts).to.equal(1);
  });

  it('forgets a slot on request', async () => {
    const slotId = slot(9);
    await store(slotId, 0, randomBytes(700));
    await store(slotId, MANIFEST_INDEX, randomBytes(10));
    await trees.idle();
    expect(trees.size).to.equal(1);
    trees.forget(slotId);
    expect(await trees.take(slotId, layoutOf(slotId))).to.equal(undefined);
  });
});
