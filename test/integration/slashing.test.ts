import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mine, time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import type { Address, Hex } from 'viem';
import { chainPeerSource, fileSource, masterFromPrivateKey, upload } from '../../client';
import { connectChain } from '../../protocol/chain/connect';
import { peerRegistryAbi, rewardTokenAbi } from '../../protocol/chain/generated/abis';
import { marketAbi, readSlot, SLOT_STATE, type SlotView } from '../../protocol/chain/market';
import { startTestNetwork, type TestNetwork } from '../../scripts/testkit/network';
import { eventually } from '../../scripts/testkit/node/market-chain';

const CHUNK = 64 * 1024;
/** Three misses free the slot: two visible slashes on a still-filled slot, then the freeing one. */
const MAX_MISSES = 3;
/** Epochs moved forward at most: fill epoch + MAX_MISSES challenged epochs + their marks + the honest peers' first claim. */
const MAX_STEPS = 12;

type Ledger = { bytesHeld: bigint; epochsProven: bigint; proofsMissed: bigint; earned: bigint; subsidy: bigint };

describe('slashing end to end: real nodes, one of which lost its shards on disk', () => {
  let net: TestNetwork;
  let work: string;
  let marketplace: ReturnType<TestNetwork['marketplaceFor']>;
  let epochLength: bigint;

  const read = <T>(functionName: string, args: readonly unknown[] = []) =>
    marketplace.publicClient.readContract({ address: marketplace.market, abi: marketAbi, functionName, args } as never) as Promise<T>;
  /** Tokens plus marker credit held in the registry, both read at one block (a node may withdraw its credit at any time). */
  const holdings = async (who: Address) => {
    // getBlock, not getBlockNumber: viem caches the latter for a few seconds.
    const { number: blockNumber } = await marketplace.publicClient.getBlock({ blockTag: 'latest' });
    const [balance, credit] = await Promise.all([
      marketplace.publicClient.readContract({ address: marketplace.token, abi: rewardTokenAbi, functionName: 'balanceOf', args: [who], blockNumber }),
      marketplace.publicClient.readContract({
        address: net.deployment.contracts.PeerRegistry,
        abi: peerRegistryAbi,
        functionName: 'creditOf',
        args: [who],
        blockNumber,
      }),
    ]);
    return balance + credit;
  };
  const events = <E extends 'ProofMissed' | 'SlotFreed' | 'Claimed'>(eventName: E) =>
    marketplace.publicClient.getContractEvents({
      address: marketplace.market,
      abi: marketAbi,
      eventName,
      fromBlock: BigInt(net.deployment.blockNumber),
      strict: true,
    });

  before(async () => {
    net = await startTestNetwork(hre, {
      peers: 4,
      deployParams: {
        // Short epochs (chain time is moved by the test), every filled slot challenged in every epoch,
        // three misses free a slot, a miss may be marked for two epochs.
        epochLength: 300n,
        challengeProbabilityPpm: 1_000_000n,
        maxMisses: BigInt(MAX_MISSES),
        missingWindowEpochs: 2n,
        // Heartbeats last a day of chain time: the hours the test moves forward never make a peer inactive.
        heartbeatTimeout: 86_400n,
      },
    });
    marketplace = net.marketplaceFor((await net.user()).account);
    epochLength = (await read<{ epochLength: bigint }>('config')).epochLength;
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-slashing-'));
  });

  after(async () => {
    await net.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  /**
   * Moves the chain into the next epoch once its seed block is fixed (the nodes do that), then waits
   * until the nodes have acted in it: the seed is recorded, every challenged honest slot is proven,
   * and the broken slot's missed proof of the previous epoch is marked (or it is freed). Returns the new epoch.
   */
  const step = async (p: { honest: Hex[]; broken: Hex }): Promise<bigint> => {
    const before = await read<bigint>('currentEpoch');
    await eventually('the next seed block is fixed', async () => ((await read<bigint>('seedBlockOf', [before + 1n])) !== 0n ? true : undefined));
    await time.increase(Number(epochLength));
    await mine(1);
    const epoch = await read<bigint>('currentEpoch');
    await eventually(`the nodes acted in epoch ${epoch}`, async () => {
      if ((await read<Hex>('seedOf', [epoch])) === `0x${'0'.repeat(64)}`) return undefined;
      for (const slotId of p.honest) {
        const [challenged] = await read<readonly [boolean, bigint]>('challengeOf', [slotId, epoch]);
        if (challenged && !(await read<boolean>('isProven', [slotId, epoch]))) return undefined;
      }
      const [missedBefore] = await read<readonly [boolean, bigint]>('challengeOf', [p.broken, epoch - 1n]);
      if (missedBefore && !(await events('ProofMissed')).some((e) => e.args.slot === p.broken && e.args.epoch === epoch - 1n)) return undefined;
      return true;
    });
    return epoch;
  };

  describe('when one holder deleted its shard files after filling its slot', () => {
    it('is marked missing by a peer, slashed every epoch, freed at maxMisses, while the honest peers are proven and paid', async () => {
      const user = await net.user();
      const { publicClient } = await connectChain({ rpcUrl: net.rpcUrl });
      const file = path.join(work, 'file.bin');
      fs.writeFileSync(file, randomBytes(2 * CHUNK + 123));
      const result = await upload(
        {
          account: user.account,
          chainId: net.chainId,
          master: masterFromPrivateKey(user.key),
          peers: chainPeerSource({ publicClient, registry: net.deployment.contracts.PeerRegistry }),
          marketplace,
        },
        { source: await fileSource(file), name: 'file.bin', chunkSize: CHUNK, replicas: 3, epochs: 16 },
      );
      expect(result.columns).to.have.length(3);

      // Column 0's holder loses its shard files; the other two stay honest.
      const holders = result.columns.map((c) => {
        const peer = net.peers.find((x) => x.address.toLowerCase() === c.operator.toLowerCase());
        if (!peer) throw new Error(`no test peer holds column ${c.column}`);
        return { column: c.column, slotId: c.slotId as Hex, peer };
      });
      const [broken, ...honest] = holders;
      fs.rmSync(path.join(broken.peer.dataDir, 'slots', broken.slotId.slice(2, 4), broken.slotId), { recursive: true, force: true });
      const honestAddresses = honest.map((h) => h.peer.address);
      const slots = { honest: honest.map((h) => h.slotId), broken: broken.slotId };

      const filled = await readSlot(marketplace, { market: marketplace.market, slotId: broken.slotId });
      expect(filled.state).to.equal(SLOT_STATE.Filled);
      const fullCollateral = filled.collateral;
      const balancesBefore = new Map(await Promise.all(honestAddresses.map(async (a) => [a, await holdings(a)] as const)));
      const ledgerBefore = await read<Ledger>('ledger', [broken.peer.address]);

      // Step epoch by epoch, recording the broken slot as the chain shows it after each step,
      // until it is freed and every honest peer has claimed pay.
      const seen: SlotView[] = [];
      const steps: bigint[] = [];
      const earned = async () => Promise.all(honestAddresses.map(async (a) => (await read<Ledger>('ledger', [a])).earned));
      for (let i = 0; i < MAX_STEPS; i++) {
        steps.push(await step(slots));
        const slot = await readSlot(marketplace, { market: marketplace.market, slotId: broken.slotId });
        seen.push(slot);
        if (slot.state === SLOT_STATE.Freed && (await earned()).every((e) => e > 0n)) break;
      }

      // Slashed miss by miss: the misses grow and the collateral shrinks while the slot stays filled …
      const whileFilled = seen.filter((s) => s.state === SLOT_STATE.Filled && s.misses > 0);
      expect(whileFilled.map((s) => s.misses)).to.include.members([1, MAX_MISSES - 1]);
      for (const s of whileFilled) expect(s.collateral < fullCollateral).to.equal(true, `collateral after ${s.misses} misses`);
      for (let i = 1; i < whileFilled.length; i++) {
        expect(whileFilled[i].misses >= whileFilled[i - 1].misses).to.equal(true);
        expect(whileFilled[i].collateral <= whileFilled[i - 1].collateral).to.equal(true);
      }
      // … then freed at maxMisses, for misses (reason 0).
      expect(seen.at(-1)?.state).to.equal(SLOT_STATE.Freed);
      const freed = (await events('SlotFreed')).filter((e) => e.args.slot === broken.slotId);
      expect(freed).to.have.length(1);
      expect(freed[0].args.reason).to.equal(0);
      expect(freed[0].args.peer).to.equal(broken.peer.address);
      expect((await read<Ledger>('ledger', [broken.peer.address])).proofsMissed - ledgerBefore.proofsMissed).to.equal(BigInt(MAX_MISSES));

      // Every miss was marked by one of the honest co-holders' watchtowers, and credited to it.
      const missed = (await events('ProofMissed')).filter((e) => e.args.slot === broken.slotId);
      expect(missed).to.have.length(MAX_MISSES);
      for (const m of missed) {
        expect(honestAddresses).to.include(m.args.marker);
        expect(m.args.markerReward > 0n).to.equal(true);
      }
      // What an honest peer gained = marker rewards + claimed pay (nothing else moves its tokens); the
      // rewards are credited in the registry and its node withdraws them, so count both places.
      const claimed = await events('Claimed');
      for (const a of honestAddresses) {
        const rewards = missed.filter((m) => m.args.marker === a).reduce((sum, m) => sum + m.args.markerReward, 0n);
        const pay = claimed.filter((c) => c.args.peer === a).reduce((sum, c) => sum + c.args.amount, 0n);
        const gained = (await holdings(a)) - (balancesBefore.get(a) ?? 0n);
        expect(gained).to.equal(rewards + pay, `tokens and credit of ${a}`);
      }

      // The honest slots were proven in every epoch the test went through, and their peers were paid.
      for (const h of honest) {
        for (const epoch of steps) {
          const [challenged] = await read<readonly [boolean, bigint]>('challengeOf', [h.slotId, epoch]);
          if (challenged) expect(await read<boolean>('isProven', [h.slotId, epoch])).to.equal(true, `column ${h.column} in epoch ${epoch}`);
        }
        const ledger = await read<Ledger>('ledger', [h.peer.address]);
        expect(ledger.earned > 0n).to.equal(true, `earned by ${h.peer.address}`);
        expect(ledger.proofsMissed).to.equal(0n);
        expect(ledger.epochsProven > 0n).to.equal(true);
        expect((await readSlot(marketplace, { market: marketplace.market, slotId: h.slotId })).state).to.equal(SLOT_STATE.Filled);
      }
    });
  });
});
