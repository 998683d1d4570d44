import { loadFixture, time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { dealData, deployMarket, PRICE, randomDealId, rootProofOf, signAssignment, slotIdOf, TEST_CONFIG } from '../../../scripts/testkit/market/fixture';

const READ = 1;
const REPAIR = 2;
const COLLATERAL = PRICE * TEST_CONFIG.collateralEpochs + TEST_CONFIG.minCollateral;

describe('Marketplace: delegates and token revocation', () => {
  async function accessFixture() {
    const f = await deployMarket();
    const [owner, otherOwner] = f.owners;
    const [alice, bob] = f.peers;
    const [repairer, reader, stranger] = f.others;
    const dealId = randomDealId();
    const data = await dealData(3, 2048);
    await f.market.connect(owner).openDeal(dealId, 3, 2048, 100, PRICE);
    await f.market.connect(owner).commitRoot(dealId, data.root, data.segmentCount);
    const otherDealId = randomDealId();
    await f.market.connect(otherOwner).openDeal(otherDealId, 1, 512, 100, PRICE);
    const deadline = BigInt(await time.latest()) + 3_600n;
    /** Fills `column` as `peer` with an assignment signed by `signer`. */
    const fillSignedBy = async (signer: typeof owner, peer = alice, column = 0) => {
      const signature = await signAssignment(f.market, signer, { dealId, column, peer: peer.address, deadline });
      return f.market.connect(peer).fillSlot(dealId, column, data.columns[column].root, rootProofOf(data, column), deadline, signature);
    };
    return { ...f, owner, otherOwner, alice, bob, repairer, reader, stranger, dealId, otherDealId, data, deadline, fillSignedBy };
  }

  describe('the permission bits', () => {
    it('are READ = 1 and REPAIR = 2', async () => {
      const f = await loadFixture(accessFixture);
      expect(await f.market.PERMISSION_READ()).to.equal(1n);
      expect(await f.market.PERMISSION_REPAIR()).to.equal(2n);
    });
  });

  describe('when an owner sets a delegate', () => {
    it('records the permissions for that owner only and emits DelegateSet', async () => {
      const f = await loadFixture(accessFixture);
      expect(await f.market.delegation(f.owner.address, f.repairer.address)).to.equal(0n);
      await expect(f.market.connect(f.owner).setDelegate(f.repairer.address, REPAIR))
        .to.emit(f.market, 'DelegateSet')
        .withArgs(f.owner.address, f.repairer.address, REPAIR);
      expect(await f.market.delegation(f.owner.address, f.repairer.address)).to.equal(BigInt(REPAIR));
      expect(await f.market.delegation(f.otherOwner.address, f.repairer.address)).to.equal(0n);
      expect(await f.market.delegation(f.repairer.address, f.owner.address)).to.equal(0n);
    });

    it('replaces the previous bits (READ | REPAIR = 3 is accepted) and removes the delegate with 0', async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.owner).setDelegate(f.reader.address, READ);
      await f.market.connect(f.owner).setDelegate(f.reader.address, READ | REPAIR);
      expect(await f.market.delegation(f.owner.address, f.reader.address)).to.equal(3n);
      await expect(f.market.connect(f.owner).setDelegate(f.reader.address, 0)).to.emit(f.market, 'DelegateSet').withArgs(f.owner.address, f.reader.address, 0);
      expect(await f.market.delegation(f.owner.address, f.reader.address)).to.equal(0n);
    });

    it('reverts with MarketZeroAddress("delegate") for the zero address', async () => {
      const f = await loadFixture(accessFixture);
      await expect(f.market.connect(f.owner).setDelegate(ethers.ZeroAddress, READ))
        .to.be.revertedWithCustomError(f.market, 'MarketZeroAddress')
        .withArgs('delegate');
    });

    it('reverts with InvalidDelegate when the owner names itself', async () => {
      const f = await loadFixture(accessFixture);
      await expect(f.market.connect(f.owner).setDelegate(f.owner.address, READ))
        .to.be.revertedWithCustomError(f.market, 'InvalidDelegate')
        .withArgs(f.owner.address);
    });

    for (const permissions of [4, 7, 255]) {
      it(`reverts with InvalidPermissions(${permissions}) for undefined bits`, async () => {
        const f = await loadFixture(accessFixture);
        await expect(f.market.connect(f.owner).setDelegate(f.reader.address, permissions))
          .to.be.revertedWithCustomError(f.market, 'InvalidPermissions')
          .withArgs(permissions);
      });
    }
  });

  describe('when a delegate signs a slot assignment', () => {
    it('fills the slot for a delegate holding REPAIR', async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.owner).setDelegate(f.repairer.address, REPAIR);
      await expect(f.fillSignedBy(f.repairer)).to.emit(f.market, 'SlotFilled').withArgs(f.dealId, slotIdOf(f.dealId, 0), 0, f.alice.address, COLLATERAL);
      expect((await f.market.slot(slotIdOf(f.dealId, 0))).peer).to.equal(f.alice.address);
    });

    it('fills the slot for a delegate holding READ | REPAIR', async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.owner).setDelegate(f.repairer.address, READ | REPAIR);
      await expect(f.fillSignedBy(f.repairer, f.bob, 1)).to.emit(f.market, 'SlotFilled');
    });

    it('still accepts the owner’s own assignment while delegates exist', async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.owner).setDelegate(f.repairer.address, REPAIR);
      await expect(f.fillSignedBy(f.owner)).to.emit(f.market, 'SlotFilled');
    });

    it('reverts with InvalidAssignment for a delegate holding only READ', async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.owner).setDelegate(f.reader.address, READ);
      await expect(f.fillSignedBy(f.reader)).to.be.revertedWithCustomError(f.market, 'InvalidAssignment').withArgs(f.dealId, 0, f.alice.address);
    });

    it('reverts with InvalidAssignment for a removed delegate', async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.owner).setDelegate(f.repairer.address, REPAIR);
      await f.market.connect(f.owner).setDelegate(f.repairer.address, 0);
      await expect(f.fillSignedBy(f.repairer)).to.be.revertedWithCustomError(f.market, 'InvalidAssignment').withArgs(f.dealId, 0, f.alice.address);
    });

    it('reverts with InvalidAssignment for a REPAIR delegate of another owner', async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.otherOwner).setDelegate(f.repairer.address, REPAIR);
      await expect(f.fillSignedBy(f.repairer)).to.be.revertedWithCustomError(f.market, 'InvalidAssignment').withArgs(f.dealId, 0, f.alice.address);
    });

    it('binds the delegate’s assignment to its peer: another peer cannot use it', async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.owner).setDelegate(f.repairer.address, REPAIR);
      const signature = await signAssignment(f.market, f.repairer, { dealId: f.dealId, column: 0, peer: f.alice.address, deadline: f.deadline });
      await expect(f.market.connect(f.bob).fillSlot(f.dealId, 0, f.data.columns[0].root, rootProofOf(f.data, 0), f.deadline, signature))
        .to.be.revertedWithCustomError(f.market, 'InvalidAssignment')
        .withArgs(f.dealId, 0, f.bob.address);
    });

    it('reverts with InvalidAssignment for a signature that does not recover (wrong length, bad s)', async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.owner).setDelegate(f.repairer.address, REPAIR);
      const fill = (signature: string) =>
        f.market.connect(f.alice).fillSlot(f.dealId, 0, f.data.columns[0].root, rootProofOf(f.data, 0), f.deadline, signature);
      await expect(fill('0x1234')).to.be.revertedWithCustomError(f.market, 'InvalidAssignment').withArgs(f.dealId, 0, f.alice.address);
      // A high-s signature is malleable: ECDSA refuses it even when it would recover the delegate.
      const good = ethers.Signature.from(
        await signAssignment(f.market, f.repairer, { dealId: f.dealId, column: 0, peer: f.alice.address, deadline: f.deadline }),
      );
      const n = BigInt('0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141');
      const highS = ethers.concat([good.r, ethers.toBeHex(n - BigInt(good.s), 32), ethers.toBeHex(good.v === 27 ? 28 : 27, 1)]);
      await expect(fill(highS)).to.be.revertedWithCustomError(f.market, 'InvalidAssignment').withArgs(f.dealId, 0, f.alice.address);
    });
  });

  describe('when a retrieval token is revoked by its nonce', () => {
    const nonce = ethers.id('token-1');

    it('lets the owner revoke it: TokenRevoked, and tokenRevoked is true for that nonce only, at any issue time', async () => {
      const f = await loadFixture(accessFixture);
      expect(await f.market.tokenRevoked(f.dealId, nonce, 1n)).to.equal(false);
      await expect(f.market.connect(f.owner).revokeToken(f.dealId, nonce)).to.emit(f.market, 'TokenRevoked').withArgs(f.dealId, nonce, f.owner.address);
      const now = BigInt(await time.latest());
      for (const issuedAt of [0n, now, now + 1_000_000n]) expect(await f.market.tokenRevoked(f.dealId, nonce, issuedAt)).to.equal(true);
      expect(await f.market.tokenRevoked(f.dealId, ethers.id('token-2'), now)).to.equal(false);
      expect(await f.market.tokenRevoked(f.otherDealId, nonce, now)).to.equal(false);
      // Revoking a nonce does not touch the deal-wide cut-off.
      expect(await f.market.tokensValidAfter(f.dealId)).to.equal(0n);
    });

    it('is idempotent: revoking again succeeds and emits again', async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.owner).revokeToken(f.dealId, nonce);
      await expect(f.market.connect(f.owner).revokeToken(f.dealId, nonce)).to.emit(f.market, 'TokenRevoked').withArgs(f.dealId, nonce, f.owner.address);
      expect(await f.market.tokenRevoked(f.dealId, nonce, 0n)).to.equal(true);
    });

    it('lets a delegate holding READ revoke it, named in the event', async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.owner).setDelegate(f.reader.address, READ);
      await expect(f.market.connect(f.reader).revokeToken(f.dealId, nonce)).to.emit(f.market, 'TokenRevoked').withArgs(f.dealId, nonce, f.reader.address);
      expect(await f.market.tokenRevoked(f.dealId, nonce, 0n)).to.equal(true);
    });

    it('works on a cancelled deal (tokens may outlive the payment)', async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.owner).cancelDeal(f.dealId);
      await expect(f.market.connect(f.owner).revokeToken(f.dealId, nonce)).to.emit(f.market, 'TokenRevoked');
    });

    it('reverts with NotDealOwner for a stranger, a REPAIR-only delegate, a removed delegate and another owner’s delegate', async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.owner).setDelegate(f.repairer.address, REPAIR);
      await f.market.connect(f.owner).setDelegate(f.reader.address, READ);
      await f.market.connect(f.owner).setDelegate(f.reader.address, 0);
      await f.market.connect(f.otherOwner).setDelegate(f.stranger.address, READ);
      for (const caller of [f.stranger, f.repairer, f.reader, f.otherOwner]) {
        await expect(f.market.connect(caller).revokeToken(f.dealId, nonce))
          .to.be.revertedWithCustomError(f.market, 'NotDealOwner')
          .withArgs(f.dealId, caller.address);
      }
      expect(await f.market.tokenRevoked(f.dealId, nonce, 0n)).to.equal(false);
    });

    it('reverts with DealNotFound for an unknown deal', async () => {
      const f = await loadFixture(accessFixture);
      const id = randomDealId();
      await expect(f.market.connect(f.owner).revokeToken(id, nonce)).to.be.revertedWithCustomError(f.market, 'DealNotFound').withArgs(id);
    });
  });

  describe('when every token of a deal is revoked', () => {
    it('sets tokensValidAfter to the block time and emits AllTokensRevoked', async () => {
      const f = await loadFixture(accessFixture);
      const at = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(at);
      await expect(f.market.connect(f.owner).revokeAllTokens(f.dealId)).to.emit(f.market, 'AllTokensRevoked').withArgs(f.dealId, at, f.owner.address);
      expect(await f.market.tokensValidAfter(f.dealId)).to.equal(at);
      expect(await f.market.tokensValidAfter(f.otherDealId)).to.equal(0n);
    });

    it('revokes a token issued at validAfter and before, not one issued at validAfter + 1', async () => {
      const f = await loadFixture(accessFixture);
      const nonce = ethers.id('any');
      expect(await f.market.tokenRevoked(f.dealId, nonce, 0n)).to.equal(false, 'no cut-off before the first revokeAllTokens');
      await f.market.connect(f.owner).revokeAllTokens(f.dealId);
      const validAfter = await f.market.tokensValidAfter(f.dealId);
      expect(await f.market.tokenRevoked(f.dealId, nonce, 0n)).to.equal(true);
      expect(await f.market.tokenRevoked(f.dealId, nonce, validAfter - 1n)).to.equal(true);
      expect(await f.market.tokenRevoked(f.dealId, nonce, validAfter)).to.equal(true);
      expect(await f.market.tokenRevoked(f.dealId, nonce, validAfter + 1n)).to.equal(false);
      expect(await f.market.tokenRevoked(f.otherDealId, nonce, validAfter)).to.equal(false);
    });

    it('moves the cut-off forward on a later call', async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.owner).revokeAllTokens(f.dealId);
      const first = await f.market.tokensValidAfter(f.dealId);
      await time.increase(100);
      await f.market.connect(f.owner).revokeAllTokens(f.dealId);
      const second = await f.market.tokensValidAfter(f.dealId);
      expect(second).to.equal(first + 101n);
      expect(await f.market.tokenRevoked(f.dealId, ethers.ZeroHash, first + 1n)).to.equal(true);
    });

    it('lets a delegate holding READ do it, named in the event', async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.owner).setDelegate(f.reader.address, READ | REPAIR);
      const at = BigInt(await time.latest()) + 5n;
      await time.setNextBlockTimestamp(at);
      await expect(f.market.connect(f.reader).revokeAllTokens(f.dealId)).to.emit(f.market, 'AllTokensRevoked').withArgs(f.dealId, at, f.reader.address);
    });

    it('reverts with NotDealOwner for a stranger and a REPAIR-only delegate, DealNotFound for an unknown deal', async () => {
      const f = await loadFixture(accessFixture);
      await f.market.connect(f.owner).setDelegate(f.repairer.address, REPAIR);
      for (const caller of [f.stranger, f.repairer]) {
        await expect(f.market.connect(caller).revokeAllTokens(f.dealId))
          .to.be.revertedWithCustomError(f.market, 'NotDealOwner')
          .withArgs(f.dealId, caller.address);
      }
      const id = randomDealId();
      await expect(f.market.connect(f.owner).revokeAllTokens(id)).to.be.revertedWithCustomError(f.market, 'DealNotFound').withArgs(id);
      expect(await f.market.tokensValidAfter(f.dealId)).to.equal(0n);
    });
  });
});
