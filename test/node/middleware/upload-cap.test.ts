import { expect } from 'chai';
import hre from 'hardhat';
import type { Hono } from 'hono';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNodeApp } from '../../../node/app';
import type { NodeEnv } from '../../../node/env';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import type { FileId } from '../../../protocol/ids';
import { errorBodySchema } from '../../../protocol/wire';
import { hardhatKey } from '../../../scripts/testkit/chain';
import {
  assignedShardPut,
  chainDealDeps,
  type DealWriter,
  eventually,
  fundOwners,
  type MarketChain,
  openTestDeal,
  startMarketChain,
} from '../../../scripts/testkit/node/market-chain';
import { randomShard, scratchDir, shardTarget } from '../../../scripts/testkit/node/shard-requests';
import { snapshotStore } from '../../../scripts/testkit/node/store-snapshot';

describe('node/middleware/upload-cap: a bound on uploads in progress', () => {
  const ownerKey = hardhatKey(42);
  const node = privateKeyToAccount(generatePrivateKey());
  let chain: MarketChain;
  let writer: DealWriter;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let nodeStore: NodeStore;
  let app: Hono<NodeEnv>;
  let dealId: FileId;
  let logged: string[];

  before(async () => {
    chain = await startMarketChain(hre);
    await fundOwners(chain, [ownerKey]);
    writer = { chain, ownerKey, node: node.address };
  });
  after(async () => {
    await chain.close();
  });
  beforeEach(async () => {
    logged = [];
    dir = await scratchDir();
    nodeStore = await openNodeStore({ dataDir: dir.path });
    app = createNodeApp({
      ...nodeStore,
      identity: { address: node.address, chainId: chain.chainId },
      limits: { capacityBytes: 1 << 20, maxShardBytes: 1 << 16 },
      ...chainDealDeps(chain),
      hardening: { maxConcurrentUploads: 1, uploadRetryAfterSeconds: 3 },
      log: (line) => logged.push(line),
    });
    dealId = await openTestDeal(chain, { ownerKey, slots: 2, bytesPerSlot: 8192n, durationEpochs: 4 });
  });
  afterEach(async () => {
    nodeStore.close();
    await dir.remove();
    // Refusals and hang-ups are answered, not logged as internal errors.
    expect(logged).to.deep.equal([]);
  });

  describe('when the node already takes as many uploads as it allows', () => {
    it('refuses one more with 429 TOO_MANY_UPLOADS and retry-after, before its signature is used, and stores nothing of it', async () => {
      // The first upload sends half its body and waits.
      const slowBody = randomShard(2000);
      const slow = await assignedShardPut(writer, { target: shardTarget({ fileId: dealId, column: 0, index: 0 }), body: slowBody });
      let feed!: ReadableStreamDefaultController<Uint8Array>;
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          feed = controller;
          controller.enqueue(slowBody.subarray(0, 1000));
        },
      });
      const slowAnswer = app.request(slow.path, { ...slow.init, body: stream, duplex: 'half' } as RequestInit);
      await eventually('the first upload is being received', async () => ((await snapshotStore(nodeStore)).tmp.length === 1 ? true : undefined));

      const second = await assignedShardPut(writer, { target: shardTarget({ fileId: dealId, column: 1, index: 0 }), body: randomShard(500) });
      const refused = await app.request(second.path, second.init);
      expect(refused.status).to.equal(429);
      expect(refused.headers.get('retry-after')).to.equal('3');
      expect(errorBodySchema.parse(await refused.json()).error.code).to.equal('TOO_MANY_UPLOADS');
      const during = await snapshotStore(nodeStore);
      expect(during.usage).to.deep.equal({ bytes: 0, shards: 0, slots: 0 });
      expect(during.tmp).to.have.length(1);

      feed.enqueue(slowBody.subarray(1000));
      feed.close();
      expect((await slowAnswer).status).to.equal(201);

      // The refused request never reached the signature check: the very same request now succeeds.
      const retried = await app.request(second.path, second.init);
      expect(retried.status).to.equal(201);
      const after = await snapshotStore(nodeStore);
      expect(after.usage).to.deep.equal({ bytes: 2500, shards: 2, slots: 2 });
      expect(after.tmp).to.deep.equal([]);
    });

    it('frees the place of an upload that was refused or aborted', async () => {
      const bad = await assignedShardPut(writer, {
        target: shardTarget({ fileId: dealId, column: 0, index: 0 }),
        body: randomShard(10),
        contentSha256: '00'.repeat(32),
      });
      expect((await app.request(bad.path, bad.init)).status).to.equal(400);
      const aborted = new AbortController();
      const body = randomShard(100);
      const cut = await assignedShardPut(writer, { target: shardTarget({ fileId: dealId, column: 0, index: 1 }), body });
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(body.subarray(0, 50));
        },
      });
      const cutAnswer = app.request(cut.path, { ...cut.init, body: stream, duplex: 'half', signal: aborted.signal } as RequestInit);
      await eventually('the upload is being received', async () => ((await snapshotStore(nodeStore)).tmp.length === 1 ? true : undefined));
      aborted.abort();
      await Promise.resolve(cutAnswer).catch(() => undefined);
      await eventually('the aborted upload is cleaned up', async () => ((await snapshotStore(nodeStore)).tmp.length === 0 ? true : undefined));

      const next = await assignedShardPut(writer, { target: shardTarget({ fileId: dealId, column: 1, index: 0 }), body: randomShard(10) });
      expect((await app.request(next.path, next.init)).status).to.equal(201);
    });
  });
});
