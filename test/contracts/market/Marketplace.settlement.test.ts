import { loadFixture, mine, time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import {
  deployMarket,
  enterEpochWithSeed,
  epochStart,
  goToEpoch,
  openFilledDeal,
  PRICE,
  randomDealId,
  rootProofOf,
  signAssignment,
  slotIdOf,
  TEST_CONFIG,
} from '../../../scripts/testkit/market/fixture';

const COLLATERAL = PRICE * TEST_CONFIG.collateralEpochs + TEST_CONFIG.minCollateral;
const GiB = 2n ** 30n;

/*
 * The edges of settlement: claims in batches, seeds recorded (or lost) on the way, the subsidy cap,
 * slashes of zero and of everything, refunds next to a slot settled to the end, and the views on
 * slots that never proved.
 */
describe('Marketplace: settlement edges', () => {
  function unchallengedMarket() {
    return deployMarket({ challengeProbabilityPpm: 0n });
  }

  describe('when more epochs wait than maxClaimEpochs', () => {
    it('settles at most maxClaimEpochs per claim, oldest first', async () => {
      const f = await deployMarket({ challengeProbabilityPpm: 0n, maxClaimEpochs: 2n });
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 10 });
      for (let e = deal.startEpoch; e < deal.startEpoch + 5n; e++) await enterEpochWithSeed(f, e);
      await goToEpoch(f, deal.startEpoch + 5n);
      const slotId = slotIdOf(deal.dealId, 0);
      const peer = f.peers[0];
      await expect(f.market.connect(peer).claim(slotId))
        .to.emit(f.market, 'Claimed')
        .withArgs(slotId, peer.address, 2n * PRICE, deal.startEpoch + 1n);
      await expect(f.market.connect(peer).claim(slotId))
        .to.emit(f.market, 'Claimed')
        .withArgs(slotId, peer.address, 2n * PRICE, deal.startEpoch + 3n);
      await expect(f.market.connect(peer).claim(slotId))
        .to.emit(f.market, 'Claimed')
        .withArgs(slotId, peer.address, PRICE, deal.startEpoch + 4n);
    });
  });

  describe("when an epoch's seed was fixed but nobody recorded it", () => {
    it('records it on the way while the block hash is readable, and pays the epoch', async () => {
      const f = await loadFixture(unchallengedMarket);
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 3 });
      await f.market.fixSeedBlock(); // for deal.startEpoch, from the fill epoch
      await goToEpoch(f, deal.startEpoch + 1n);
      expect(await f.market.seedOf(deal.startEpoch)).to.equal(ethers.ZeroHash);
      const slotId = slotIdOf(deal.dealId, 0);
      const tx = f.market.connect(f.peers[0]).claim(slotId);
      await expect(tx).to.emit(f.market, 'SeedRecorded');
      await expect(tx).to.emit(f.market, 'Claimed').withArgs(slotId, f.peers[0].address, PRICE, deal.startEpoch);
      expect(await f.market.seedOf(deal.startEpoch)).to.not.equal(ethers.ZeroHash);
    });

    it('settles it unpaid once the block hash is gone (more than 256 blocks)', async () => {
      const f = await loadFixture(unchallengedMarket);
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 10 });
      await f.market.fixSeedBlock();
      await mine(300); // one second per block: the clock moves a few epochs too, none of them with a seed
      const current = await f.market.currentEpoch();
      expect(current).to.be.greaterThan(deal.startEpoch);
      const slotId = slotIdOf(deal.dealId, 0);
      const tx = f.market.connect(f.peers[0]).claim(slotId);
      await expect(tx)
        .to.emit(f.market, 'Claimed')
        .withArgs(slotId, f.peers[0].address, 0, current - 1n);
      await expect(tx).to.not.emit(f.market, 'SeedRecorded');
      expect(await f.market.seedOf(deal.startEpoch)).to.equal(ethers.ZeroHash);
    });

    it('waits (NothingToClaim) while the seed block is not mined yet, then pays once it is', async () => {
      const f = await loadFixture(unchallengedMarket);
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 3 });
      await f.market.fixSeedBlock(); // seed block N = this block + 1
      const seedBlock = await f.market.seedBlockOf(deal.startEpoch);
      const slotId = slotIdOf(deal.dealId, 0);
      // The claim itself is block N, mined in epoch start+1: epoch `start` is past, but its seed block's hash is not readable yet.
      await time.setNextBlockTimestamp(epochStart(f, deal.startEpoch + 1n));
      await expect(f.market.connect(f.peers[0]).claim(slotId))
        .to.be.revertedWithCustomError(f.market, 'NothingToClaim')
        .withArgs(slotId, deal.startEpoch - 1n);
      expect(BigInt(await ethers.provider.getBlockNumber())).to.equal(seedBlock);
      await expect(f.market.connect(f.peers[0]).claim(slotId)).to.emit(f.market, 'Claimed').withArgs(slotId, f.peers[0].address, PRICE, deal.startEpoch);
    });
  });

  describe('when the subsidy nears its cap', () => {
    // 1000 wei per paid epoch of a 512-byte slot; a cap of 2.5 epochs' worth.
    const perEpoch = 1000n;
    const subsidyPerGiBEpoch = (perEpoch * GiB) / 512n;
    const cap = 2500n;

    it('mints nothing for a claim of unpaid epochs, clips the claim that reaches the cap, and mints nothing after', async () => {
      const f = await deployMarket({ challengeProbabilityPpm: 0n, subsidyPerGiBEpoch, subsidyCapPerPeer: cap });
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 10 });
      const [peer] = f.peers;
      const slotId = slotIdOf(deal.dealId, 0);
      const s = deal.startEpoch;
      const claim = async (subsidy: bigint) => {
        const supply = await f.token.totalSupply();
        await f.market.connect(peer).claim(slotId);
        expect(await f.token.totalSupply()).to.equal(supply + subsidy);
      };
      await enterEpochWithSeed(f, s);
      await enterEpochWithSeed(f, s + 1n);
      await goToEpoch(f, s + 2n); // nobody fixes the seed of s+2: it settles unpaid
      await claim(2n * perEpoch);
      await enterEpochWithSeed(f, s + 3n);
      await claim(0n); // s+2 unpaid: no subsidy
      await enterEpochWithSeed(f, s + 4n);
      await enterEpochWithSeed(f, s + 5n);
      await claim(cap - 2n * perEpoch); // s+3, s+4 would give 2000, the cap leaves 500
      await enterEpochWithSeed(f, s + 6n);
      await claim(0n); // s+5 paid, the cap reached
      const ledger = await f.market.ledger(peer.address);
      expect([ledger.subsidy, ledger.earned]).to.deep.equal([cap, 5n * PRICE]);
    });
  });

  describe('when a slash rounds to nothing or takes everything', () => {
    it('with slashPpm 0 counts the miss but takes no stake (the registry is not called)', async () => {
      const f = await deployMarket({ slashPpm: 0n });
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 10 });
      await enterEpochWithSeed(f, deal.startEpoch);
      await enterEpochWithSeed(f, deal.startEpoch + 1n);
      const slotId = slotIdOf(deal.dealId, 0);
      const marker = f.others[0];
      await expect(f.market.connect(marker).markProofMissing(slotId, deal.startEpoch))
        .to.emit(f.market, 'ProofMissed')
        .withArgs(slotId, deal.startEpoch, marker.address, 0, 0);
      expect((await f.registry.peer(f.peers[0].address)).lockedStake).to.equal(COLLATERAL);
      expect(await f.registry.creditOf(marker.address)).to.equal(0n);
      expect((await f.market.slot(slotId)).misses).to.equal(1n);
    });

    it('with slashPpm * maxMisses = 1e6 frees the slot with nothing left to slash; the refill earns no repair reward', async () => {
      const f = await deployMarket({ slashPpm: 500_000n, maxMisses: 2n });
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 10 });
      for (let e = deal.startEpoch; e <= deal.startEpoch + 2n; e++) await enterEpochWithSeed(f, e);
      const slotId = slotIdOf(deal.dealId, 0);
      await f.market.markProofMissing(slotId, deal.startEpoch);
      const freed = f.market.markProofMissing(slotId, deal.startEpoch + 1n);
      await expect(freed).to.emit(f.market, 'SlotFreed').withArgs(slotId, deal.dealId, 0, f.peers[0].address, 0);
      await expect(freed).to.not.emit(f.registry, 'StakeSlashed');
      expect((await f.registry.peer(f.peers[0].address)).lockedStake).to.equal(0n);
      expect((await f.market.deal(deal.dealId)).repairFund).to.equal(0n);
      const bob = f.peers[1];
      const deadline = BigInt(await time.latest()) + 100n;
      const sig = await signAssignment(f.market, f.owners[0], { dealId: deal.dealId, column: 0, peer: bob.address, deadline });
      const refill = f.market.connect(bob).fillSlot(deal.dealId, 0, deal.data.columns[0].root, rootProofOf(deal.data, 0), deadline, sig);
      await expect(refill).to.emit(f.market, 'SlotFilled');
      await expect(refill).to.changeTokenBalance(f.token, bob, 0n);
    });
  });

  describe('when the owner withdraws next to a slot settled to the end', () => {
    it('keeps nothing for the settled slot (its collateral waits for the missing window) and refunds the never-filled one', async () => {
      const f = await loadFixture(unchallengedMarket);
      const deal = await openFilledDeal(f, { slots: 2, bytesPerSlot: 512, duration: 2, fill: [0] });
      await enterEpochWithSeed(f, deal.startEpoch);
      await enterEpochWithSeed(f, deal.startEpoch + 1n);
      await goToEpoch(f, deal.startEpoch + 2n);
      const slotId = slotIdOf(deal.dealId, 0);
      await expect(f.market.connect(f.peers[0]).claim(slotId)).to.not.emit(f.market, 'CollateralReleased');
      expect((await f.market.slot(slotId)).state).to.equal(1n);
      await expect(f.market.connect(f.owners[0]).withdrawRefund(deal.dealId))
        .to.emit(f.market, 'RefundWithdrawn')
        .withArgs(deal.dealId, 2n * PRICE);
      expect((await f.market.deal(deal.dealId)).escrow).to.equal(0n);
    });
  });

  describe('the views of a slot that proved nothing', () => {
    it('isProven is false for a never-filled slot and for the fill epoch; challengeOf is (false, 0) without a seed', async () => {
      const f = await loadFixture(unchallengedMarket);
      const deal = await openFilledDeal(f, { slots: 2, bytesPerSlot: 512, duration: 3, fill: [0] });
      const filled = slotIdOf(deal.dealId, 0);
      expect(await f.market.isProven(slotIdOf(deal.dealId, 1), deal.startEpoch)).to.equal(false);
      expect(await f.market.isProven(slotIdOf(randomDealId(), 0), 5n)).to.equal(false);
      const fillEpoch = (await f.market.slot(filled)).fillEpoch;
      expect(await f.market.isProven(filled, fillEpoch)).to.equal(false);
      await goToEpoch(f, deal.startEpoch);
      expect(await f.market.challengeOf(filled, deal.startEpoch)).to.deep.equal([false, 0n]);
    });
  });
});
