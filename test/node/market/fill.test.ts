import { expect } from 'chai';
import hre from 'hardhat';
import { bytesToHex, hexToBytes } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { connectNodeChain } from '../../../node/chain/node-chain';
import { fillCommittedSlots, KEPT_LEVEL } from '../../../node/market/fill';
import { type RunningNode, startNode } from '../../../node/start-node';
import { openNodeStore } from '../../../node/store/open-node-store';
import { readSlot, SLOT_STATE } from '../../../protocol/chain/market';
import { type FileId, slotIdOf } from '../../../protocol/ids';
import { createKeccakHasher, SegmentTreeBuilder, slotRootProof } from '../../../protocol/merkle';
import { hardhatKey } from '../../../scripts/testkit/chain';
import {
  columnRoot,
  commitTestRoot,
  type DealWriter,
  eventually,
  fundOwners,
  laterNow,
  type MarketChain,
  openTestDeal,
  startMarketChain,
  uploadColumn,
} from '../../../scripts/testkit/node/market-chain';
import { randomShard, scratchDir } from '../../../scripts/testkit/node/shard-requests';

describe('node/market/fill: a node fills its slot once the owner tells it the committed slot root', () => {
  const ownerKey = hardhatKey(40);
  const operatorKey = hardhatKey(41);
  const operator = privateKeyToAccount(operatorKey).address;
  let chain: MarketChain;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let node: RunningNode | undefined;
  let logged: string[];
  let writer: DealWriter;

  const start = async () =>
    startNode({
      dataDir: dir.path,
      port: 0,
      capacityBytes: 1 << 26,
      privateKey: operatorKey,
      rpcUrl: chain.rpcUrl,
      deployment: chain.deployment,
      marketIntervalMs: 50,
      log: (line) => logged.push(line),
    });
  /** Opens a two-slot deal, uploads column 0 to the node, and returns the roots of both columns. */
  const dealWithColumn0 = async () => {
    const dealId = await openTestDeal(chain, { ownerKey, slots: 2, bytesPerSlot: 1n << 20n, durationEpochs: 4 });
    const shards = [randomShard(70_000), randomShard(70_000)];
    const manifest = randomShard(900);
    const deadline = (await laterNow(chain)) + 86_400n;
    const mine = await uploadColumn(writer, { url: node!.url, dealId, column: 0, shards, manifest, deadline });
    const theirs = await columnRoot([randomShard(70_000), randomShard(70_000), randomShard(900)]);
    return { dealId, mine, theirs };
  };
  const toNode = [
    {
      get url() {
        return node!.url;
      },
      node: operator,
      column: 0,
    },
  ];
  const slotState = (dealId: FileId) => readSlot(chain, { market: chain.market, slotId: slotIdOf(dealId, 0) });

  before(async () => {
    chain = await startMarketChain(hre);
    await fundOwners(chain, [ownerKey, operatorKey]);
    writer = { chain, ownerKey, node: operator };
  });
  after(async () => {
    await chain.close();
  });
  beforeEach(async () => {
    dir = await scratchDir();
    logged = [];
    node = await start();
  });
  afterEach(async () => {
    await node?.stop();
    node = undefined;
    await dir.remove();
  });

  describe('when the committed root is the root of what the node received', () => {
    it('fills the slot on chain and keeps the tree, across a restart', async () => {
      const { dealId, mine, theirs } = await dealWithColumn0();
      await commitTestRoot(chain, { ownerKey, dealId, slotRoots: [mine.root, theirs.root], segmentCount: mine.segmentCount, notify: toNode });
      const slot = await eventually('the slot is filled', async () => {
        const s = await slotState(dealId);
        return s.state === SLOT_STATE.Filled ? s : undefined;
      });
      expect(slot.peer).to.equal(operator);
      expect(slot.column).to.equal(0);

      await node!.stop();
      node = undefined;
      const store = await openNodeStore({ dataDir: dir.path });
      try {
        const row = store.market.get(slotIdOf(dealId, 0));
        expect(row?.state).to.equal('filled');
        expect(row?.slotRoot).to.equal(mine.root);
        expect(row?.segmentCount).to.equal(mine.segmentCount);
        expect(row?.tree?.keptLevel).to.equal(8);
        expect(row?.tree?.keptNodes).to.have.length(Math.ceil(mine.segmentCount / 256));
      } finally {
        store.close();
      }
      // Restarted, the node fills a new deal and does nothing more about the first.
      logged = [];
      node = await start();
      const next = await dealWithColumn0();
      await commitTestRoot(chain, {
        ownerKey,
        dealId: next.dealId,
        slotRoots: [next.mine.root, next.theirs.root],
        segmentCount: next.mine.segmentCount,
        notify: toNode,
      });
      await eventually('the new slot is filled', async () => ((await slotState(next.dealId)).state === SLOT_STATE.Filled ? true : undefined));
      expect(logged.filter((l) => l.includes(dealId))).to.deep.equal([]);
    });
  });

  describe('when the tree built as the column arrived does not match the commit', () => {
    it('reads the column whole before it believes a mismatch, and fills', async () => {
      const { dealId, mine, theirs } = await dealWithColumn0();
      // Stopped before any notice: the fill below runs by hand, with a tree of other bytes handed to it.
      await node!.stop();
      node = undefined;
      await commitTestRoot(chain, { ownerKey, dealId, slotRoots: [mine.root, theirs.root], segmentCount: mine.segmentCount });
      const keccak = await createKeccakHasher();
      const store = await openNodeStore({ dataDir: dir.path });
      try {
        const slotId = slotIdOf(dealId, 0);
        store.market.recordCommit({
          slotId,
          dealId,
          column: 0,
          slotRoot: mine.root,
          rootProof: slotRootProof(keccak, [hexToBytes(mine.root), hexToBytes(theirs.root)], 0).map((n) => bytesToHex(n)),
          segmentCount: mine.segmentCount,
        });
        const wrong = await SegmentTreeBuilder.create({ keptLevel: KEPT_LEVEL });
        wrong.write(randomShard(70_000));
        let taken = 0;
        const trees = {
          take: async () => {
            taken++;
            return { builder: wrong, parts: 1 };
          },
        };
        const nodeChain = await connectNodeChain({ rpcUrl: chain.rpcUrl, privateKey: operatorKey, deployment: chain.deployment });
        await fillCommittedSlots(
          { chain: nodeChain, index: store.index, store: store.store, market: store.market, log: (line) => logged.push(line), trees },
          { marketAddress: chain.market },
        );
        expect(taken).to.equal(1);
        expect(logged.join('\n')).to.match(/the tree built as its column arrived does not match the commit; reading the column whole/);
        expect(logged.join('\n')).to.not.match(/is not the root of what this node received/);
        expect(store.market.get(slotId)?.state).to.equal('filled');
        expect((await slotState(dealId)).state).to.equal(SLOT_STATE.Filled);
      } finally {
        store.close();
      }
    });
  });

  describe('when the committed root is not the root of what the node received', () => {
    it('logs the mismatch and does not fill', async () => {
      const { dealId, theirs } = await dealWithColumn0();
      const wrong = await columnRoot([randomShard(70_000), randomShard(70_000), randomShard(900)]);
      await commitTestRoot(chain, { ownerKey, dealId, slotRoots: [wrong.root, theirs.root], segmentCount: wrong.segmentCount, notify: toNode });
      await eventually('the mismatch is logged', async () => (logged.some((l) => /is not the root of what this node received/.test(l)) ? true : undefined));
      expect((await slotState(dealId)).state).to.equal(SLOT_STATE.Empty);
    });
  });

  describe('when the owner commits the root but tells the node nothing', () => {
    it('does not fill (the chain holds only the deal root), while a slot it was told about is filled', async () => {
      const silent = await dealWithColumn0();
      await commitTestRoot(chain, {
        ownerKey,
        dealId: silent.dealId,
        slotRoots: [silent.mine.root, silent.theirs.root],
        segmentCount: silent.mine.segmentCount,
      });
      const told = await dealWithColumn0();
      await commitTestRoot(chain, {
        ownerKey,
        dealId: told.dealId,
        slotRoots: [told.mine.root, told.theirs.root],
        segmentCount: told.mine.segmentCount,
        notify: toNode,
      });
      await eventually('the told slot is filled', async () => ((await slotState(told.dealId)).state === SLOT_STATE.Filled ? true : undefined));
      expect((await slotState(silent.dealId)).state).to.equal(SLOT_STATE.Empty);
      expect(logged.filter((l) => l.includes(silent.dealId))).to.deep.equal([]);
    });
  });
});
