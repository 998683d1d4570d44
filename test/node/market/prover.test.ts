import fs from 'node:fs/promises';
import path from 'node:path';
import { mine, time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { encodeFunctionData } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { type RunningNode, startNode } from '../../../node/start-node';
import { readNodeStatus } from '../../../node/status/read-node-status';
import { marketAbi, readDeal, readSlot, SLOT_STATE } from '../../../protocol/chain/market';
import { type FileId, type SlotId, slotIdOf } from '../../../protocol/ids';
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
import { startRpcRecorder } from '../../../scripts/testkit/rpc-recorder';

const PRICE = 10n ** 16n;

describe('node/market/prover: a node proves its challenged slots from disk', () => {
  const ownerKey = hardhatKey(42);
  const operatorKey = hardhatKey(43);
  const operator = privateKeyToAccount(operatorKey).address;
  let chain: MarketChain;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let node: RunningNode;
  let logged: string[];
  let writer: DealWriter;
  let epochLength: number;

  const read = <T>(functionName: string, args: readonly unknown[] = []) =>
    chain.publicClient.readContract({ address: chain.market, abi: marketAbi, functionName, args } as never) as Promise<T>;
  /** A filled two-slot deal whose column 0 this node holds. */
  const filledDeal = async (durationEpochs = 3): Promise<{ dealId: FileId; fillEpoch: bigint }> => {
    const dealId = await openTestDeal(chain, { ownerKey, slots: 2, bytesPerSlot: 1n << 20n, durationEpochs, pricePerSlotEpoch: PRICE });
    const deadline = (await laterNow(chain)) + 86_400n;
    const mine0 = await uploadColumn(writer, {
      url: node.url,
      dealId,
      column: 0,
      shards: [randomShard(200_000), randomShard(200_000)],
      manifest: randomShard(700),
      deadline,
    });
    const theirs = await columnRoot([randomShard(200_000), randomShard(200_000), randomShard(700)]);
    await commitTestRoot(chain, {
      ownerKey,
      dealId,
      slotRoots: [mine0.root, theirs.root],
      segmentCount: mine0.segmentCount,
      notify: [{ url: node.url, node: operator, column: 0 }],
    });
    const slot = await eventually('the slot is filled', async () => {
      const s = await readSlot(chain, { market: chain.market, slotId: slotIdOf(dealId, 0) });
      return s.state === SLOT_STATE.Filled ? s : undefined;
    });
    return { dealId, fillEpoch: slot.fillEpoch };
  };
  /** Moves into the epoch after `epoch` once the node has fixed its seed block. */
  const enterEpochAfter = async (epoch: bigint) => {
    await eventually('the next seed block is fixed', async () => ((await read<bigint>('seedBlockOf', [epoch + 1n])) !== 0n ? true : undefined));
    await time.increase(epochLength);
    await mine(1);
    expect(await read<bigint>('currentEpoch')).to.equal(epoch + 1n);
  };

  before(async () => {
    // Every filled slot is challenged in every epoch, so each test has a challenge to answer.
    chain = await startMarketChain(hre, { challengeProbabilityPpm: 1_000_000n });
    await fundOwners(chain, [ownerKey, operatorKey]);
    writer = { chain, ownerKey, node: operator };
    const config = await read<{ epochLength: bigint }>('config');
    epochLength = Number(config.epochLength);
  });
  after(async () => {
    await chain.close();
  });
  beforeEach(async () => {
    dir = await scratchDir();
    logged = [];
    node = await startNode({
      dataDir: dir.path,
      port: 0,
      capacityBytes: 1 << 26,
      privateKey: operatorKey,
      rpcUrl: chain.rpcUrl,
      deployment: chain.deployment,
      marketIntervalMs: 50,
      log: (line) => logged.push(line),
    });
  });
  afterEach(async () => {
    await node.stop();
    await dir.remove();
  });

  describe('when a filled slot is challenged', () => {
    it('records the seed, submits a proof the chain accepts, and the status shows it', async () => {
      const { dealId, fillEpoch } = await filledDeal();
      const slotId = slotIdOf(dealId, 0);
      await enterEpochAfter(fillEpoch);
      const epoch = fillEpoch + 1n;
      await eventually('the proof is accepted', async () => ((await read<boolean>('isProven', [slotId, epoch])) ? true : undefined));
      expect((await read<readonly [boolean, bigint]>('challengeOf', [slotId, epoch]))[0]).to.equal(true);
      expect(await read<string>('seedOf', [epoch])).to.not.equal(`0x${'0'.repeat(64)}`);
      expect(logged.filter((l) => /cannot prove/.test(l))).to.deep.equal([]);

      // The node's status, read from the chain, shows the slot, the proof and the pay accrued for that epoch.
      await enterEpochAfter(epoch);
      const status = await readNodeStatus(chain, {
        address: operator,
        market: chain.market,
        registry: chain.deployment.contracts.PeerRegistry,
        fromBlock: BigInt(chain.deployment.blockNumber),
      });
      expect(status).to.deep.include({
        slots: 1,
        proofsSubmitted: '1',
        proofsMissed: '0',
        bytesHeld: String(1n << 20n),
        rewardsAccrued: String(PRICE),
        markerCredit: '0',
      });
      expect(BigInt(status.lockedStake) > 0n).to.equal(true);
      expect(BigInt(status.stake) >= BigInt(status.lockedStake)).to.equal(true);
    });
  });

  describe('when the deal ends', () => {
    it('claims the pay, gets the collateral back and deletes the slot’s data', async () => {
      const { dealId, fillEpoch } = await filledDeal();
      const slotId = slotIdOf(dealId, 0);
      const deal = await readDeal(chain, { market: chain.market, dealId });
      const { missingWindowEpochs } = await read<{ missingWindowEpochs: number }>('config');
      // The collateral comes back once the last epoch's missing window has closed.
      for (let e = fillEpoch; e < deal!.endEpoch + BigInt(missingWindowEpochs); e++) await enterEpochAfter(e);
      await eventually('the slot is finished', async () =>
        (await readSlot(chain, { market: chain.market, slotId })).state === SLOT_STATE.Finished ? true : undefined,
      );
      await eventually('the data is deleted', async () =>
        ((await (await fetch(`${node.url}/files/${dealId}`)).json()) as { slots: unknown[] }).slots.length === 0 ? true : undefined,
      );
      const slot = await readSlot(chain, { market: chain.market, slotId });
      expect(slot.collateral).to.equal(0n);
      // The node drops the index rows first (nothing is served any more), then the files.
      const slotDir = path.join(dir.path, 'slots', slotId.slice(2, 4), slotId);
      await eventually('the slot’s files are deleted', () =>
        fs.access(slotDir).then(
          () => undefined,
          () => true,
        ),
      );
      await expect(fs.access(slotDir)).to.be.rejected;
    });
  });

  describe('between rounds of one epoch', () => {
    /** Restarts this test's node speaking to the chain through an RPC recorder. */
    const restartRecorded = async (rec: Awaited<ReturnType<typeof startRpcRecorder>>) => {
      await node.stop();
      node = await startNode({
        dataDir: dir.path,
        port: 0,
        capacityBytes: 1 << 26,
        privateKey: operatorKey,
        rpcUrl: rec.rpcUrl,
        deployment: chain.deployment,
        marketIntervalMs: 50,
        log: (line) => logged.push(line),
      });
    };
    /** Counts the recorded `eth_call`s of `functionName` (for `challengeOf`, those about `slotId` only). */
    const counter = (rec: Awaited<ReturnType<typeof startRpcRecorder>>, slotId: SlotId) => (functionName: 'challengeOf' | 'currentEpoch') => {
      const selector = encodeFunctionData({ abi: marketAbi, functionName, args: functionName === 'challengeOf' ? [slotId, 0n] : [] } as never).slice(0, 10);
      return rec
        .calls()
        .filter((c) => c.method === 'eth_call' && c.data?.startsWith(selector) && (functionName !== 'challengeOf' || c.data.includes(slotId.slice(2)))).length;
    };
    /** Waits for ten more rounds (each reads the current epoch twice: prover and watch). */
    const tenRounds = async (count: ReturnType<typeof counter>) => {
      const rounds = count('currentEpoch');
      await eventually('ten more rounds have run', async () => (count('currentEpoch') >= rounds + 20 ? true : undefined));
    };

    it('reads a slot again only in the next epoch once it has nothing left to do (proven), and proves it there', async () => {
      const rec = await startRpcRecorder({ target: chain.rpcUrl });
      try {
        await restartRecorded(rec);
        const { dealId, fillEpoch } = await filledDeal();
        const slotId = slotIdOf(dealId, 0);
        const count = counter(rec, slotId);
        await enterEpochAfter(fillEpoch);
        const epoch = fillEpoch + 1n;
        await eventually('the proof is accepted', async () => ((await read<boolean>('isProven', [slotId, epoch])) ? true : undefined));
        // The node's own slot (column 0): the watch reads the challenges of the others' columns only.
        const challengeReads = count('challengeOf');
        await tenRounds(count);
        expect(count('challengeOf')).to.equal(challengeReads);

        await enterEpochAfter(epoch);
        await eventually('the next epoch’s proof is accepted', async () => ((await read<boolean>('isProven', [slotId, epoch + 1n])) ? true : undefined));
        expect(count('challengeOf')).to.be.greaterThan(challengeReads);
        expect(logged.filter((l) => /cannot prove/.test(l))).to.deep.equal([]);
      } finally {
        await node.stop();
        await rec.close();
      }
    });

    it('reads a slot once in an epoch that can have no seed (its block was not fixed before the epoch began)', async () => {
      const rec = await startRpcRecorder({ target: chain.rpcUrl });
      try {
        const { dealId, fillEpoch } = await filledDeal(10);
        const slotId = slotIdOf(dealId, 0);
        // No node runs through the next epoch, so nobody fixes the seed block of the one after it.
        await node.stop();
        await time.increase(2 * epochLength);
        await mine(1);
        const epoch = await read<bigint>('currentEpoch');
        expect(epoch).to.equal(fillEpoch + 2n);
        expect(await read<bigint>('seedBlockOf', [epoch])).to.equal(0n);
        await restartRecorded(rec);
        const count = counter(rec, slotId);
        await tenRounds(count);
        expect(count('challengeOf')).to.equal(1);
        expect(await read<string>('seedOf', [epoch])).to.equal(`0x${'0'.repeat(64)}`);
      } finally {
        await node.stop();
        await rec.close();
      }
    });
  });

  describe('when the slot’s shard files were deleted from disk', () => {
    it('cannot prove, logs it, and the proof can be marked missing', async () => {
      const { dealId, fillEpoch } = await filledDeal();
      const slotId = slotIdOf(dealId, 0);
      await fs.rm(path.join(dir.path, 'slots', slotId.slice(2, 4), slotId), { recursive: true, force: true });
      await enterEpochAfter(fillEpoch);
      const epoch = fillEpoch + 1n;
      await eventually('the failed proof is logged', async () => (logged.some((l) => l.startsWith(`cannot prove slot ${slotId}`)) ? true : undefined));
      expect(await read<boolean>('isProven', [slotId, epoch])).to.equal(false);

      await enterEpochAfter(epoch);
      const marker = chain.wallet(ownerKey);
      const hash = await marker.writeContract({ address: chain.market, abi: marketAbi, functionName: 'markProofMissing', args: [slotId, epoch] });
      expect((await chain.publicClient.waitForTransactionReceipt({ hash })).status).to.equal('success');
      expect((await readSlot(chain, { market: chain.market, slotId })).misses).to.equal(1);
    });
  });
});
