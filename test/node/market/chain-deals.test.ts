import { expect } from 'chai';
import hre from 'hardhat';
import type { Hono } from 'hono';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNodeApp } from '../../../node/app';
import type { NodeEnv } from '../../../node/env';
import { createChainDeals } from '../../../node/market/chain-deals';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import { hardhatKey } from '../../../scripts/testkit/chain';
import { assignedShardPut, fundOwners, type MarketChain, openTestDeal, startMarketChain } from '../../../scripts/testkit/node/market-chain';
import { randomShard, scratchDir, shardTarget } from '../../../scripts/testkit/node/shard-requests';

describe('node/market/chain-deals: chain reads cached for seconds, shared while pending', () => {
  const ownerKey = hardhatKey(44);
  const owner = privateKeyToAccount(ownerKey);
  const node = privateKeyToAccount(generatePrivateKey());
  let chain: MarketChain;
  let calls: string[];
  let clock: number;

  /** The real chain's client, counting each `eth_call` by function name. */
  const counting = () => ({
    readContract: ((args: Parameters<MarketChain['publicClient']['readContract']>[0]) => {
      calls.push(args.functionName);
      return chain.publicClient.readContract(args);
    }) as MarketChain['publicClient']['readContract'],
    getBlock: ((args: Parameters<MarketChain['publicClient']['getBlock']>[0]) => {
      calls.push('getBlock');
      return chain.publicClient.getBlock(args);
    }) as MarketChain['publicClient']['getBlock'],
  });
  const count = (name: string) => calls.filter((c) => c === name).length;

  before(async () => {
    chain = await startMarketChain(hre);
    await fundOwners(chain, [ownerKey]);
  });
  after(async () => {
    await chain.close();
  });
  beforeEach(() => {
    calls = [];
    clock = 1_000_000;
  });

  it('answers a burst of asks for one deal, delegation and revocation with one call each, and asks again after the expiry', async () => {
    const dealId = await openTestDeal(chain, { ownerKey, slots: 2, bytesPerSlot: 1n << 20n, durationEpochs: 4 });
    const deals = createChainDeals({ publicClient: counting(), now: () => clock }, { market: chain.market, ttlMs: 3_000 });
    const nonce = `0x${'11'.repeat(32)}` as const;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        Promise.all([deals.getDeal(dealId), deals.delegation(owner.address, node.address), deals.tokenRevoked(dealId, nonce, 5n)]),
      ),
    );
    expect(answers.every(([d, bits, revoked]) => d?.owner === owner.address && bits === 0 && revoked === false)).to.equal(true);
    expect([count('deal'), count('delegation'), count('tokenRevoked')]).to.deep.equal([1, 1, 1]);
    clock += 2_999;
    await deals.getDeal(dealId);
    expect(count('deal')).to.equal(1);
    clock += 1;
    await deals.getDeal(dealId);
    expect(count('deal')).to.equal(2);
    await deals.getDeal(dealId, { fresh: true });
    expect(count('deal')).to.equal(3);
  });

  it('costs one deal read for a burst of ten shard uploads to a node', async () => {
    const dealId = await openTestDeal(chain, { ownerKey, slots: 2, bytesPerSlot: 1n << 20n, durationEpochs: 4 });
    const dir = await scratchDir();
    const nodeStore: NodeStore = await openNodeStore({ dataDir: dir.path });
    try {
      const app: Hono<NodeEnv> = createNodeApp({
        ...nodeStore,
        identity: { address: node.address, chainId: chain.chainId },
        limits: { capacityBytes: 1 << 22, maxShardBytes: 1 << 16 },
        deals: createChainDeals({ publicClient: counting() }, { market: chain.market }),
        marketAddress: chain.market,
      });
      const puts = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          assignedShardPut({ chain, ownerKey, node: node.address }, { target: shardTarget({ fileId: dealId, column: 0, index }), body: randomShard(1000) }),
        ),
      );
      const statuses = await Promise.all(puts.map(async (p) => (await app.request(p.path, p.init)).status));
      expect(statuses).to.deep.equal(Array(10).fill(201));
      expect(count('deal')).to.equal(1);
      expect(count('currentEpoch')).to.equal(1);
    } finally {
      nodeStore.close();
      await dir.remove();
    }
  });
});
