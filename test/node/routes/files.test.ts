import { expect } from 'chai';
import hre from 'hardhat';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNodeApp } from '../../../node/app';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import { randomFileId } from '../../../protocol/ids';
import { errorBodySchema, fileHoldingsSchema } from '../../../protocol/wire';
import { hardhatKey } from '../../../scripts/testkit/chain';
import { assignedShardPut, chainDealDeps, fundOwners, type MarketChain, openTestDeal, startMarketChain } from '../../../scripts/testkit/node/market-chain';
import { randomShard, scratchDir, sha256Hex, shardTarget } from '../../../scripts/testkit/node/shard-requests';

describe('GET /files/:fileId', () => {
  const node = privateKeyToAccount(generatePrivateKey());
  const uploaderKey = hardhatKey(34);
  const uploader = privateKeyToAccount(uploaderKey);
  let chain: MarketChain;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let nodeStore: NodeStore;
  let app: ReturnType<typeof createNodeApp>;

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
    app = createNodeApp({
      ...nodeStore,
      identity: { address: node.address, chainId: chain.chainId },
      limits: { capacityBytes: 1 << 20, maxShardBytes: 1 << 16 },
      ...chainDealDeps(chain),
    });
  });
  afterEach(async () => {
    nodeStore.close();
    await dir.remove();
  });

  describe('when the node holds nothing of the file', () => {
    it('answers 200 with no slots', async () => {
      const fileId = randomFileId();
      const res = await app.request(`/files/${fileId}`);
      expect(res.status).to.equal(200);
      expect(fileHoldingsSchema.parse(await res.json())).to.deep.equal({ fileId, slots: [] });
    });
  });

  describe('when the node holds columns of the file', () => {
    it('lists each slot with its column, owner, shards and bytes', async () => {
      const fileId = await openTestDeal(chain, { ownerKey: uploaderKey, slots: 2, bytesPerSlot: 1n << 16n, durationEpochs: 4 });
      const bodies = [randomShard(100), randomShard(200), randomShard(50)];
      const targets = [
        shardTarget({ fileId, column: 1, index: 0 }),
        shardTarget({ fileId, column: 1, index: 'manifest' }),
        shardTarget({ fileId, column: 0, index: 3 }),
      ];
      for (const [i, target] of targets.entries()) {
        const put = await assignedShardPut({ chain, ownerKey: uploaderKey, node: node.address }, { target, body: bodies[i] });
        expect((await app.request(put.path, put.init)).status).to.equal(201);
      }
      const res = await app.request(`/files/${fileId}`);
      const held = fileHoldingsSchema.parse(await res.json());
      expect(held.slots.map((s) => s.column)).to.deep.equal([0, 1]);
      expect(held.slots[0]).to.deep.equal({
        slotId: targets[2].slotId,
        column: 0,
        owner: uploader.address,
        shards: [{ index: 3, size: 50, sha256: sha256Hex(bodies[2]) }],
        bytes: 50,
      });
      expect(held.slots[1].shards).to.deep.equal([
        { index: 'manifest', size: 200, sha256: sha256Hex(bodies[1]) },
        { index: 0, size: 100, sha256: sha256Hex(bodies[0]) },
      ]);
      expect(held.slots[1].bytes).to.equal(300);
    });
  });

  describe('when the file id is malformed', () => {
    it('answers 400', async () => {
      const res = await app.request('/files/0x12');
      expect(res.status).to.equal(400);
      expect(errorBodySchema.parse(await res.json()).error.code).to.equal('INVALID_INPUT');
    });
  });
});
