import { time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import type { Hono } from 'hono';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNodeApp } from '../../../node/app';
import type { NodeEnv } from '../../../node/env';
import { createChainDeals } from '../../../node/market/chain-deals';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import { marketAbi } from '../../../protocol/chain/market';
import { shardPath } from '../../../protocol/column';
import type { FileId } from '../../../protocol/ids';
import { errorBodySchema } from '../../../protocol/wire';
import { hardhatKey } from '../../../scripts/testkit/chain';
import { assignedShardPut, type DealWriter, fundOwners, type MarketChain, openTestDeal, startMarketChain } from '../../../scripts/testkit/node/market-chain';
import { ownerReadHeaders } from '../../../scripts/testkit/node/read-token';
import { randomShard, scratchDir, shardTarget } from '../../../scripts/testkit/node/shard-requests';
import { snapshotStore } from '../../../scripts/testkit/node/store-snapshot';

const BYTES_PER_SLOT = 4096n;

describe('node/middleware/deal-write: writes bound to deals on chain', () => {
  const ownerKey = hardhatKey(30);
  const otherKey = hardhatKey(31);
  const node = privateKeyToAccount(generatePrivateKey());
  const otherNode = privateKeyToAccount(generatePrivateKey()).address;
  let chain: MarketChain;
  let writer: DealWriter;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let nodeStore: NodeStore;
  let app: Hono<NodeEnv>;
  let dealId: FileId;
  let epochLength: bigint;

  before(async () => {
    chain = await startMarketChain(hre);
    await fundOwners(chain, [ownerKey, otherKey]);
    writer = { chain, ownerKey, node: node.address };
    const config = await chain.publicClient.readContract({ address: chain.market, abi: marketAbi, functionName: 'config' });
    epochLength = config.epochLength;
  });
  after(async () => {
    await chain.close();
  });
  beforeEach(async () => {
    dir = await scratchDir();
    nodeStore = await openNodeStore({ dataDir: dir.path });
    const deals = createChainDeals({ publicClient: chain.publicClient }, { market: chain.market });
    app = createNodeApp({
      ...nodeStore,
      identity: { address: node.address, chainId: chain.chainId },
      limits: { capacityBytes: 1 << 20, maxShardBytes: 1 << 16 },
      deals,
      marketAddress: chain.market,
      log: (line) => expect.fail(`unexpected log: ${line}`),
    });
    dealId = await openTestDeal(chain, { ownerKey, slots: 2, bytesPerSlot: BYTES_PER_SLOT, durationEpochs: 2 });
  });
  afterEach(async () => {
    nodeStore.close();
    await dir.remove();
  });

  async function expectRefused(res: Response, status: number, code: string) {
    expect(res.status, await res.clone().text()).to.equal(status);
    expect(errorBodySchema.parse(await res.json()).error.code).to.equal(code);
  }
  async function expectNothingStored() {
    const snap = await snapshotStore(nodeStore);
    expect(snap).to.deep.equal({ tmp: [], files: [], usage: { bytes: 0, shards: 0, slots: 0 } });
  }

  describe('when the owner writes a slot of an open deal assigned to this node', () => {
    it('stores the shard and keeps the assignment with the slot', async () => {
      const target = shardTarget({ fileId: dealId, column: 1, index: 0 });
      const deadline = BigInt(Math.floor(Date.now() / 1000) + 600);
      const put = await assignedShardPut(writer, { target, body: randomShard(1000), assignment: { deadline } });
      expect((await app.request(put.path, put.init)).status).to.equal(201);
      expect((await app.request(shardPath(target), { headers: await ownerReadHeaders(chain, { ownerKey, dealId }) })).status).to.equal(200);
      const slot = nodeStore.index.getSlot(target.slotId);
      expect(slot?.assignment?.deadline).to.equal(deadline);
      expect(slot?.assignment?.signature).to.equal(put.init.headers['x-dhost-assignment'].split('.')[1].toLowerCase());
    });

    it('fills the slot up to exactly bytesPerSlot', async () => {
      for (const index of [0, 1] as const) {
        const put = await assignedShardPut(writer, { target: shardTarget({ fileId: dealId, column: 0, index }), body: randomShard(2048) });
        expect((await app.request(put.path, put.init)).status).to.equal(201);
      }
      expect(nodeStore.index.slotBytes(shardTarget({ fileId: dealId, column: 0 }).slotId)).to.equal(Number(BYTES_PER_SLOT));
    });
  });

  describe('when the deal does not exist on chain', () => {
    it('refuses with 403 DEAL_NOT_FOUND and stores nothing', async () => {
      const put = await assignedShardPut(writer, { target: shardTarget({ column: 0 }), body: randomShard(100) });
      await expectRefused(await app.request(put.path, put.init), 403, 'DEAL_NOT_FOUND');
      await expectNothingStored();
    });
  });

  describe('when someone other than the owner signs the write', () => {
    it('refuses with 403 NOT_DEAL_OWNER and stores nothing', async () => {
      const put = await assignedShardPut(writer, { target: shardTarget({ fileId: dealId, column: 0 }), body: randomShard(100), signerKey: otherKey });
      await expectRefused(await app.request(put.path, put.init), 403, 'NOT_DEAL_OWNER');
      await expectNothingStored();
    });
  });

  describe('when the deal has ended', () => {
    it('refuses with 403 DEAL_ENDED and stores nothing', async () => {
      await time.increase(Number(epochLength) * 4);
      const put = await assignedShardPut(writer, { target: shardTarget({ fileId: dealId, column: 0 }), body: randomShard(100) });
      await expectRefused(await app.request(put.path, put.init), 403, 'DEAL_ENDED');
      await expectNothingStored();
    });
  });

  describe('when the column is not one of the deal', () => {
    it('refuses with 400 COLUMN_OUT_OF_RANGE and stores nothing', async () => {
      const put = await assignedShardPut(writer, { target: shardTarget({ fileId: dealId, column: 2 }), body: randomShard(100) });
      await expectRefused(await app.request(put.path, put.init), 400, 'COLUMN_OUT_OF_RANGE');
      await expectNothingStored();
    });
  });

  describe('when the slot is not assigned to this node', () => {
    const cases: [string, () => Parameters<typeof assignedShardPut>[1]['assignment']][] = [
      ['no assignment header', () => null],
      ['an assignment for another node', () => ({ peer: otherNode })],
      ['an assignment for another column', () => ({ column: 1 })],
      ['an assignment signed by someone other than the owner', () => ({ signerKey: otherKey })],
    ];
    for (const [title, assignment] of cases) {
      it(`refuses ${title} with 403 NOT_ASSIGNED and stores nothing`, async () => {
        const put = await assignedShardPut(writer, { target: shardTarget({ fileId: dealId, column: 0 }), body: randomShard(100), assignment: assignment() });
        await expectRefused(await app.request(put.path, put.init), 403, 'NOT_ASSIGNED');
        await expectNothingStored();
      });
    }

    it('refuses a malformed assignment header with 400', async () => {
      const put = await assignedShardPut(writer, {
        target: shardTarget({ fileId: dealId, column: 0 }),
        body: randomShard(100),
        assignment: null,
        headers: { 'x-dhost-assignment': '12.0x1234' },
      });
      await expectRefused(await app.request(put.path, put.init), 400, 'INVALID_INPUT');
      await expectNothingStored();
    });
  });

  describe('when the assignment has expired', () => {
    it('refuses with 403 ASSIGNMENT_EXPIRED and stores nothing', async () => {
      const deadline = BigInt(Math.floor(Date.now() / 1000) - 1);
      const put = await assignedShardPut(writer, { target: shardTarget({ fileId: dealId, column: 0 }), body: randomShard(100), assignment: { deadline } });
      await expectRefused(await app.request(put.path, put.init), 403, 'ASSIGNMENT_EXPIRED');
      await expectNothingStored();
    });
  });

  describe('when the shard would overflow the slot', () => {
    it('refuses from the declared length with 413 SLOT_FULL and keeps what was stored', async () => {
      const first = await assignedShardPut(writer, { target: shardTarget({ fileId: dealId, column: 0, index: 0 }), body: randomShard(4000) });
      expect((await app.request(first.path, first.init)).status).to.equal(201);
      const before = await snapshotStore(nodeStore);
      const put = await assignedShardPut(writer, { target: shardTarget({ fileId: dealId, column: 0, index: 1 }), body: randomShard(97) });
      await expectRefused(await app.request(put.path, put.init), 413, 'SLOT_FULL');
      expect(await snapshotStore(nodeStore)).to.deep.equal(before);
    });

    it('refuses a streamed body at commit with 413 SLOT_FULL', async () => {
      const put = await assignedShardPut(writer, {
        target: shardTarget({ fileId: dealId, column: 0, index: 0 }),
        body: randomShard(Number(BYTES_PER_SLOT) + 1),
        contentLength: null,
      });
      await expectRefused(await app.request(put.path, put.init), 413, 'SLOT_FULL');
      await expectNothingStored();
    });

    it('still answers an identical retry of a stored shard with 200', async () => {
      const target = shardTarget({ fileId: dealId, column: 0, index: 0 });
      const body = randomShard(Number(BYTES_PER_SLOT));
      const first = await assignedShardPut(writer, { target, body });
      expect((await app.request(first.path, first.init)).status).to.equal(201);
      const again = await assignedShardPut(writer, { target, body });
      expect((await app.request(again.path, again.init)).status).to.equal(200);
    });
  });
});
