import { expect } from 'chai';
import hre from 'hardhat';
import { Hono } from 'hono';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNodeApp } from '../../../node/app';
import type { NodeEnv } from '../../../node/env';
import { errorHandler } from '../../../node/middleware/error-handler';
import { rateLimit } from '../../../node/middleware/rate-limit';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import type { FileId } from '../../../protocol/ids';
import { errorBodySchema } from '../../../protocol/wire';
import { hardhatKey } from '../../../scripts/testkit/chain';
import {
  assignedShardPut,
  chainDealDeps,
  type DealWriter,
  fundOwners,
  type MarketChain,
  openTestDeal,
  startMarketChain,
} from '../../../scripts/testkit/node/market-chain';
import { randomShard, scratchDir, shardTarget } from '../../../scripts/testkit/node/shard-requests';
import { snapshotStore } from '../../../scripts/testkit/node/store-snapshot';

describe('node/middleware/rate-limit: token buckets per signer and per remote address', () => {
  const ownerKey = hardhatKey(43);
  const otherKey = hardhatKey(44);
  const node = privateKeyToAccount(generatePrivateKey());
  let chain: MarketChain;
  let writer: DealWriter;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let nodeStore: NodeStore;
  let app: Hono<NodeEnv>;
  let dealId: FileId;
  /** The app's clock: moved by the tests, so refills do not depend on how fast they run. */
  let clock: number;
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
    clock = Date.now();
    dir = await scratchDir();
    nodeStore = await openNodeStore({ dataDir: dir.path });
    app = createNodeApp({
      ...nodeStore,
      identity: { address: node.address, chainId: chain.chainId },
      limits: { capacityBytes: 1 << 20, maxShardBytes: 1 << 16 },
      ...chainDealDeps(chain),
      now: () => clock,
      hardening: { signerRateLimit: { burst: 2, perSecond: 0.5 }, readRateLimit: { burst: 3, perSecond: 1 } },
      log: (line) => logged.push(line),
    });
    dealId = await openTestDeal(chain, { ownerKey, slots: 1, bytesPerSlot: 8192n, durationEpochs: 4 });
  });
  afterEach(async () => {
    nodeStore.close();
    await dir.remove();
    expect(logged).to.deep.equal([]);
  });

  const put = (index: number, signerKey = ownerKey) =>
    assignedShardPut(writer, { target: shardTarget({ fileId: dealId, column: 0, index }), body: randomShard(100), signerKey });

  async function expectRateLimited(res: Response, retryAfter: string) {
    expect(res.status, await res.clone().text()).to.equal(429);
    expect(res.headers.get('retry-after')).to.equal(retryAfter);
    expect(errorBodySchema.parse(await res.json()).error.code).to.equal('RATE_LIMITED');
  }

  describe('when one signer writes faster than its budget', () => {
    it('refuses the write beyond the burst with 429 RATE_LIMITED and retry-after, and stores nothing of it', async () => {
      for (const index of [0, 1]) {
        const ok = await put(index);
        expect((await app.request(ok.path, ok.init)).status).to.equal(201);
      }
      const over = await put(2);
      // 0.5 tokens a second: the next token is back in 2 s.
      await expectRateLimited(await app.request(over.path, over.init), '2');
      const snap = await snapshotStore(nodeStore);
      expect(snap.usage).to.deep.equal({ bytes: 200, shards: 2, slots: 1 });
      expect(snap.tmp).to.deep.equal([]);
    });

    it('counts per signer: another signer is not limited by the first one’s writes', async () => {
      for (const index of [0, 1]) {
        const ok = await put(index);
        expect((await app.request(ok.path, ok.init)).status).to.equal(201);
      }
      // The other key passes the limiter and is refused later, for not owning the deal.
      const other = await put(2, otherKey);
      const res = await app.request(other.path, other.init);
      expect(res.status).to.equal(403);
      expect(errorBodySchema.parse(await res.json()).error.code).to.equal('NOT_DEAL_OWNER');
    });

    it('counts commit notices against the same budget', async () => {
      for (const index of [0, 1]) {
        const ok = await put(index);
        expect((await app.request(ok.path, ok.init)).status).to.equal(201);
      }
      const signed = await put(2);
      const commitPath = signed.path.replace(/\/shards\/2\?/, '/commit?');
      const notice = await assignedShardPut(writer, {
        target: shardTarget({ fileId: dealId, column: 0, index: 2 }),
        body: new TextEncoder().encode('{}'),
        path: commitPath,
      });
      await expectRateLimited(await app.request(notice.path, notice.init), '2');
    });

    it('accepts writes again once the bucket refilled', async () => {
      for (const index of [0, 1]) {
        const ok = await put(index);
        expect((await app.request(ok.path, ok.init)).status).to.equal(201);
      }
      const early = await put(2);
      await expectRateLimited(await app.request(early.path, early.init), '2');
      clock += 2_000;
      const later = await put(2);
      expect((await app.request(later.path, later.init)).status).to.equal(201);
    });
  });

  describe('when one address reads faster than its budget', () => {
    it('refuses the read beyond the burst with 429 RATE_LIMITED, and accepts reads again after a refill', async () => {
      for (let i = 0; i < 3; i++) expect((await app.request('/health')).status).to.equal(200);
      await expectRateLimited(await app.request('/status'), '1');
      const head = await app.request('/health', { method: 'HEAD' });
      expect(head.status).to.equal(429);
      expect(head.headers.get('retry-after')).to.equal('1');
      clock += 1_000;
      expect((await app.request('/health')).status).to.equal(200);
      await expectRateLimited(await app.request('/health'), '1');
    });

    it('does not count signed writes against the read budget', async () => {
      for (let i = 0; i < 3; i++) expect((await app.request('/health')).status).to.equal(200);
      const ok = await put(0);
      expect((await app.request(ok.path, ok.init)).status).to.equal(201);
    });
  });

  describe('when more keys arrive than the limiter keeps', () => {
    it('forgets the least recently used bucket (bounded memory), a refused key counting as used', async () => {
      const bare = new Hono<NodeEnv>();
      bare.onError(errorHandler({ log: (line) => logged.push(line) }));
      bare.use('*', rateLimit({ budget: { burst: 1, perSecond: 0.001 }, key: (c) => c.req.header('x-key'), now: () => clock, what: 'key', maxKeys: 2 }));
      bare.get('/', (c) => c.json({ ok: true }));
      const as = (key: string) => bare.request('/', { headers: { 'x-key': key } });
      expect((await as('a')).status).to.equal(200);
      expect((await as('b')).status).to.equal(200);
      expect((await as('a')).status).to.equal(429);
      // A third key evicts the least recently used one (b: a was touched after it).
      expect((await as('c')).status).to.equal(200);
      expect((await as('a')).status).to.equal(429);
      expect((await as('b')).status).to.equal(200);
      // Requests without a key are not counted.
      for (let i = 0; i < 5; i++) expect((await bare.request('/')).status).to.equal(200);
    });
  });
});
