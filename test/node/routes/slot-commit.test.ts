import { expect } from 'chai';
import hre from 'hardhat';
import type { Hono } from 'hono';
import { bytesToHex, type Hex, hexToBytes } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNodeApp } from '../../../node/app';
import type { NodeEnv } from '../../../node/env';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import { marketAbi } from '../../../protocol/chain/market';
import { slotCommitPath } from '../../../protocol/column';
import { type FileId, slotIdOf } from '../../../protocol/ids';
import { createKeccakHasher, dealRootOf, type Keccak, slotRootProof } from '../../../protocol/merkle';
import { errorBodySchema, type SlotCommit, slotCommitRecordedSchema, slotCommitSchema } from '../../../protocol/wire';
import { hardhatKey } from '../../../scripts/testkit/chain';
import {
  assignedShardPut,
  chainDealDeps,
  columnRoot,
  fundOwners,
  type MarketChain,
  openTestDeal,
  startMarketChain,
} from '../../../scripts/testkit/node/market-chain';
import { randomShard, scratchDir, sha256Hex, signedShardPut } from '../../../scripts/testkit/node/shard-requests';

describe('node/routes/slot-commit: PUT /slots/:slotId/commit, the owner tells a peer its slot root', () => {
  const nodeAccount = privateKeyToAccount(generatePrivateKey());
  const ownerKey = hardhatKey(34);
  const otherKey = hardhatKey(35);
  let chain: MarketChain;
  let keccak: Keccak;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let nodeStore: NodeStore;
  let app: Hono<NodeEnv>;
  let recorded: number;
  let logged: string[];
  /** A fresh three-slot deal whose column 1 the node holds; the roots of all three columns. */
  let deal: { dealId: FileId; slotRoots: Hex[]; segmentCount: number };

  const commitOf = (column: number, slotRoots = deal.slotRoots): SlotCommit => ({
    slotRoot: slotRoots[column],
    rootProof: slotRootProof(
      keccak,
      slotRoots.map((r) => hexToBytes(r)),
      column,
    ).map((n) => bytesToHex(n)),
    segmentCount: deal.segmentCount,
  });
  /** A signed notice, by the owner unless `signerKey` says otherwise; `raw` replaces the JSON body. */
  const notice = async (p: { column?: number; commit?: unknown; raw?: Uint8Array; signerKey?: Hex; contentSha256?: string; dealId?: FileId } = {}) => {
    const column = p.column ?? 1;
    const dealId = p.dealId ?? deal.dealId;
    const body = p.raw ?? Buffer.from(JSON.stringify(p.commit ?? commitOf(column)));
    const path = slotCommitPath({ slotId: slotIdOf(dealId, column), fileId: dealId, column });
    const put = await signedShardPut(
      { account: privateKeyToAccount(p.signerKey ?? ownerKey), node: nodeAccount.address, chainId: chain.chainId },
      { target: { fileId: dealId, column, index: 0, slotId: slotIdOf(dealId, column) }, body, path, contentSha256: p.contentSha256 },
    );
    return app.request(put.path, put.init);
  };
  const commitOnChain = async (slotRoots = deal.slotRoots) => {
    const hash = await chain.wallet(ownerKey).writeContract({
      address: chain.market,
      abi: marketAbi,
      functionName: 'commitRoot',
      args: [
        deal.dealId,
        bytesToHex(
          dealRootOf(
            keccak,
            slotRoots.map((r) => hexToBytes(r)),
          ),
        ),
        BigInt(deal.segmentCount),
      ],
    });
    expect((await chain.publicClient.waitForTransactionReceipt({ hash })).status).to.equal('success');
  };
  async function expectRefused(res: Response, status: number, code: string) {
    expect(res.status, await res.clone().text()).to.equal(status);
    expect(errorBodySchema.parse(await res.json()).error.code).to.equal(code);
  }
  const expectNothingRecorded = () => {
    expect(nodeStore.market.inState('committed')).to.deep.equal([]);
    expect(recorded).to.equal(0);
  };

  before(async () => {
    chain = await startMarketChain(hre);
    await fundOwners(chain, [ownerKey, otherKey]);
    keccak = await createKeccakHasher();
  });
  after(async () => {
    await chain.close();
  });
  beforeEach(async () => {
    dir = await scratchDir();
    nodeStore = await openNodeStore({ dataDir: dir.path });
    recorded = 0;
    logged = [];
    app = createNodeApp({
      ...nodeStore,
      identity: { address: nodeAccount.address, chainId: chain.chainId },
      limits: { capacityBytes: 1 << 22, maxShardBytes: 1 << 18 },
      ...chainDealDeps(chain),
      onCommitRecorded: () => {
        recorded += 1;
      },
      log: (line) => logged.push(line),
    });
    const dealId = await openTestDeal(chain, { ownerKey, slots: 3, bytesPerSlot: 1n << 20n, durationEpochs: 10 });
    const shard = randomShard(20_000);
    const put = await assignedShardPut(
      { chain, ownerKey, node: nodeAccount.address },
      { target: { fileId: dealId, column: 1, index: 0, slotId: slotIdOf(dealId, 1) }, body: shard },
    );
    expect((await app.request(put.path, put.init)).status).to.equal(201);
    const held = await columnRoot([shard]);
    const others = await Promise.all([columnRoot([randomShard(20_000)]), columnRoot([randomShard(20_000)])]);
    deal = { dealId, slotRoots: [others[0].root, held.root, others[1].root], segmentCount: held.segmentCount };
  });
  afterEach(async () => {
    nodeStore.close();
    await dir.remove();
    expect(logged).to.deep.equal([]);
  });

  describe('when the root is committed and the notice proves the slot root in it', () => {
    it('records the slot for filling (201), then answers an identical notice with 200', async () => {
      await commitOnChain();
      const first = await notice();
      expect(first.status).to.equal(201);
      expect(slotCommitRecordedSchema.parse(await first.json())).to.deep.equal({ slotId: slotIdOf(deal.dealId, 1), created: true });
      const row = nodeStore.market.get(slotIdOf(deal.dealId, 1));
      expect(row).to.deep.include({ state: 'committed', column: 1, slotRoot: deal.slotRoots[1], segmentCount: deal.segmentCount });
      expect(row?.rootProof).to.deep.equal(commitOf(1).rootProof);
      expect(recorded).to.equal(1);

      const again = await notice();
      expect(again.status).to.equal(200);
      expect(slotCommitRecordedSchema.parse(await again.json()).created).to.equal(false);
      expect(recorded).to.equal(1);
    });

    it('answers the recorded notice to anyone (GET), and 404 before one is recorded', async () => {
      const path = `/slots/${slotIdOf(deal.dealId, 1)}/commit`;
      await expectRefused(await app.request(path), 404, 'COMMIT_NOT_FOUND');
      await commitOnChain();
      expect((await notice()).status).to.equal(201);
      const res = await app.request(path);
      expect(res.status).to.equal(200);
      expect(slotCommitSchema.parse(await res.json())).to.deep.equal(commitOf(1));
    });
  });

  describe('when the notice is refused, nothing is recorded', () => {
    it('the root is not committed yet: 409 ROOT_NOT_COMMITTED', async () => {
      await expectRefused(await notice(), 409, 'ROOT_NOT_COMMITTED');
      expectNothingRecorded();
    });

    it('the slot root is not the one in the committed root: 400 ROOT_PROOF_INVALID', async () => {
      await commitOnChain();
      const forged = [...deal.slotRoots];
      forged[1] = (await columnRoot([randomShard(20_000)])).root;
      await expectRefused(await notice({ commit: commitOf(1, forged) }), 400, 'ROOT_PROOF_INVALID');
      expectNothingRecorded();
    });

    it('the proof has the wrong length: 400 ROOT_PROOF_INVALID', async () => {
      await commitOnChain();
      const commit = commitOf(1);
      await expectRefused(await notice({ commit: { ...commit, rootProof: commit.rootProof.slice(1) } }), 400, 'ROOT_PROOF_INVALID');
      expectNothingRecorded();
    });

    it('the segment count is not the committed one: 400 SEGMENT_COUNT_MISMATCH', async () => {
      await commitOnChain();
      await expectRefused(await notice({ commit: { ...commitOf(1), segmentCount: deal.segmentCount + 1 } }), 400, 'SEGMENT_COUNT_MISMATCH');
      expectNothingRecorded();
    });

    it('the node holds no bytes of the slot: 409 SLOT_NOT_HELD', async () => {
      await commitOnChain();
      await expectRefused(await notice({ column: 0 }), 409, 'SLOT_NOT_HELD');
      expectNothingRecorded();
    });

    it('the signer does not own the deal: 403 NOT_DEAL_OWNER', async () => {
      await commitOnChain();
      await expectRefused(await notice({ signerKey: otherKey }), 403, 'NOT_DEAL_OWNER');
      expectNothingRecorded();
    });

    it('no such deal: 403 DEAL_NOT_FOUND', async () => {
      await expectRefused(await notice({ dealId: `0x${'ab'.repeat(32)}` as FileId }), 403, 'DEAL_NOT_FOUND');
      expectNothingRecorded();
    });

    it('the body is not what was signed: 400 CONTENT_HASH_MISMATCH', async () => {
      await commitOnChain();
      await expectRefused(await notice({ contentSha256: sha256Hex(randomShard(10)) }), 400, 'CONTENT_HASH_MISMATCH');
      expectNothingRecorded();
    });

    it('the body is not JSON, or not a notice: 400 INVALID_INPUT', async () => {
      await commitOnChain();
      await expectRefused(await notice({ raw: Buffer.from('{"slotRoot":') }), 400, 'INVALID_INPUT');
      await expectRefused(await notice({ commit: { ...commitOf(1), extra: true } }), 400, 'INVALID_INPUT');
      await expectRefused(await notice({ commit: { ...commitOf(1), segmentCount: -1 } }), 400, 'INVALID_INPUT');
      expectNothingRecorded();
    });

    it('the body is larger than a notice can be: 413 before the chain is asked', async () => {
      await expectRefused(await notice({ raw: randomShard(4096) }), 413, 'SHARD_TOO_LARGE');
      expectNothingRecorded();
    });
  });
});
