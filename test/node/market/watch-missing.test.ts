import fs from 'node:fs/promises';
import path from 'node:path';
import { mine, time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { createPublicClient, createWalletClient, http, parseEventLogs } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { MarketChainDeps } from '../../../node/market/fill';
import { createMissingWatch, watchMissingProofs } from '../../../node/market/watch-missing';
import { withdrawMarkerCredit } from '../../../node/market/withdraw-credit';
import { type RunningNode, startNode } from '../../../node/start-node';
import type { MarketSlotRow } from '../../../node/store/market-state';
import { peerRegistryAbi, rewardTokenAbi } from '../../../protocol/chain/generated/abis';
import { marketAbi, readSlot, SLOT_STATE } from '../../../protocol/chain/market';
import { type FileId, slotIdOf } from '../../../protocol/ids';
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

const PRICE = 10n ** 16n;

describe('node/market/watch-missing: a node marks its co-holders’ missed proofs', () => {
  const ownerKey = hardhatKey(46);
  // The peer that lost its data: a real node, whose prover also fixes and records the seeds.
  const brokenKey = hardhatKey(47);
  const broken = privateKeyToAccount(brokenKey).address;
  // The watcher: this node's own slot is column 0 of the deal (its chain state does not matter here).
  const watcherKey = hardhatKey(48);
  const watcher = privateKeyToAccount(watcherKey).address;
  let chain: MarketChain;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let node: RunningNode;
  let epochLength: number;

  const tokensOf = (who: `0x${string}`) =>
    chain.publicClient.readContract({ address: chain.deployment.contracts.RewardToken, abi: rewardTokenAbi, functionName: 'balanceOf', args: [who] });
  const creditOf = (who: `0x${string}`) =>
    chain.publicClient.readContract({ address: chain.deployment.contracts.PeerRegistry, abi: peerRegistryAbi, functionName: 'creditOf', args: [who] });
  const read = <T>(functionName: string, args: readonly unknown[] = []) =>
    chain.publicClient.readContract({ address: chain.market, abi: marketAbi, functionName, args } as never) as Promise<T>;
  const watcherChain = (): MarketChainDeps => ({
    publicClient: chain.publicClient,
    walletClient: chain.wallet(watcherKey),
    account: privateKeyToAccount(watcherKey),
  });
  /** The watcher's bookkeeping: it holds column 0 of `dealId`, filled. */
  const holding = (dealId: FileId) => ({
    inState: (state: string): MarketSlotRow[] =>
      state === 'filled' ? [{ slotId: slotIdOf(dealId, 0), dealId, column: 0, state: 'filled', slotRoot: '0x', rootProof: [], segmentCount: 1 }] : [],
  });
  const enterEpochAfter = async (epoch: bigint) => {
    await eventually('the next seed block is fixed', async () => ((await read<bigint>('seedBlockOf', [epoch + 1n])) !== 0n ? true : undefined));
    await time.increase(epochLength);
    await mine(1);
    expect(await read<bigint>('currentEpoch')).to.equal(epoch + 1n);
    await eventually('the seed is recorded', async () => ((await read<string>('seedOf', [epoch + 1n])) !== `0x${'0'.repeat(64)}` ? true : undefined));
  };

  /**
   * A two-slot deal: column 0 nobody runs (the watcher's, in its bookkeeping), column 1 filled by the
   * broken node, whose slot files are then deleted. Returns in the epoch after the first challenged
   * epoch, when the broken slot's proof of `missedEpoch` can be marked missing.
   */
  const brokenDeal = async (): Promise<{ dealId: FileId; missedEpoch: bigint; brokenSlot: ReturnType<typeof slotIdOf> }> => {
    const dealId = await openTestDeal(chain, { ownerKey, slots: 2, bytesPerSlot: 1n << 20n, durationEpochs: 6, pricePerSlotEpoch: PRICE });
    const writer: DealWriter = { chain, ownerKey, node: broken };
    const deadline = (await laterNow(chain)) + 86_400n;
    const theirs = await uploadColumn(writer, { url: node.url, dealId, column: 1, shards: [randomShard(100_000)], manifest: randomShard(700), deadline });
    const unheld = await columnRoot([randomShard(100_000), randomShard(700)]);
    await commitTestRoot(chain, {
      ownerKey,
      dealId,
      slotRoots: [unheld.root, theirs.root],
      segmentCount: theirs.segmentCount,
      notify: [{ url: node.url, node: broken, column: 1 }],
    });
    const brokenSlot = slotIdOf(dealId, 1);
    const slot = await eventually('the broken node fills its slot', async () => {
      const s = await readSlot(chain, { market: chain.market, slotId: brokenSlot });
      return s.state === SLOT_STATE.Filled ? s : undefined;
    });
    await fs.rm(path.join(dir.path, 'slots', brokenSlot.slice(2, 4), brokenSlot), { recursive: true, force: true });
    await enterEpochAfter(slot.fillEpoch);
    const missedEpoch = slot.fillEpoch + 1n;
    await enterEpochAfter(missedEpoch);
    expect(await read<boolean>('isProven', [brokenSlot, missedEpoch])).to.equal(false);
    return { dealId, missedEpoch, brokenSlot };
  };

  before(async () => {
    // Every filled slot is challenged in every epoch; heartbeats last a day of chain time, so the
    // hours the tests move the clock forward never make the node inactive.
    chain = await startMarketChain(hre, { challengeProbabilityPpm: 1_000_000n, maxMisses: 3n, missingWindowEpochs: 2n, heartbeatTimeout: 86_400n });
    await fundOwners(chain, [ownerKey, brokenKey, watcherKey]);
    epochLength = Number((await read<{ epochLength: bigint }>('config')).epochLength);
    dir = await scratchDir();
    node = await startNode({
      dataDir: dir.path,
      port: 0,
      capacityBytes: 1 << 26,
      privateKey: brokenKey,
      // Twice the minimum: the slashes of one test leave it active (stake ≥ minStake) for the next deal.
      stake: 2_000n * 10n ** 18n,
      rpcUrl: chain.rpcUrl,
      deployment: chain.deployment,
      marketIntervalMs: 50,
      log: () => {},
    });
  });
  after(async () => {
    await node.stop();
    await dir.remove();
    await chain.close();
  });

  describe('when a co-holder’s slot was challenged and not proven', () => {
    it('marks it missing, is credited the marker’s share in the registry, withdraws it, and a second round does nothing more', async () => {
      const { dealId, missedEpoch, brokenSlot } = await brokenDeal();
      const logged: string[] = [];
      const watch = createMissingWatch();
      const balanceBefore = await tokensOf(watcher);
      const creditBefore = await creditOf(watcher);
      const fromBlock = await chain.publicClient.getBlockNumber();

      const report = await watchMissingProofs(
        { chain: watcherChain(), market: holding(dealId), watch, log: (l) => logged.push(l) },
        { marketAddress: chain.market },
      );
      expect(report.marked).to.deep.equal([{ slotId: brokenSlot, epoch: missedEpoch }]);
      expect(report.deferred).to.equal(false);
      expect(logged.filter((l) => !l.startsWith('marked the proof'))).to.deep.equal([]);

      const slot = await readSlot(chain, { market: chain.market, slotId: brokenSlot });
      expect(slot.misses).to.equal(1);
      const logs = parseEventLogs({
        abi: marketAbi,
        eventName: 'ProofMissed',
        logs: await chain.publicClient.getLogs({ address: chain.market, fromBlock }),
      });
      expect(logs).to.have.length(1);
      expect(logs[0].args.marker).to.equal(watcher);
      expect(logs[0].args.slot).to.equal(brokenSlot);
      expect(logs[0].args.epoch).to.equal(missedEpoch);
      expect(logs[0].args.markerReward > 0n).to.equal(true);
      // The share is a pull payment held by the registry: credited, not transferred, until withdrawn.
      expect(await tokensOf(watcher)).to.equal(balanceBefore);
      expect((await creditOf(watcher)) - creditBefore).to.equal(logs[0].args.markerReward);
      const withdrawal = await withdrawMarkerCredit({ chain: watcherChain() }, { registry: chain.deployment.contracts.PeerRegistry });
      expect(withdrawal).to.deep.equal({ status: 'withdrawn', amount: creditBefore + logs[0].args.markerReward });
      expect((await tokensOf(watcher)) - balanceBefore).to.equal(creditBefore + logs[0].args.markerReward);
      expect(await creditOf(watcher)).to.equal(0n);
      expect(await withdrawMarkerCredit({ chain: watcherChain() }, { registry: chain.deployment.contracts.PeerRegistry })).to.deep.equal({ status: 'none' });

      const again = await watchMissingProofs(
        { chain: watcherChain(), market: holding(dealId), watch, log: (l) => logged.push(l) },
        { marketAddress: chain.market },
      );
      expect(again).to.deep.equal({ checked: 0, marked: [], deferred: false });
    });
  });

  describe('when another watcher marked the proof first (or after a restart)', () => {
    it('treats the refused mark as done: no transaction, no log, no second miss', async () => {
      const { dealId, missedEpoch, brokenSlot } = await brokenDeal();
      const hash = await chain.wallet(ownerKey).writeContract({
        address: chain.market,
        abi: marketAbi,
        functionName: 'markProofMissing',
        args: [brokenSlot, missedEpoch],
      });
      expect((await chain.publicClient.waitForTransactionReceipt({ hash })).status).to.equal('success');

      const logged: string[] = [];
      // A fresh memory, as after a restart.
      const report = await watchMissingProofs(
        { chain: watcherChain(), market: holding(dealId), watch: createMissingWatch(), log: (l) => logged.push(l) },
        { marketAddress: chain.market },
      );
      expect(report.marked).to.deep.equal([]);
      expect(report.checked > 0).to.equal(true);
      expect(logged).to.deep.equal([]);
      expect((await readSlot(chain, { market: chain.market, slotId: brokenSlot })).misses).to.equal(1);
    });
  });

  describe('when there is more to check than one round may do', () => {
    it('looks at no more than maxChecks pairs per round and picks up where it stopped', async () => {
      const { dealId, missedEpoch, brokenSlot } = await brokenDeal();
      const watch = createMissingWatch();
      const deps = { chain: watcherChain(), market: holding(dealId), watch, log: () => {} };
      const rounds = [];
      for (let i = 0; i < 4; i++) rounds.push(await watchMissingProofs(deps, { marketAddress: chain.market, maxChecks: 1 }));
      // The window holds two epochs of the broken slot: the fill epoch (not challenged) and the missed one.
      expect(rounds.map((r) => r.checked)).to.deep.equal([1, 1, 0, 0]);
      expect(rounds[0]).to.deep.include({ deferred: true, marked: [] });
      expect(rounds[1].marked).to.deep.equal([{ slotId: brokenSlot, epoch: missedEpoch }]);
      expect((await readSlot(chain, { market: chain.market, slotId: brokenSlot })).misses).to.equal(1);
    });
  });

  describe('when the chain cannot be reached', () => {
    it('logs the failure and returns instead of throwing', async () => {
      const transport = http('http://127.0.0.1:9/', { retryCount: 0 });
      const account = privateKeyToAccount(watcherKey);
      const offline: MarketChainDeps = {
        publicClient: createPublicClient({ chain: chain.chain, transport }),
        walletClient: createWalletClient({ chain: chain.chain, transport, account }),
        account,
      };
      const logged: string[] = [];
      const report = await watchMissingProofs(
        { chain: offline, market: holding(`0x${'11'.repeat(32)}` as FileId), log: (l) => logged.push(l) },
        { marketAddress: chain.market },
      );
      expect(report).to.deep.equal({ checked: 0, marked: [], deferred: false });
      expect(logged).to.have.length(1);
      expect(logged[0]).to.match(/^watching for missing proofs failed/);
    });
  });
});
