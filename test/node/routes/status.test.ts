import { expect } from 'chai';
import hre from 'hardhat';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNodeApp } from '../../../node/app';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import { PROTOCOL_VERSION } from '../../../protocol/config';
import { healthSchema, nodeStatusSchema } from '../../../protocol/wire';
import { hardhatKey } from '../../../scripts/testkit/chain';
import { assignedShardPut, chainDealDeps, fundOwners, type MarketChain, openTestDeal, startMarketChain } from '../../../scripts/testkit/node/market-chain';
import { randomShard, scratchDir, shardTarget } from '../../../scripts/testkit/node/shard-requests';

describe('GET /status and GET /health', () => {
  const node = privateKeyToAccount(generatePrivateKey());
  const uploaderKey = hardhatKey(35);
  let chain: MarketChain;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let nodeStore: NodeStore;
  let clock: number;
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
    clock = 1_700_000_000_000;
    app = createNodeApp({
      ...nodeStore,
      identity: { address: node.address, chainId: 31337 },
      limits: { capacityBytes: 10_000, maxShardBytes: 4096 },
      now: () => clock,
      startedAt: clock - 42_000,
      ...chainDealDeps(chain),
    });
  });
  afterEach(async () => {
    nodeStore.close();
    await dir.remove();
  });

  describe('when the node is empty', () => {
    it('reports its identity, version, limits and uptime', async () => {
      const status = nodeStatusSchema.parse(await (await app.request('/status')).json());
      expect(status).to.deep.equal({
        address: node.address,
        chainId: 31337,
        version: PROTOCOL_VERSION,
        capacityBytes: 10_000,
        usedBytes: 0,
        freeBytes: 10_000,
        slots: 0,
        shards: 0,
        maxShardBytes: 4096,
        uptimeSeconds: 42,
      });
    });
  });

  describe('when the node holds shards', () => {
    it('counts their slots, shards and bytes', async () => {
      const fileId = await openTestDeal(chain, { ownerKey: uploaderKey, slots: 1, bytesPerSlot: 4096n, durationEpochs: 4 });
      const target = shardTarget({ fileId });
      for (const index of [0, 1]) {
        const put = await assignedShardPut(
          { chain: { chainId: 31337, market: chain.market }, ownerKey: uploaderKey, node: node.address },
          { target: { ...target, index }, body: randomShard(1000), timestamp: Math.floor(clock / 1000) },
        );
        expect((await app.request(put.path, put.init)).status).to.equal(201);
      }
      const status = nodeStatusSchema.parse(await (await app.request('/status')).json());
      expect(status).to.include({ usedBytes: 2000, freeBytes: 8000, slots: 1, shards: 2 });
    });
  });

  it('answers /health with ok', async () => {
    const res = await app.request('/health');
    expect(res.status).to.equal(200);
    expect(healthSchema.parse(await res.json())).to.deep.equal({ ok: true });
  });
});
