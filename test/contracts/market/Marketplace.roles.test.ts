import { loadFixture, time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import {
  dealData,
  deployMarket,
  enterEpochWithSeed,
  goToEpoch,
  openFilledDeal,
  PRICE,
  randomDealId,
  rootProofOf,
  signAssignment,
  slotIdOf,
} from '../../../scripts/testkit/market/fixture';

const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;
const MARKET_ROLE = ethers.id('MARKET_ROLE');
const MINTER_ROLE = ethers.id('MINTER_ROLE');

/*
 * Who may call what: the marketplace's admin role, the roles it needs on the registry and the token,
 * the deal owner's functions (which delegates do not get) and the slot peer's.
 */
describe('Marketplace: roles and owners', () => {
  async function rolesFixture() {
    const f = await deployMarket({ challengeProbabilityPpm: 0n });
    const [owner] = f.owners;
    const [stranger, delegate] = f.others;
    await f.market.connect(owner).setDelegate(delegate.address, 3);
    const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 3 });
    return { ...f, owner, stranger, delegate, deal };
  }

  describe('the marketplace admin', () => {
    it('holds DEFAULT_ADMIN_ROLE and alone can grant and revoke roles', async () => {
      const f = await loadFixture(rolesFixture);
      expect(await f.market.hasRole(DEFAULT_ADMIN_ROLE, f.admin.address)).to.equal(true);
      expect(await f.market.hasRole(DEFAULT_ADMIN_ROLE, f.owner.address)).to.equal(false);
      await expect(f.market.connect(f.stranger).grantRole(DEFAULT_ADMIN_ROLE, f.stranger.address))
        .to.be.revertedWithCustomError(f.market, 'AccessControlUnauthorizedAccount')
        .withArgs(f.stranger.address, DEFAULT_ADMIN_ROLE);
      await expect(f.market.connect(f.stranger).revokeRole(DEFAULT_ADMIN_ROLE, f.admin.address))
        .to.be.revertedWithCustomError(f.market, 'AccessControlUnauthorizedAccount')
        .withArgs(f.stranger.address, DEFAULT_ADMIN_ROLE);
      await f.market.connect(f.admin).grantRole(DEFAULT_ADMIN_ROLE, f.stranger.address);
      expect(await f.market.hasRole(DEFAULT_ADMIN_ROLE, f.stranger.address)).to.equal(true);
      await f.market.connect(f.admin).revokeRole(DEFAULT_ADMIN_ROLE, f.stranger.address);
      expect(await f.market.hasRole(DEFAULT_ADMIN_ROLE, f.stranger.address)).to.equal(false);
    });
  });

  describe('the roles the marketplace needs elsewhere', () => {
    it('cannot fill a slot once the registry admin revoked its MARKET_ROLE', async () => {
      const f = await loadFixture(rolesFixture);
      await f.registry.connect(f.admin).revokeRole(MARKET_ROLE, await f.market.getAddress());
      const dealId = randomDealId();
      const data = await dealData(1, 512);
      await f.market.connect(f.owner).openDeal(dealId, 1, 512, 3, PRICE);
      await f.market.connect(f.owner).commitRoot(dealId, data.root, 1);
      const deadline = BigInt(await time.latest()) + 100n;
      const sig = await signAssignment(f.market, f.owner, { dealId, column: 0, peer: f.peers[1].address, deadline });
      await expect(f.market.connect(f.peers[1]).fillSlot(dealId, 0, data.columns[0].root, rootProofOf(data, 0), deadline, sig))
        .to.be.revertedWithCustomError(f.registry, 'AccessControlUnauthorizedAccount')
        .withArgs(await f.market.getAddress(), MARKET_ROLE);
    });

    it('cannot pay a subsidy without MINTER_ROLE on the token', async () => {
      const f = await deployMarket({ challengeProbabilityPpm: 0n, subsidyPerGiBEpoch: 10n ** 18n, subsidyCapPerPeer: 10n ** 18n });
      await f.token.connect(f.admin).revokeRole(MINTER_ROLE, await f.market.getAddress());
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 3 });
      await enterEpochWithSeed(f, deal.startEpoch);
      await goToEpoch(f, deal.startEpoch + 1n);
      await expect(f.market.connect(f.peers[0]).claim(slotIdOf(deal.dealId, 0)))
        .to.be.revertedWithCustomError(f.token, 'AccessControlUnauthorizedAccount')
        .withArgs(await f.market.getAddress(), MINTER_ROLE);
    });
  });

  describe("the deal owner's functions", () => {
    const ownerOnly = [
      { name: 'commitRoot', args: (id: string) => [id, ethers.id('root'), 1n] },
      { name: 'extendDeal', args: (id: string) => [id, 1n] },
      { name: 'cancelDeal', args: (id: string) => [id] },
      { name: 'withdrawRefund', args: (id: string) => [id] },
    ] as const;

    for (const { name, args } of ownerOnly) {
      it(`${name} reverts with NotDealOwner for a stranger and for a READ | REPAIR delegate`, async () => {
        const f = await loadFixture(rolesFixture);
        const dealId = randomDealId();
        await f.market.connect(f.owner).openDeal(dealId, 1, 512, 3, PRICE);
        for (const caller of [f.stranger, f.delegate]) {
          const market = f.market.connect(caller) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
          await expect(market[name](...args(dealId)))
            .to.be.revertedWithCustomError(f.market, 'NotDealOwner')
            .withArgs(dealId, caller.address);
        }
      });
    }

    for (const name of ['revokeToken', 'revokeAllTokens'] as const) {
      it(`${name} reverts with NotDealOwner for a stranger but not for a READ delegate`, async () => {
        const f = await loadFixture(rolesFixture);
        const id = f.deal.dealId;
        const call = (caller: typeof f.owner) =>
          name === 'revokeToken' ? f.market.connect(caller).revokeToken(id, ethers.ZeroHash) : f.market.connect(caller).revokeAllTokens(id);
        await expect(call(f.stranger)).to.be.revertedWithCustomError(f.market, 'NotDealOwner').withArgs(id, f.stranger.address);
        await expect(call(f.delegate)).to.not.be.reverted;
        await expect(call(f.owner)).to.not.be.reverted;
      });
    }
  });

  describe("the slot peer's functions", () => {
    it('claim reverts with NotSlotPeer for the deal owner, a delegate and another peer', async () => {
      const f = await loadFixture(rolesFixture);
      const slotId = slotIdOf(f.deal.dealId, 0);
      await enterEpochWithSeed(f, f.deal.startEpoch);
      await goToEpoch(f, f.deal.startEpoch + 1n);
      for (const caller of [f.owner, f.delegate, f.peers[1]]) {
        await expect(f.market.connect(caller).claim(slotId)).to.be.revertedWithCustomError(f.market, 'NotSlotPeer').withArgs(slotId, caller.address);
      }
      await expect(f.market.connect(f.peers[0]).claim(slotId)).to.changeTokenBalance(f.token, f.peers[0], PRICE);
    });

    it('fillSlot only for the assigned peer: the owner cannot use its own assignment of another peer', async () => {
      const f = await loadFixture(rolesFixture);
      const dealId = randomDealId();
      const data = await dealData(1, 512);
      await f.market.connect(f.owner).openDeal(dealId, 1, 512, 3, PRICE);
      await f.market.connect(f.owner).commitRoot(dealId, data.root, 1);
      const deadline = BigInt(await time.latest()) + 100n;
      const sig = await signAssignment(f.market, f.owner, { dealId, column: 0, peer: f.peers[1].address, deadline });
      await expect(f.market.connect(f.owner).fillSlot(dealId, 0, data.columns[0].root, [], deadline, sig))
        .to.be.revertedWithCustomError(f.market, 'InvalidAssignment')
        .withArgs(dealId, 0, f.owner.address);
    });
  });
});
