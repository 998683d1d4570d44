import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { expect } from 'chai';
import { BodyLengthMismatchError } from '../../../node/errors';
import { openNodeStore } from '../../../node/store/open-node-store';
import { createSlotStore } from '../../../node/store/slot-store';
import { scratchDir } from '../../../scripts/testkit/node/shard-requests';

async function* pieces(...sizes: number[]): AsyncIterable<Uint8Array> {
  for (const [i, size] of sizes.entries()) yield new Uint8Array(size).fill(i + 1);
}

describe('node/store/slot-store: receiving a body tells the scavenger what arrived', () => {
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  beforeEach(async () => {
    dir = await scratchDir('dhost-slot-store-');
  });
  afterEach(async () => {
    await dir.remove();
  });

  it('reports each piece of the body once it is written, and the file holds every byte', async () => {
    const told: number[] = [];
    const store = await createSlotStore({ dataDir: dir.path, scavenger: { progressed: (bytes) => void told.push(bytes) } });
    const temp = await store.receive({ body: pieces(65536, 65536, 17), maxBytes: 1 << 20, declaredLength: 131089 });
    expect(told).to.deep.equal([65536, 65536, 17]);
    const bytes = await fs.readFile(temp.path);
    expect(bytes.length).to.equal(131089);
    expect(temp.sha256).to.equal(createHash('sha256').update(bytes).digest('hex'));
  });

  it('reports what was written before a body turned out longer than declared, and leaves no file behind', async () => {
    const told: number[] = [];
    const store = await createSlotStore({ dataDir: dir.path, scavenger: { progressed: (bytes) => void told.push(bytes) } });
    const refused = await store.receive({ body: pieces(100, 100), maxBytes: 1 << 20, declaredLength: 150 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).to.be.instanceOf(BodyLengthMismatchError);
    expect(told).to.deep.equal([100]);
    expect(await fs.readdir(store.tmpDir)).to.deep.equal([]);
  });

  it('is given its scavenger by openNodeStore', async () => {
    const told: number[] = [];
    const nodeStore = await openNodeStore({ dataDir: dir.path, scavenger: { progressed: (bytes) => void told.push(bytes) } });
    try {
      await nodeStore.store.receive({ body: pieces(10, 20), maxBytes: 100 });
      expect(told).to.deep.equal([10, 20]);
    } finally {
      nodeStore.close();
    }
  });
});
