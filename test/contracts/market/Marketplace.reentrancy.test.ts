import { loadFixture, time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import {
  dealData,
  enterEpochWithSeed,
  goToEpoch,
  openFilledDeal,
  PRICE,
  randomDealId,
  rootProofOf,
  signAssignment,
  slotIdOf,
  TEST_CONFIG,
} from '../../../scripts/testkit/market/fixture';
import { deployHostileMarket, type HostileFixture, REENTRANT_CALL } from '../../../scripts/testkit/market/hostile';

const COLLATERAL = PRICE * TEST_CONFIG.collateralEpochs + TEST_CONFIG.minCollateral;

/*
 * Every Marketplace function that moves tokens, run on a token whose transfer calls back into the
 * market (or the registry) before it moves anything. The reentrant call must be refused by the
 * transient guard, and the outer call must move exactly what it owes, once.
 */
describe('Marketplace: reentrancy through a hostile token', () => {
  function unchallengedMarket() {
    return deployHostileMarket({ challengeProbabilityPpm: 0n });
  }
  function oneMissMarket() {
    return deployHostileMarket({ maxMisses: 1n });
  }

  /** Arms the token to call `target` with `data` on its next transfer. */
  async function arm(f: HostileFixture, target: 'market' | 'registry', data: string) {
    await f.token.arm(await f[target].getAddress(), data);
  }

  /** Checks that the armed call happened and was refused with `ReentrancyGuardReentrantCall()`. */
  async function expectRefused(f: HostileFixture) {
    expect(await f.token.armed()).to.equal(false, 'the hostile transfer should have happened');
    expect(await f.token.lastReentry()).to.deep.equal([false, REENTRANT_CALL]);
  }

  describe('claim', () => {
    it('refuses a reentrant claim and pays the peer its settled epochs exactly once', async () => {
      const f = await loadFixture(unchallengedMarket);
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 4 });
      await enterEpochWithSeed(f, deal.startEpoch);
      await enterEpochWithSeed(f, deal.startEpoch + 1n);
      await goToEpoch(f, deal.startEpoch + 2n);
      const slotId = slotIdOf(deal.dealId, 0);
      const peer = f.peers[0];
      await arm(f, 'market', f.market.interface.encodeFunctionData('claim', [slotId]));
      const tx = f.market.connect(peer).claim(slotId);
      await expect(tx)
        .to.emit(f.token, 'Reentered')
        .withArgs(await f.market.getAddress(), false, REENTRANT_CALL);
      await expect(tx).to.changeTokenBalances(f.token, [peer, f.market], [2n * PRICE, -2n * PRICE]);
      await expectRefused(f);
      expect((await f.market.deal(deal.dealId)).escrow).to.equal(2n * PRICE);
      await expect(f.market.connect(peer).claim(slotId)).to.be.revertedWithCustomError(f.market, 'NothingToClaim');
    });

    it('refuses a reentrant withdrawRefund by the same token call (one guard for the whole market)', async () => {
      const f = await loadFixture(unchallengedMarket);
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 2 });
      await enterEpochWithSeed(f, deal.startEpoch);
      await goToEpoch(f, deal.startEpoch + 1n);
      await arm(f, 'market', f.market.interface.encodeFunctionData('withdrawRefund', [deal.dealId]));
      await expect(f.market.connect(f.peers[0]).claim(slotIdOf(deal.dealId, 0))).to.changeTokenBalance(f.token, f.peers[0], PRICE);
      await expectRefused(f);
    });
  });

  describe('withdrawRefund', () => {
    it('refuses a reentrant refund and pays the owner the whole escrow exactly once', async () => {
      const f = await loadFixture(unchallengedMarket);
      const [owner] = f.owners;
      const dealId = randomDealId();
      await f.market.connect(owner).openDeal(dealId, 2, 512, 5, PRICE);
      await f.market.connect(owner).cancelDeal(dealId);
      await arm(f, 'market', f.market.interface.encodeFunctionData('withdrawRefund', [dealId]));
      await expect(f.market.connect(owner).withdrawRefund(dealId)).to.changeTokenBalances(f.token, [owner, f.market], [10n * PRICE, -10n * PRICE]);
      await expectRefused(f);
      await expect(f.market.connect(owner).withdrawRefund(dealId)).to.be.revertedWithCustomError(f.market, 'NothingToRefund').withArgs(dealId);
    });
  });

  describe('openDeal and extendDeal (pulls)', () => {
    it('refuses a reentrant openDeal during the escrow pull; one deal, one escrow', async () => {
      const f = await loadFixture(unchallengedMarket);
      const [owner] = f.owners;
      const dealId = randomDealId();
      await arm(f, 'market', f.market.interface.encodeFunctionData('openDeal', [randomDealId(), 1, 512, 1, PRICE]));
      await expect(f.market.connect(owner).openDeal(dealId, 1, 512, 3, PRICE)).to.changeTokenBalances(f.token, [owner, f.market], [-3n * PRICE, 3n * PRICE]);
      await expectRefused(f);
      expect((await f.market.dealsOf(owner.address, 0, 10)).total).to.equal(1n);
    });

    it('refuses a reentrant openDealWithPermit during the pull (the token has no permit: the allowance is used)', async () => {
      const f = await loadFixture(unchallengedMarket);
      const [owner] = f.owners;
      const zero = ethers.ZeroHash;
      const again = f.market.interface.encodeFunctionData('openDealWithPermit', [randomDealId(), 1, 512, 1, PRICE, 0, 27, zero, zero]);
      await arm(f, 'market', again);
      await expect(f.market.connect(owner).openDealWithPermit(randomDealId(), 1, 512, 2, PRICE, 0, 27, zero, zero)).to.changeTokenBalance(
        f.token,
        f.market,
        2n * PRICE,
      );
      await expectRefused(f);
      expect((await f.market.dealsOf(owner.address, 0, 10)).total).to.equal(1n);
    });

    it('refuses a reentrant extendDeal during the pull; the deal grows once', async () => {
      const f = await loadFixture(unchallengedMarket);
      const [owner] = f.owners;
      const dealId = randomDealId();
      await f.market.connect(owner).openDeal(dealId, 1, 512, 3, PRICE);
      await arm(f, 'market', f.market.interface.encodeFunctionData('extendDeal', [dealId, 1]));
      await expect(f.market.connect(owner).extendDeal(dealId, 2)).to.changeTokenBalance(f.token, f.market, 2n * PRICE);
      await expectRefused(f);
      expect((await f.market.deal(dealId)).durationEpochs).to.equal(5n);
    });

    it('cancelDeal moves no token (the token is never called)', async () => {
      const f = await loadFixture(unchallengedMarket);
      const [owner] = f.owners;
      const dealId = randomDealId();
      await f.market.connect(owner).openDeal(dealId, 1, 512, 3, PRICE);
      await arm(f, 'market', f.market.interface.encodeFunctionData('withdrawRefund', [dealId]));
      await expect(f.market.connect(owner).cancelDeal(dealId)).to.not.emit(f.token, 'Reentered');
      expect(await f.token.armed()).to.equal(true);
    });
  });

  describe('freeLapsedSlot and the repair reward of fillSlot', () => {
    it('refuses reentry during the slash transfer and during the repair-reward payment; each pays its amount once', async () => {
      const f = await loadFixture(unchallengedMarket);
      const [owner] = f.owners;
      const [alice, bob] = f.peers;
      const dealId = randomDealId();
      const data = await dealData(1, 512);
      await f.market.connect(owner).openDeal(dealId, 1, 512, 1000, PRICE);
      await f.market.connect(owner).commitRoot(dealId, data.root, 1);
      let deadline = BigInt(await time.latest()) + 100n;
      let sig = await signAssignment(f.market, owner, { dealId, column: 0, peer: alice.address, deadline });
      await f.market.connect(alice).fillSlot(dealId, 0, data.columns[0].root, rootProofOf(data, 0), deadline, sig);
      const slotId = slotIdOf(dealId, 0);
      await time.increase(TEST_CONFIG.lapseFreeSeconds + 1n);
      // The registry pays the slash to the market: the token calls the market back, which is inside freeLapsedSlot.
      await arm(f, 'market', f.market.interface.encodeFunctionData('freeLapsedSlot', [slotId]));
      const freed = f.market.connect(f.others[0]).freeLapsedSlot(slotId);
      await expect(freed).to.changeTokenBalances(f.token, [f.market, f.registry], [COLLATERAL, -COLLATERAL]);
      await expectRefused(f);
      // Bob refills and is paid the repair fund; the token tries to refill again and to withdraw the refund.
      deadline = BigInt(await time.latest()) + 100n;
      sig = await signAssignment(f.market, owner, { dealId, column: 0, peer: bob.address, deadline });
      await f.registry.connect(bob).heartbeat();
      const fillData = f.market.interface.encodeFunctionData('fillSlot', [dealId, 0, data.columns[0].root, rootProofOf(data, 0), deadline, sig]);
      await arm(f, 'market', fillData);
      await expect(f.market.connect(bob).fillSlot(dealId, 0, data.columns[0].root, rootProofOf(data, 0), deadline, sig)).to.changeTokenBalances(
        f.token,
        [bob, f.market],
        [COLLATERAL, -COLLATERAL],
      );
      await expectRefused(f);
      expect((await f.market.deal(dealId)).repairFund).to.equal(0n);
    });

    it('refuses a reentrant registry call during the slash (the registry guards slashStake too)', async () => {
      const f = await loadFixture(unchallengedMarket);
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 1000 });
      await time.increase(TEST_CONFIG.lapseFreeSeconds + 1n);
      await arm(f, 'registry', f.registry.interface.encodeFunctionData('withdrawCredit'));
      await f.market.freeLapsedSlot(slotIdOf(deal.dealId, 0));
      await expectRefused(f);
    });
  });

  describe('markProofMissing', () => {
    it('refuses reentry when the miss frees the slot and the slash is transferred; the repair fund gets exactly the rest', async () => {
      const f = await loadFixture(oneMissMarket);
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 10 });
      await enterEpochWithSeed(f, deal.startEpoch);
      await enterEpochWithSeed(f, deal.startEpoch + 1n);
      const slotId = slotIdOf(deal.dealId, 0);
      const slash = (COLLATERAL * TEST_CONFIG.slashPpm) / 1_000_000n;
      await arm(f, 'market', f.market.interface.encodeFunctionData('markProofMissing', [slotId, deal.startEpoch]));
      const tx = f.market.connect(f.others[0]).markProofMissing(slotId, deal.startEpoch);
      await expect(tx).to.emit(f.market, 'SlotFreed');
      await expect(tx).to.changeTokenBalances(f.token, [f.others[0], f.market], [0n, COLLATERAL - slash]);
      await expectRefused(f);
      expect((await f.market.deal(deal.dealId)).repairFund).to.equal(COLLATERAL - slash);
    });
  });
});
