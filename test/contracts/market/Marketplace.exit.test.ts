import { loadFixture, time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import {
  dealData,
  deployMarket,
  enterEpochWithSeed,
  epochStart,
  type MarketFixture,
  openFilledDeal,
  PRICE,
  REGISTRY_CONFIG,
  randomDealId,
  rootProofOf,
  STAKE,
  segmentProofOf,
  signAssignment,
  slotIdOf,
  TEST_CONFIG,
} from '../../../scripts/testkit/market/fixture';

const COLLATERAL = PRICE * TEST_CONFIG.collateralEpochs + TEST_CONFIG.minCollateral;

describe('Marketplace: a peer that is exiting', () => {
  /** Alice (peer 0) holds column 0 of a long deal (longer than lapseFreeSeconds), then begins her exit. */
  async function exitingHolderFixture() {
    const f = await deployMarket();
    const duration = Number(TEST_CONFIG.lapseFreeSeconds / TEST_CONFIG.epochLength) * 3;
    const deal = await openFilledDeal(f, { slots: 2, bytesPerSlot: 4096, duration });
    const [alice, bob] = f.peers;
    await f.registry.connect(alice).beginExit();
    const exitAt = BigInt(await time.latest());
    return { ...f, ...deal, alice, bob, exitAt, slotId: slotIdOf(deal.dealId, 0) };
  }

  async function prove(f: MarketFixture & Awaited<ReturnType<typeof exitingHolderFixture>>, epoch: bigint) {
    const [, index] = await f.market.challengeOf(f.slotId, epoch);
    const { segment, proof } = segmentProofOf(f.data, 0, Number(index));
    return f.market.connect(f.alice).submitProof(f.slotId, segment, proof);
  }

  describe('while it holds slots', () => {
    it('keeps heartbeating (HeartbeatReceived) but stays inactive', async () => {
      const f = await loadFixture(exitingHolderFixture);
      const at = f.exitAt + 1_000n;
      await time.setNextBlockTimestamp(at);
      await expect(f.registry.connect(f.alice).heartbeat()).to.emit(f.registry, 'HeartbeatReceived').withArgs(f.alice.address, at);
      expect((await f.registry.peer(f.alice.address)).lastHeartbeat).to.equal(at);
      expect(await f.registry.isActive(f.alice.address)).to.equal(false);
    });

    it('keeps proving its slots, credited to its ledger', async () => {
      const f = await loadFixture(exitingHolderFixture);
      await enterEpochWithSeed(f, f.startEpoch);
      await expect(prove(f, f.startEpoch)).to.emit(f.market, 'ProofSubmitted').withArgs(f.slotId, f.startEpoch, f.alice.address);
      expect((await f.market.ledger(f.alice.address)).epochsProven).to.equal(1n);
    });

    it('cannot have its slots freed as lapsed while it heartbeats', async () => {
      const f = await loadFixture(exitingHolderFixture);
      const lastBeat = (await f.registry.peer(f.alice.address)).lastHeartbeat;
      // One heartbeat just before the old one lapses moves the deadline by the time it was sent.
      const beatAt = lastBeat + TEST_CONFIG.lapseFreeSeconds - 10n;
      await time.setNextBlockTimestamp(beatAt);
      await f.registry.connect(f.alice).heartbeat();
      await time.increaseTo(lastBeat + TEST_CONFIG.lapseFreeSeconds + 100n);
      await expect(f.market.connect(f.others[0]).freeLapsedSlot(f.slotId))
        .to.be.revertedWithCustomError(f.market, 'HeartbeatNotLapsed')
        .withArgs(f.alice.address, beatAt + TEST_CONFIG.lapseFreeSeconds + 1n);
      expect((await f.market.slot(f.slotId)).state).to.equal(1n);
      expect((await f.registry.peer(f.alice.address)).lockedStake).to.equal(COLLATERAL);
    });

    it('has its slots freed as before once its heartbeat lapses (collateral to the repair fund)', async () => {
      const f = await loadFixture(exitingHolderFixture);
      const lastBeat = (await f.registry.peer(f.alice.address)).lastHeartbeat;
      await time.increaseTo(lastBeat + TEST_CONFIG.lapseFreeSeconds + 1n);
      await expect(f.market.connect(f.others[0]).freeLapsedSlot(f.slotId)).to.emit(f.market, 'SlotFreed').withArgs(f.slotId, f.dealId, 0, f.alice.address, 1);
      expect((await f.market.deal(f.dealId)).repairFund).to.equal(COLLATERAL);
    });

    it('takes no new slot and changes no offer: a fill reverts with PeerNotActive, updatePeer with PeerIsExiting', async () => {
      const f = await loadFixture(exitingHolderFixture);
      await f.registry.connect(f.alice).heartbeat();
      const owner = f.owners[0];
      const dealId = randomDealId();
      const data = await dealData(1, 512);
      await f.market.connect(owner).openDeal(dealId, 1, 512, 10, PRICE);
      await f.market.connect(owner).commitRoot(dealId, data.root, data.segmentCount);
      const deadline = BigInt(await time.latest()) + 300n;
      const signature = await signAssignment(f.market, owner, { dealId, column: 0, peer: f.alice.address, deadline });
      await expect(f.market.connect(f.alice).fillSlot(dealId, 0, data.columns[0].root, rootProofOf(data, 0), deadline, signature))
        .to.be.revertedWithCustomError(f.market, 'PeerNotActive')
        .withArgs(f.alice.address);
      await expect(f.registry.connect(f.alice).updatePeer('https://new.example.org', 1n, 1n))
        .to.be.revertedWithCustomError(f.registry, 'PeerIsExiting')
        .withArgs(f.alice.address);
    });

    it('cannot withdraw while its collateral is locked', async () => {
      const f = await loadFixture(exitingHolderFixture);
      await time.increaseTo(f.exitAt + REGISTRY_CONFIG.unbondingDelay);
      await expect(f.registry.connect(f.alice).withdrawStake())
        .to.be.revertedWithCustomError(f.registry, 'StakeIsLocked')
        .withArgs(f.alice.address, COLLATERAL);
    });
  });

  describe('when its deals end and it withdraws', () => {
    /** Alice holds column 0 of a three-epoch deal, exits, proves to the end and claims. */
    async function servedToTheEndFixture() {
      const f = await deployMarket();
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 4096, duration: 3 });
      const [alice] = f.peers;
      await f.registry.connect(alice).beginExit();
      const slotId = slotIdOf(deal.dealId, 0);
      for (let epoch = deal.startEpoch; epoch < deal.startEpoch + 3n; epoch++) {
        await enterEpochWithSeed(f, epoch);
        await f.registry.connect(alice).heartbeat();
        const [, index] = await f.market.challengeOf(slotId, epoch);
        const { segment, proof } = segmentProofOf(deal.data, 0, Number(index));
        await f.market.connect(alice).submitProof(slotId, segment, proof);
      }
      await time.increaseTo(epochStart(f, deal.startEpoch + 3n + TEST_CONFIG.missingWindowEpochs));
      return { ...f, ...deal, alice, slotId };
    }

    it('is paid every proven epoch and gets its collateral back', async () => {
      const f = await loadFixture(servedToTheEndFixture);
      await expect(f.market.connect(f.alice).claim(f.slotId)).to.emit(f.market, 'CollateralReleased').withArgs(f.slotId, f.alice.address, COLLATERAL);
      expect((await f.market.ledger(f.alice.address)).earned).to.equal(3n * PRICE);
      expect((await f.registry.peer(f.alice.address)).lockedStake).to.equal(0n);
    });

    it('withdraws its whole stake after unbonding; then heartbeats revert and it may register again', async () => {
      const f = await loadFixture(servedToTheEndFixture);
      await f.market.connect(f.alice).claim(f.slotId);
      const exitAt = (await f.registry.peer(f.alice.address)).exitRequestedAt;
      await time.increaseTo(exitAt + REGISTRY_CONFIG.unbondingDelay);
      await expect(f.registry.connect(f.alice).withdrawStake()).to.changeTokenBalance(f.token, f.alice, STAKE);
      await expect(f.registry.connect(f.alice).heartbeat()).to.be.revertedWithCustomError(f.registry, 'PeerNotRegistered').withArgs(f.alice.address);
      expect(await f.registry.isRegistered(f.alice.address)).to.equal(false);
      await f.registry.connect(f.alice).register('https://peer0.example.org', 1n << 40n, 1n, STAKE);
      expect(await f.registry.isActive(f.alice.address)).to.equal(true);
    });
  });
});
