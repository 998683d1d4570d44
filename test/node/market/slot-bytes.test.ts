import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { expect } from 'chai';
import { readSlotBytes, slotLayout } from '../../../node/market/slot-bytes';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import { MANIFEST_INDEX, type ShardIndex } from '../../../protocol/column';
import { randomFileId, slotIdOf } from '../../../protocol/ids';
import { scratchDir } from '../../../scripts/testkit/node/shard-requests';
import { writeStoredShard } from '../../../scripts/testkit/node/stored-shard';

describe('node/market/slot-bytes: a slot’s bytes in column order', () => {
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let node: NodeStore;
  const fileId = randomFileId();
  const slotId = slotIdOf(fileId, 0);
  /** Writes a shard file and its index row, as a stored PUT leaves them. */
  const store = (index: ShardIndex, bytes: Buffer) => writeStoredShard(node, { slotId, fileId, column: 0, index, bytes });
  const readAll = async () => {
    const layout = slotLayout(node, { slotId });
    if (!layout) throw new Error('no layout');
    const pieces: Buffer[] = [];
    // Each piece is a view of a reused buffer: copied at once, as a tree builder does.
    for await (const piece of readSlotBytes(node, { slotId, layout })) pieces.push(Buffer.from(piece));
    return { layout, bytes: Buffer.concat(pieces), count: pieces.length };
  };

  beforeEach(async () => {
    dir = await scratchDir('dhost-slot-bytes-');
    node = await openNodeStore({ dataDir: dir.path });
  });
  afterEach(async () => {
    node.close();
    await dir.remove();
  });

  it('reads the shards in index order, then the manifest, 1 MiB at a time', async () => {
    const shards = [randomBytes((5 << 20) / 2), randomBytes(1 << 20), randomBytes(100)];
    const manifest = randomBytes(900);
    // Stored out of order, as concurrent PUTs land.
    await store(2, shards[2]);
    await store(MANIFEST_INDEX, manifest);
    await store(0, shards[0]);
    await store(1, shards[1]);
    const { layout, bytes, count } = await readAll();
    expect(layout.bytes).to.equal(bytes.length);
    expect(bytes.equals(Buffer.concat([...shards, manifest]))).to.equal(true);
    // 2.5 MiB in three reads, 1 MiB in one, then one read each for the last shard and the manifest.
    expect(count).to.equal(6);
  });

  it('throws ESHORT when a file is shorter than its index row', async () => {
    await store(0, randomBytes(4096));
    await store(MANIFEST_INDEX, randomBytes(100));
    await fs.truncate(node.store.shardPath(slotId, 0), 1000);
    const err = await readAll().catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).to.equal('ESHORT');
  });

  it('has no layout while a shard is missing or the manifest has not arrived', async () => {
    await store(1, randomBytes(10));
    await store(MANIFEST_INDEX, randomBytes(10));
    expect(slotLayout(node, { slotId })).to.equal(undefined);
    await store(0, randomBytes(10));
    expect(slotLayout(node, { slotId })).to.not.equal(undefined);
  });
});
