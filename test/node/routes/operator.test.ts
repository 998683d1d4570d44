import { expect } from 'chai';
import hre from 'hardhat';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNodeApp } from '../../../node/app';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import { shardPath } from '../../../protocol/column';
import { errorBodySchema } from '../../../protocol/wire';
import { hardhatKey } from '../../../scripts/testkit/chain';
import { assignedShardPut, chainDealDeps, fundOwners, type MarketChain, openTestDeal, startMarketChain } from '../../../scripts/testkit/node/market-chain';
import { randomShard, scratchDir, shardTarget } from '../../../scripts/testkit/node/shard-requests';
import { snapshotStore } from '../../../scripts/testkit/node/store-snapshot';

const API_KEY = 'correct horse battery staple';

describe('operator routes', () => {
  const node = privateKeyToAccount(generatePrivateKey());
  const uploaderKey = hardhatKey(36);
  let chain: MarketChain;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let nodeStore: NodeStore;
  /** Deals opened on chain for the targets written so far (one per file id). */
  const opened = new Set<string>();

  const appWith = (apiKey?: string) =>
    createNodeApp({
      ...nodeStore,
      identity: { address: node.address, chainId: chain.chainId },
      limits: { capacityBytes: 1 << 20, maxShardBytes: 1 << 16 },
      apiKey,
      ...chainDealDeps(chain),
    });
  const storeShard = async (app: ReturnType<typeof appWith>, target = shardTarget(), size = 100) => {
    if (!opened.has(target.fileId)) {
      await openTestDeal(chain, { ownerKey: uploaderKey, dealId: target.fileId, slots: target.column + 1, bytesPerSlot: 1n << 16n, durationEpochs: 4 });
      opened.add(target.fileId);
    }
    const put = await assignedShardPut({ chain, ownerKey: uploaderKey, node: node.address }, { target, body: randomShard(size) });
    expect((await app.request(put.path, put.init)).status).to.equal(201);
    return target;
  };
  const code = async (res: Response) => errorBodySchema.parse(await res.json()).error.code;

  before(async () => {
    chain = await startMarketChain(hre);
    await fundOwners(chain, [uploaderKey]);
  });
  after(async () => {
    await chain.close();
  });
  beforeEach(async () => {
    dir = await scratchDir();
    nodeStore = await openNodeStore({ dataDir: dir.path });
  });
  afterEach(async () => {
    nodeStore.close();
    await dir.remove();
  });

  describe('when the node has no API key', () => {
    it('answers 403 OPERATOR_DISABLED, even to a bearer token', async () => {
      const app = appWith();
      const target = await storeShard(app);
      for (const res of [
        await app.request('/operator/slots'),
        await app.request('/operator/slots', { headers: { authorization: 'Bearer anything' } }),
        await app.request(`/slots/${target.slotId}`, { method: 'DELETE', headers: { authorization: 'Bearer anything' } }),
      ]) {
        expect(res.status).to.equal(403);
        expect(await code(res)).to.equal('OPERATOR_DISABLED');
      }
      expect(nodeStore.index.usage().shards).to.equal(1);
    });
  });

  describe('when the node has an API key', () => {
    it('refuses a missing key with 401 OPERATOR_KEY_MISSING', async () => {
      const res = await appWith(API_KEY).request('/operator/slots');
      expect(res.status).to.equal(401);
      expect(await code(res)).to.equal('OPERATOR_KEY_MISSING');
    });

    it('refuses a wrong key (shorter, longer, or same length) with 401 OPERATOR_KEY_INVALID and deletes nothing', async () => {
      const app = appWith(API_KEY);
      const target = await storeShard(app);
      for (const key of ['x', `${API_KEY}x`, API_KEY.replace('c', 'k')]) {
        const res = await app.request(`/slots/${target.slotId}`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } });
        expect(res.status).to.equal(401);
        expect(await code(res)).to.equal('OPERATOR_KEY_INVALID');
      }
      expect(nodeStore.index.usage().shards).to.equal(1);
    });

    it('lists every slot with its shards and size for the right key', async () => {
      const app = appWith(API_KEY);
      const a = await storeShard(app, shardTarget({ index: 0 }), 100);
      await storeShard(app, { ...a, index: 1 }, 50);
      const b = await storeShard(app, shardTarget(), 10);
      const res = await app.request('/operator/slots', { headers: { authorization: `Bearer ${API_KEY}` } });
      expect(res.status).to.equal(200);
      const { slots } = (await res.json()) as { slots: { slotId: string; bytes: number; shards: unknown[] }[] };
      expect(slots.map((s) => [s.slotId, s.bytes, s.shards.length]).sort()).to.deep.equal(
        [
          [a.slotId, 150, 2],
          [b.slotId, 10, 1],
        ].sort(),
      );
    });

    it('drops a slot for the right key: its rows, then its files', async () => {
      const app = appWith(API_KEY);
      const keep = await storeShard(app);
      const drop = await storeShard(app, shardTarget({ index: 0 }), 100);
      await storeShard(app, { ...drop, index: 'manifest' }, 20);
      const res = await app.request(`/slots/${drop.slotId}`, { method: 'DELETE', headers: { authorization: `Bearer ${API_KEY}` } });
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ slotId: drop.slotId, deleted: true, shards: 2, bytes: 120 });
      expect((await app.request(shardPath(drop))).status).to.equal(404);
      expect((await app.request(shardPath(keep))).status).to.equal(200);
      const snap = await snapshotStore(nodeStore);
      expect(snap.usage).to.deep.equal({ bytes: 100, shards: 1, slots: 1 });
      expect(snap.files).to.have.length(1);
    });

    it('answers 404 SLOT_NOT_FOUND for an unknown slot', async () => {
      const res = await appWith(API_KEY).request(`/slots/${shardTarget().slotId}`, { method: 'DELETE', headers: { authorization: `Bearer ${API_KEY}` } });
      expect(res.status).to.equal(404);
      expect(await code(res)).to.equal('SLOT_NOT_FOUND');
    });

    it('lets the deal owner write a dropped slot afresh', async () => {
      const app = appWith(API_KEY);
      const target = await storeShard(app);
      await app.request(`/slots/${target.slotId}`, { method: 'DELETE', headers: { authorization: `Bearer ${API_KEY}` } });
      const put = await assignedShardPut({ chain, ownerKey: uploaderKey, node: node.address }, { target, body: randomShard(10) });
      expect((await app.request(put.path, put.init)).status).to.equal(201);
    });
  });
});
