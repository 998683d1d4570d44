import { loadFixture, time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import {
  dealData,
  deployMarket,
  enterEpochWithSeed,
  goToEpoch,
  PRICE,
  randomDealId,
  rootProofOf,
  signAssignment,
  slotIdOf,
  TEST_CONFIG,
  TOKEN,
} from '../../../scripts/testkit/market/fixture';

const COLLATERAL = PRICE * TEST_CONFIG.collateralEpochs + TEST_CONFIG.minCollateral;

describe('Marketplace: slots', () => {
  async function committedFixture() {
    const f = await deployMarket();
    const [owner] = f.owners;
    const [alice, bob] = f.peers;
    const dealId = randomDealId();
    const data = await dealData(3, 2048);
    await f.market.connect(owner).openDeal(dealId, 3, 2048, 1000, PRICE);
    await f.market.connect(owner).commitRoot(dealId, data.root, data.segmentCount);
    const deadline = BigInt(await time.latest()) + 300n;
    const signature = await signAssignment(f.market, owner, { dealId, column: 0, peer: alice.address, deadline });
    const fill = (peer = alice, column = 0, sig = signature, root = data.columns[column].root, proof = rootProofOf(data, column), until = deadline) =>
      f.market.connect(peer).fillSlot(dealId, column, root, proof, until, sig);
    return { ...f, owner, alice, bob, dealId, data, deadline, signature, fill };
  }

  describe('when the assigned peer fills with the root of what it received', () => {
    it('locks the collateral, records the slot and emits SlotFilled', async () => {
      const f = await loadFixture(committedFixture);
      const slotId = slotIdOf(f.dealId, 0);
      await expect(f.fill()).to.emit(f.market, 'SlotFilled').withArgs(f.dealId, slotId, 0, f.alice.address, COLLATERAL);
      expect((await f.registry.peer(f.alice.address)).lockedStake).to.equal(COLLATERAL);
      const slot = await f.market.slot(slotId);
      expect([slot.dealId, slot.column, slot.peer, slot.misses, slot.collateral, slot.state]).to.deep.equal([
        f.dealId,
        0n,
        f.alice.address,
        0n,
        COLLATERAL,
        1n,
      ]);
      const deal = await f.market.deal(f.dealId);
      expect(slot.settledThrough).to.equal(deal.startEpoch - 1n);
      expect((await f.market.ledger(f.alice.address)).bytesHeld).to.equal(2048n);
      expect(await f.market.slotIdOf(f.dealId, 2)).to.equal(slotIdOf(f.dealId, 2));
    });

    it('matches the digest the owner signs', async () => {
      const f = await loadFixture(committedFixture);
      const digest = await f.market.assignmentDigest(f.dealId, 0, f.alice.address, f.deadline);
      expect(ethers.recoverAddress(digest, f.signature)).to.equal(f.owner.address);
    });
  });

  describe('when someone front-runs a fill with public data', () => {
    it('reverts with InvalidAssignment for another peer using the assignment', async () => {
      const f = await loadFixture(committedFixture);
      await expect(f.fill(f.bob)).to.be.revertedWithCustomError(f.market, 'InvalidAssignment').withArgs(f.dealId, 0, f.bob.address);
    });

    it('reverts with InvalidAssignment for the right peer without or with a wrong signature', async () => {
      const f = await loadFixture(committedFixture);
      const wrong = await signAssignment(f.market, f.owners[1], { dealId: f.dealId, column: 0, peer: f.alice.address, deadline: f.deadline });
      await expect(f.fill(f.alice, 0, wrong))
        .to.be.revertedWithCustomError(f.market, 'InvalidAssignment')
        .withArgs(f.dealId, 0, f.alice.address);
      await expect(f.fill(f.alice, 0, '0x'))
        .to.be.revertedWithCustomError(f.market, 'InvalidAssignment')
        .withArgs(f.dealId, 0, f.alice.address);
      // The assignment of column 0 does not fill column 1.
      await expect(f.fill(f.alice, 1)).to.be.revertedWithCustomError(f.market, 'InvalidAssignment').withArgs(f.dealId, 1, f.alice.address);
    });

    it('reverts with AssignmentExpired after the deadline', async () => {
      const f = await loadFixture(committedFixture);
      await time.increaseTo(f.deadline);
      await expect(f.fill())
        .to.be.revertedWithCustomError(f.market, 'AssignmentExpired')
        .withArgs(f.deadline, f.deadline + 1n);
    });
  });

  describe('when the fill does not match the deal', () => {
    it('reverts with SlotRootNotInDeal for a slot root not at the column in the deal root', async () => {
      const f = await loadFixture(committedFixture);
      const other = f.data.columns[1].root;
      await expect(f.fill(f.alice, 0, f.signature, other))
        .to.be.revertedWithCustomError(f.market, 'SlotRootNotInDeal')
        .withArgs(f.dealId, 0, other);
    });

    it('reverts with InvalidProofLength for a deal-tree proof of the wrong depth', async () => {
      const f = await loadFixture(committedFixture);
      await expect(f.fill(f.alice, 0, f.signature, f.data.columns[0].root, [ethers.ZeroHash]))
        .to.be.revertedWithCustomError(f.market, 'InvalidProofLength')
        .withArgs(1, 2);
    });

    it('reverts with ColumnOutOfRange, RootNotCommitted and DealNotFound', async () => {
      const f = await loadFixture(committedFixture);
      await expect(f.fill(f.alice, 3, f.signature, ethers.ZeroHash, []))
        .to.be.revertedWithCustomError(f.market, 'ColumnOutOfRange')
        .withArgs(3, 3);
      const id = randomDealId();
      await expect(f.market.connect(f.alice).fillSlot(id, 0, ethers.ZeroHash, [], f.deadline, '0x'))
        .to.be.revertedWithCustomError(f.market, 'DealNotFound')
        .withArgs(id);
      await f.market.connect(f.owner).openDeal(id, 1, 512, 1, PRICE);
      await expect(f.market.connect(f.alice).fillSlot(id, 0, ethers.ZeroHash, [], f.deadline, '0x'))
        .to.be.revertedWithCustomError(f.market, 'RootNotCommitted')
        .withArgs(id);
    });

    it('reverts with SlotNotFillable when the slot is held', async () => {
      const f = await loadFixture(committedFixture);
      await f.fill();
      await expect(f.fill()).to.be.revertedWithCustomError(f.market, 'SlotNotFillable').withArgs(slotIdOf(f.dealId, 0), 1);
    });

    it('reverts with DealIsCancelled and DealHasEnded', async () => {
      const f = await loadFixture(committedFixture);
      const deal = await f.market.deal(f.dealId);
      await goToEpoch(f, deal.endEpoch);
      const late = BigInt(await time.latest()) + 100n;
      const sig = await signAssignment(f.market, f.owner, { dealId: f.dealId, column: 0, peer: f.alice.address, deadline: late });
      await expect(f.fill(f.alice, 0, sig, undefined, undefined, late))
        .to.be.revertedWithCustomError(f.market, 'DealHasEnded')
        .withArgs(f.dealId, deal.endEpoch);
    });

    it('reverts with DealIsCancelled after a cancel', async () => {
      const f = await loadFixture(committedFixture);
      await f.market.connect(f.owner).cancelDeal(f.dealId);
      await expect(f.fill()).to.be.revertedWithCustomError(f.market, 'DealIsCancelled').withArgs(f.dealId);
    });

    it('reverts with PeerNotActive for an exiting peer', async () => {
      const f = await loadFixture(committedFixture);
      await f.registry.connect(f.alice).beginExit();
      await expect(f.fill()).to.be.revertedWithCustomError(f.market, 'PeerNotActive').withArgs(f.alice.address);
    });

    it('reverts with the registry error when the stake cannot cover the collateral', async () => {
      const f = await deployMarket({ minCollateral: 20_000n * TOKEN });
      const dealId = randomDealId();
      const data = await dealData(1, 512);
      await f.market.connect(f.owners[0]).openDeal(dealId, 1, 512, 1, PRICE);
      await f.market.connect(f.owners[0]).commitRoot(dealId, data.root, 1);
      const deadline = BigInt(await time.latest()) + 100n;
      const sig = await signAssignment(f.market, f.owners[0], { dealId, column: 0, peer: f.peers[0].address, deadline });
      const collateral = PRICE * 8n + 20_000n * TOKEN;
      await expect(f.market.connect(f.peers[0]).fillSlot(dealId, 0, data.columns[0].root, [], deadline, sig))
        .to.be.revertedWithCustomError(f.registry, 'InsufficientUnlockedStake')
        .withArgs(f.peers[0].address, 10_000n * TOKEN, collateral);
    });
  });

  describe("when a peer's heartbeat lapsed", () => {
    it('frees the slot, forfeits the collateral to the repair fund and pays it to the refilling peer', async () => {
      const f = await loadFixture(committedFixture);
      await f.fill();
      const slotId = slotIdOf(f.dealId, 0);
      const lastBeat = (await f.registry.peer(f.alice.address)).lastHeartbeat;
      const freeableAt = lastBeat + TEST_CONFIG.lapseFreeSeconds + 1n;
      await expect(f.market.connect(f.others[0]).freeLapsedSlot(slotId))
        .to.be.revertedWithCustomError(f.market, 'HeartbeatNotLapsed')
        .withArgs(f.alice.address, freeableAt);
      await time.increaseTo(freeableAt);
      await expect(f.market.connect(f.others[0]).freeLapsedSlot(slotId)).to.emit(f.market, 'SlotFreed').withArgs(slotId, f.dealId, 0, f.alice.address, 1);
      expect((await f.market.deal(f.dealId)).repairFund).to.equal(COLLATERAL);
      expect((await f.registry.peer(f.alice.address)).lockedStake).to.equal(0n);
      expect((await f.market.slot(slotId)).state).to.equal(2n);
      await expect(f.market.freeLapsedSlot(slotId)).to.be.revertedWithCustomError(f.market, 'SlotNotFilled').withArgs(slotId, 2);
      // Bob refills it with a fresh assignment and receives the repair fund.
      const deadline = BigInt(await time.latest()) + 100n;
      const sig = await signAssignment(f.market, f.owner, { dealId: f.dealId, column: 0, peer: f.bob.address, deadline });
      await f.registry.connect(f.bob).heartbeat();
      const tx = f.fill(f.bob, 0, sig, undefined, undefined, deadline);
      await expect(tx).to.changeTokenBalance(f.token, f.bob, COLLATERAL);
      expect((await f.market.slot(slotId)).peer).to.equal(f.bob.address);
      expect((await f.market.deal(f.dealId)).repairFund).to.equal(0n);
    });
  });

  describe('when seeds are fixed and recorded', () => {
    it('fixes the block of the next epoch once (later calls are no-ops) and records the seed from its hash', async () => {
      const f = await loadFixture(committedFixture);
      const next = (await f.market.currentEpoch()) + 1n;
      await expect(f.market.recordSeed(next)).to.be.revertedWithCustomError(f.market, 'SeedBlockNotFixed').withArgs(next);
      const number = (await ethers.provider.getBlockNumber()) + 2;
      await expect(f.market.fixSeedBlock()).to.emit(f.market, 'SeedBlockFixed').withArgs(next, number);
      // The call in block `number` itself cannot read its hash yet; the next block can.
      await expect(f.market.recordSeed(next)).to.be.revertedWithCustomError(f.market, 'SeedBlockNotMined').withArgs(next, number);
      await expect(f.market.fixSeedBlock()).to.not.emit(f.market, 'SeedBlockFixed');
      expect(await f.market.seedBlockOf(next)).to.equal(BigInt(number));
      const hash = (await ethers.provider.getBlock(number))?.hash as string;
      const seed = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(['bytes32', 'uint64'], [hash, next]));
      await expect(f.market.recordSeed(next)).to.emit(f.market, 'SeedRecorded').withArgs(next, seed);
      expect(await f.market.seedOf(next)).to.equal(seed);
      await expect(f.market.recordSeed(next)).to.be.revertedWithCustomError(f.market, 'SeedAlreadyRecorded').withArgs(next);
    });

    it('reverts with SeedExpired once the block hash is gone', async () => {
      const f = await loadFixture(committedFixture);
      const next = (await f.market.currentEpoch()) + 1n;
      await f.market.fixSeedBlock();
      const number = await f.market.seedBlockOf(next);
      await ethers.provider.send('hardhat_mine', ['0x110']);
      await expect(f.market.recordSeed(next)).to.be.revertedWithCustomError(f.market, 'SeedExpired').withArgs(next, number);
    });

    it('challenges a filled slot only from the epoch after its fill', async () => {
      const f = await loadFixture(committedFixture);
      await f.fill();
      const slotId = slotIdOf(f.dealId, 0);
      const fillEpoch = (await f.market.slot(slotId)).fillEpoch;
      const start = (await f.market.deal(f.dealId)).startEpoch;
      expect(start).to.equal(fillEpoch + 1n);
      await enterEpochWithSeed(f, start);
      const [challenged, index] = await f.market.challengeOf(slotId, start);
      expect(challenged).to.equal(true);
      expect(index).to.be.lessThan(4n);
      expect(await f.market.challengeOf(slotId, fillEpoch)).to.deep.equal([false, 0n]);
      expect(await f.market.challengeOf(slotIdOf(f.dealId, 1), start)).to.deep.equal([false, 0n]);
    });
  });
});
