import { loadFixture, mine } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { challengeOf as challengeOfTs } from '../../../protocol/challenge';
import {
  deployMarket,
  enterEpochWithSeed,
  goToEpoch,
  type MarketFixture,
  openFilledDeal,
  PRICE,
  segmentProofOf,
  slotIdOf,
  TEST_CONFIG,
  TOKEN,
} from '../../../scripts/testkit/market/fixture';

const COLLATERAL = PRICE * TEST_CONFIG.collateralEpochs + TEST_CONFIG.minCollateral;
const SLASH = (COLLATERAL * TEST_CONFIG.slashPpm) / 1_000_000n;
const REWARD = (SLASH * TEST_CONFIG.markerRewardPpm) / 1_000_000n;

describe('Marketplace: proofs, misses and payment', () => {
  async function filledFixture() {
    const f = await deployMarket();
    const deal = await openFilledDeal(f, { slots: 3, bytesPerSlot: 4096, duration: 6 });
    return { ...f, ...deal };
  }

  async function prove(f: MarketFixture & Awaited<ReturnType<typeof openFilledDeal>>, column: number, epoch: bigint) {
    const slotId = slotIdOf(f.dealId, column);
    const [, index] = await f.market.challengeOf(slotId, epoch);
    const { segment, proof } = segmentProofOf(f.data, column, Number(index));
    return f.market.connect(f.peers[column]).submitProof(slotId, segment, proof);
  }

  describe('when a challenged peer proves its segment', () => {
    it('accepts the proof, records it and credits the ledger', async () => {
      const f = await loadFixture(filledFixture);
      await enterEpochWithSeed(f, f.startEpoch);
      const slotId = slotIdOf(f.dealId, 0);
      const seed = await f.market.seedOf(f.startEpoch);
      const [challenged, index] = await f.market.challengeOf(slotId, f.startEpoch);
      const ts = challengeOfTs({
        seed: seed as `0x${string}`,
        slotId: slotId as `0x${string}`,
        probabilityPpm: TEST_CONFIG.challengeProbabilityPpm,
        segmentCount: 8,
      });
      expect([challenged, index]).to.deep.equal([ts.challenged, ts.segmentIndex]);
      await expect(prove(f, 0, f.startEpoch))
        .to.emit(f.market, 'ProofSubmitted')
        .withArgs(slotId, f.startEpoch, f.peers[0].address);
      expect(await f.market.isProven(slotId, f.startEpoch)).to.equal(true);
      expect((await f.market.ledger(f.peers[0].address)).epochsProven).to.equal(1n);
      await expect(prove(f, 0, f.startEpoch))
        .to.be.revertedWithCustomError(f.market, 'AlreadyProven')
        .withArgs(slotId, f.startEpoch);
    });

    it('rejects an old proof, another segment and another slot with InvalidProof', async () => {
      const f = await loadFixture(filledFixture);
      await enterEpochWithSeed(f, f.startEpoch);
      const slotId = slotIdOf(f.dealId, 0);
      const [, index] = await f.market.challengeOf(slotId, f.startEpoch);
      const i = Number(index);
      const otherIndex = (i + 1) % 8;
      const another = segmentProofOf(f.data, 0, otherIndex);
      await expect(f.market.submitProof(slotId, another.segment, another.proof))
        .to.be.revertedWithCustomError(f.market, 'InvalidProof')
        .withArgs(slotId, f.startEpoch, index);
      const otherSlot = segmentProofOf(f.data, 1, i);
      await expect(f.market.submitProof(slotId, otherSlot.segment, otherSlot.proof))
        .to.be.revertedWithCustomError(f.market, 'InvalidProof')
        .withArgs(slotId, f.startEpoch, index);
      // The proof of this epoch is old in the next one (another segment is challenged, or the bits differ).
      const right = segmentProofOf(f.data, 0, i);
      await enterEpochWithSeed(f, f.startEpoch + 1n);
      const [, next] = await f.market.challengeOf(slotId, f.startEpoch + 1n);
      if (next !== index) {
        await expect(f.market.submitProof(slotId, right.segment, right.proof))
          .to.be.revertedWithCustomError(f.market, 'InvalidProof')
          .withArgs(slotId, f.startEpoch + 1n, next);
      }
    });

    it('rejects a wrong depth with InvalidProofLength and a short segment with InvalidSegmentLength', async () => {
      const f = await loadFixture(filledFixture);
      await enterEpochWithSeed(f, f.startEpoch);
      const slotId = slotIdOf(f.dealId, 0);
      const [, index] = await f.market.challengeOf(slotId, f.startEpoch);
      const { segment, proof } = segmentProofOf(f.data, 0, Number(index));
      await expect(f.market.submitProof(slotId, segment, proof.slice(1)))
        .to.be.revertedWithCustomError(f.market, 'InvalidProofLength')
        .withArgs(2, 3);
      await expect(f.market.submitProof(slotId, segment, [...proof, ethers.ZeroHash]))
        .to.be.revertedWithCustomError(f.market, 'InvalidProofLength')
        .withArgs(4, 3);
      await expect(f.market.submitProof(slotId, ethers.dataSlice(segment, 1), proof))
        .to.be.revertedWithCustomError(f.market, 'InvalidSegmentLength')
        .withArgs(511);
    });

    it('rejects SeedNotRecorded, NotChallenged and SlotNotFilled', async () => {
      const f = await loadFixture(filledFixture);
      const slotId = slotIdOf(f.dealId, 0);
      // The fill epoch is never challenged.
      await expect(f.market.submitProof(slotId, '0x', []))
        .to.be.revertedWithCustomError(f.market, 'NotChallenged')
        .withArgs(slotId, f.startEpoch - 1n);
      await goToEpoch(f, f.startEpoch);
      await expect(f.market.submitProof(slotId, '0x', []))
        .to.be.revertedWithCustomError(f.market, 'SeedNotRecorded')
        .withArgs(f.startEpoch);
      const unknown = slotIdOf(f.dealId, 9);
      await expect(f.market.submitProof(unknown, '0x', []))
        .to.be.revertedWithCustomError(f.market, 'SlotNotFilled')
        .withArgs(unknown, 0);
    });

    it('challenges nobody when the probability is 0', async () => {
      const f = await deployMarket({ challengeProbabilityPpm: 0n });
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 2 });
      await enterEpochWithSeed(f, deal.startEpoch);
      const slotId = slotIdOf(deal.dealId, 0);
      await expect(f.market.submitProof(slotId, '0x', []))
        .to.be.revertedWithCustomError(f.market, 'NotChallenged')
        .withArgs(slotId, deal.startEpoch);
    });
  });

  describe('when a peer misses a proof', () => {
    it('is marked and slashed in the registry without a token moving: the marker is credited, the rest forfeited; the epoch is never paid', async () => {
      const f = await loadFixture(filledFixture);
      const slotId = slotIdOf(f.dealId, 2);
      const marker = f.others[0];
      const peer = f.peers[2];
      for (let k = 0n; k < 3n; k++) await enterEpochWithSeed(f, f.startEpoch + k);
      await enterEpochWithSeed(f, f.startEpoch + 3n);
      // Epoch start+3 is current: too early to mark it; start is past its window (start+1, start+2].
      await expect(f.market.markProofMissing(slotId, f.startEpoch + 3n))
        .to.be.revertedWithCustomError(f.market, 'NotInMissingWindow')
        .withArgs(f.startEpoch + 3n, f.startEpoch + 3n);
      await expect(f.market.markProofMissing(slotId, f.startEpoch))
        .to.be.revertedWithCustomError(f.market, 'NotInMissingWindow')
        .withArgs(f.startEpoch, f.startEpoch + 3n);
      const before = await f.registry.peer(peer.address);
      const tx = f.market.connect(marker).markProofMissing(slotId, f.startEpoch + 1n);
      await expect(tx)
        .to.emit(f.market, 'ProofMissed')
        .withArgs(slotId, f.startEpoch + 1n, marker.address, SLASH, REWARD);
      await expect(tx).to.changeTokenBalances(f.token, [marker, f.market, f.registry], [0n, 0n, 0n]);
      const after = await f.registry.peer(peer.address);
      expect([after.stake, after.lockedStake]).to.deep.equal([before.stake - SLASH, before.lockedStake - SLASH]);
      expect(await f.registry.creditOf(marker.address)).to.equal(REWARD);
      expect(await f.registry.forfeitedStake()).to.equal(SLASH - REWARD);
      // The deal owner gains nothing from the miss.
      expect((await f.market.deal(f.dealId)).repairFund).to.equal(0n);
      expect((await f.market.slot(slotId)).misses).to.equal(1n);
      expect((await f.market.slot(slotId)).collateral).to.equal(COLLATERAL - SLASH);
      expect((await f.market.ledger(peer.address)).proofsMissed).to.equal(1n);
      await expect(f.market.markProofMissing(slotId, f.startEpoch + 1n))
        .to.be.revertedWithCustomError(f.market, 'AlreadyMarked')
        .withArgs(slotId, f.startEpoch + 1n);
      await f.market.connect(marker).markProofMissing(slotId, f.startEpoch + 2n);
      expect(await f.registry.creditOf(marker.address)).to.equal(2n * REWARD);
      // The missed epochs are settled unpaid.
      await expect(f.market.connect(peer).claim(slotId))
        .to.emit(f.market, 'Claimed')
        .withArgs(slotId, peer.address, 0, f.startEpoch + 2n);
    });

    it('at maxMisses frees the slot: the remaining collateral goes to the repair fund, the misses stay credited and forfeited', async () => {
      const f = await loadFixture(filledFixture);
      const slotId = slotIdOf(f.dealId, 2);
      const marker = f.others[0];
      const peer = f.peers[2];
      for (let k = 0n; k < 3n; k++) await enterEpochWithSeed(f, f.startEpoch + k);
      await enterEpochWithSeed(f, f.startEpoch + 3n);
      await f.market.connect(marker).markProofMissing(slotId, f.startEpoch + 1n);
      await f.market.connect(f.others[1]).markProofMissing(slotId, f.startEpoch + 2n);
      await enterEpochWithSeed(f, f.startEpoch + 4n);
      const remaining = COLLATERAL - 3n * SLASH;
      const freed = f.market.connect(marker).markProofMissing(slotId, f.startEpoch + 3n);
      await expect(freed).to.emit(f.market, 'SlotFreed').withArgs(slotId, f.dealId, 2, peer.address, 0);
      await expect(freed)
        .to.emit(f.registry, 'StakeSlashed')
        .withArgs(peer.address, remaining, await f.market.getAddress());
      await expect(freed).to.changeTokenBalances(f.token, [marker, f.market, f.registry], [0n, remaining, -remaining]);
      expect((await f.registry.peer(peer.address)).lockedStake).to.equal(0n);
      expect((await f.market.deal(f.dealId)).repairFund).to.equal(remaining);
      expect(await f.registry.creditOf(marker.address)).to.equal(2n * REWARD);
      expect(await f.registry.creditOf(f.others[1].address)).to.equal(REWARD);
      expect(await f.registry.forfeitedStake()).to.equal(3n * (SLASH - REWARD));
      expect((await f.market.slot(slotId)).state).to.equal(2n);
      await expect(f.market.markProofMissing(slotId, f.startEpoch + 3n))
        .to.be.revertedWithCustomError(f.market, 'SlotNotFilled')
        .withArgs(slotId, 2);
    });

    it('lets the marker withdraw its credit from the registry, once', async () => {
      const f = await loadFixture(filledFixture);
      const slotId = slotIdOf(f.dealId, 2);
      const marker = f.others[0];
      for (let k = 0n; k < 3n; k++) await enterEpochWithSeed(f, f.startEpoch + k);
      await f.market.connect(marker).markProofMissing(slotId, f.startEpoch + 1n);
      const tx = f.registry.connect(marker).withdrawCredit();
      await expect(tx).to.emit(f.registry, 'CreditWithdrawn').withArgs(marker.address, REWARD);
      await expect(tx).to.changeTokenBalances(f.token, [marker, f.registry], [REWARD, -REWARD]);
      expect(await f.registry.creditOf(marker.address)).to.equal(0n);
      await expect(f.registry.connect(marker).withdrawCredit()).to.be.revertedWithCustomError(f.registry, 'NothingToWithdraw').withArgs(marker.address);
    });

    it('forfeits the whole slash when markers get no reward (markerRewardPpm 0)', async () => {
      const f = await deployMarket({ markerRewardPpm: 0n });
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 4 });
      const slotId = slotIdOf(deal.dealId, 0);
      for (let k = 0n; k < 2n; k++) await enterEpochWithSeed(f, deal.startEpoch + k);
      await expect(f.market.connect(f.others[0]).markProofMissing(slotId, deal.startEpoch))
        .to.emit(f.market, 'ProofMissed')
        .withArgs(slotId, deal.startEpoch, f.others[0].address, SLASH, 0n);
      expect(await f.registry.creditOf(f.others[0].address)).to.equal(0n);
      expect(await f.registry.forfeitedStake()).to.equal(SLASH);
      expect((await f.registry.peer(f.peers[0].address)).lockedStake).to.equal(COLLATERAL - SLASH);
    });

    it('cannot be marked when proven, not challenged or without a seed', async () => {
      const f = await loadFixture(filledFixture);
      const slotId = slotIdOf(f.dealId, 0);
      await enterEpochWithSeed(f, f.startEpoch);
      await prove(f, 0, f.startEpoch);
      await goToEpoch(f, f.startEpoch + 1n);
      await expect(f.market.markProofMissing(slotId, f.startEpoch)).to.be.revertedWithCustomError(f.market, 'AlreadyProven').withArgs(slotId, f.startEpoch);
      await expect(f.market.markProofMissing(slotId, f.startEpoch - 1n))
        .to.be.revertedWithCustomError(f.market, 'NotChallenged')
        .withArgs(slotId, f.startEpoch - 1n);
      await goToEpoch(f, f.startEpoch + 2n);
      await expect(f.market.markProofMissing(slotId, f.startEpoch + 1n))
        .to.be.revertedWithCustomError(f.market, 'SeedNotRecorded')
        .withArgs(f.startEpoch + 1n);
    });
  });

  describe('when claims are made', () => {
    it('reverts with NotSlotPeer, NothingToClaim and SlotNotFilled', async () => {
      const f = await loadFixture(filledFixture);
      const slotId = slotIdOf(f.dealId, 0);
      await expect(f.market.connect(f.peers[1]).claim(slotId)).to.be.revertedWithCustomError(f.market, 'NotSlotPeer').withArgs(slotId, f.peers[1].address);
      await expect(f.market.connect(f.peers[0]).claim(slotId))
        .to.be.revertedWithCustomError(f.market, 'NothingToClaim')
        .withArgs(slotId, f.startEpoch - 1n);
      const unknown = slotIdOf(f.dealId, 7);
      await expect(f.market.claim(unknown)).to.be.revertedWithCustomError(f.market, 'SlotNotFilled').withArgs(unknown, 0);
    });

    it('pays nothing for epochs whose seed was never fixed', async () => {
      const f = await loadFixture(filledFixture);
      const slotId = slotIdOf(f.dealId, 0);
      await goToEpoch(f, f.startEpoch + 2n);
      await expect(f.market.connect(f.peers[0]).claim(slotId))
        .to.emit(f.market, 'Claimed')
        .withArgs(slotId, f.peers[0].address, 0, f.startEpoch + 1n);
    });
  });

  describe('when challenges are drawn over many slots', () => {
    it('challenges each slot with the configured probability (binomial bound) at uniform segments', async () => {
      const f = await deployMarket({ challengeProbabilityPpm: 100_000n });
      const n = 4000n;
      let hits = 0n;
      let indexSum = 0n;
      for (let i = 0; i < 5; i++) {
        const seed = ethers.hexlify(ethers.randomBytes(32));
        const [c, s] = await f.market.challengeCount(seed, n, 1000);
        hits += c;
        indexSum += s;
      }
      const trials = 5 * Number(n);
      const p = 0.1;
      const sd = Math.sqrt(trials * p * (1 - p));
      expect(Math.abs(Number(hits) - trials * p)).to.be.lessThan(5 * sd);
      // Mean index of uniform [0, 1000): 499.5, sd of the mean about 289 / sqrt(hits).
      const mean = Number(indexSum) / Number(hits);
      expect(Math.abs(mean - 499.5)).to.be.lessThan((5 * 289) / Math.sqrt(Number(hits)));
      // And the contract's rule is exactly protocol/challenge.ts's.
      for (let i = 0; i < 20; i++) {
        const seed = ethers.hexlify(ethers.randomBytes(32)) as `0x${string}`;
        const slotId = ethers.hexlify(ethers.randomBytes(32)) as `0x${string}`;
        const ts = challengeOfTs({ seed, slotId, probabilityPpm: 100_000, segmentCount: 777 });
        expect(await f.market.challengeUnder(slotId, seed, 777)).to.deep.equal([ts.challenged, ts.challenged ? ts.segmentIndex : 0n]);
      }
      await mine(1);
      expect(TOKEN).to.equal(10n ** 18n);
    });
  });
});
