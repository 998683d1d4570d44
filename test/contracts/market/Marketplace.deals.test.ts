import { loadFixture, time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import {
  dealData,
  deployMarket,
  EPOCH,
  goToEpoch,
  openFilledDeal,
  PRICE,
  REGISTRY_CONFIG,
  randomDealId,
  TEST_CONFIG,
  TOKEN,
} from '../../../scripts/testkit/market/fixture';

const MiB = 1024 * 1024;

/** MarketConfigs.MAX_SECONDS: the longest time setting accepted (100 years). */
const MAX_SECONDS = 100n * 365n * 86_400n;

describe('Marketplace: deals', () => {
  const marketFixture = () => deployMarket();

  async function openDealFixture() {
    const f = await deployMarket();
    const [owner] = f.owners;
    const dealId = randomDealId();
    const data = await dealData(3, 4096);
    await f.market.connect(owner).openDeal(dealId, 3, 4096, 10, PRICE);
    return { ...f, owner, dealId, data };
  }

  describe('when the configuration is invalid', () => {
    const cases: [string, Partial<typeof TEST_CONFIG>][] = [
      ['epochLength', { epochLength: 0n }],
      ['epochLength', { epochLength: MAX_SECONDS + 1n }],
      ['challengeProbabilityPpm', { challengeProbabilityPpm: 1_000_001n }],
      ['maxMisses', { maxMisses: 0n }],
      ['slashPpm', { slashPpm: 400_000n, maxMisses: 3n }],
      ['markerRewardPpm', { markerRewardPpm: 1_000_001n }],
      ['missingWindowEpochs', { missingWindowEpochs: 0n }],
      ['missingWindowEpochs', { missingWindowEpochs: 65n }],
      ['minCollateral', { minCollateral: 0n }],
      ['minCollateral', { minCollateral: 2n ** 128n }],
      ['lapseFreeSeconds', { lapseFreeSeconds: 0n }],
      ['lapseFreeSeconds', { lapseFreeSeconds: MAX_SECONDS + 1n }],
      ['maxClaimEpochs', { maxClaimEpochs: 0n }],
      ['subsidyPerGiBEpoch', { subsidyPerGiBEpoch: 2n ** 128n }],
    ];
    for (const [field, override] of cases) {
      it(`reverts with InvalidMarketConfig("${field}") for ${JSON.stringify(override, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`, async () => {
        const { token, registry, admin } = await loadFixture(marketFixture);
        const factory = await ethers.getContractFactory('Marketplace');
        await expect(factory.deploy(await token.getAddress(), await registry.getAddress(), { ...TEST_CONFIG, ...override }, admin.address))
          .to.be.revertedWithCustomError(factory, 'InvalidMarketConfig')
          .withArgs(field);
      });
    }

    it('reverts with MarketZeroAddress for a missing token, registry or admin', async () => {
      const { token, registry, admin } = await loadFixture(marketFixture);
      const factory = await ethers.getContractFactory('Marketplace');
      const [t, r] = [await token.getAddress(), await registry.getAddress()];
      await expect(factory.deploy(ethers.ZeroAddress, r, TEST_CONFIG, admin.address))
        .to.be.revertedWithCustomError(factory, 'MarketZeroAddress')
        .withArgs('token');
      await expect(factory.deploy(t, ethers.ZeroAddress, TEST_CONFIG, admin.address))
        .to.be.revertedWithCustomError(factory, 'MarketZeroAddress')
        .withArgs('registry');
      await expect(factory.deploy(t, r, TEST_CONFIG, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, 'MarketZeroAddress')
        .withArgs('admin');
    });

    it('returns the configuration it was deployed with', async () => {
      const { market } = await loadFixture(marketFixture);
      const config = await market.config();
      for (const [field, value] of Object.entries(TEST_CONFIG)) expect(config[field as keyof typeof TEST_CONFIG], field).to.equal(value);
      expect(REGISTRY_CONFIG.minStake).to.be.greaterThan(0n);
    });
  });

  describe('when an owner opens a deal', () => {
    it('pulls slots * duration * price, records the deal from the next epoch and emits DealOpened', async () => {
      const { market, token, owners } = await loadFixture(marketFixture);
      const [owner] = owners;
      const dealId = randomDealId();
      const escrow = 6n * 20n * PRICE;
      const current = await market.currentEpoch();
      const tx = market.connect(owner).openDeal(dealId, 6, MiB, 20, PRICE);
      await expect(tx)
        .to.emit(market, 'DealOpened')
        .withArgs(dealId, owner.address, 6, MiB, 20, PRICE, current + 1n);
      await expect(tx).to.changeTokenBalances(token, [owner, market], [-escrow, escrow]);
      const deal = await market.deal(dealId);
      expect(deal.owner).to.equal(owner.address);
      expect([deal.slots, deal.bytesPerSlot, deal.durationEpochs, deal.pricePerSlotEpoch]).to.deep.equal([6n, BigInt(MiB), 20n, PRICE]);
      expect([deal.startEpoch, deal.endEpoch, deal.escrow, deal.repairFund]).to.deep.equal([current + 1n, current + 21n, escrow, 0n]);
      expect([deal.root, deal.segmentCount, deal.cancelled]).to.deep.equal([ethers.ZeroHash, 0n, false]);
    });

    it('lists the deals by owner, page by page', async () => {
      const { market, owners } = await loadFixture(marketFixture);
      const ids = [randomDealId(), randomDealId(), randomDealId()];
      for (const id of ids) await market.connect(owners[1]).openDeal(id, 1, 512, 1, PRICE);
      expect(await market.dealsOf(owners[1].address, 0, 10)).to.deep.equal([ids, 3n]);
      expect(await market.dealsOf(owners[1].address, 1, 1)).to.deep.equal([[ids[1]], 3n]);
      expect(await market.dealsOf(owners[1].address, 3, 1)).to.deep.equal([[], 3n]);
      expect(await market.dealsOf(owners[2].address, 0, 10)).to.deep.equal([[], 0n]);
    });

    it('reverts with DealAlreadyExists for a used id', async () => {
      const { market, owner, dealId } = await loadFixture(openDealFixture);
      await expect(market.connect(owner).openDeal(dealId, 1, 512, 1, PRICE))
        .to.be.revertedWithCustomError(market, 'DealAlreadyExists')
        .withArgs(dealId);
    });

    const invalid: [string, [number, bigint, number, bigint]][] = [
      ['slots', [0, 512n, 1, PRICE]],
      ['bytesPerSlot', [1, 0n, 1, PRICE]],
      ['bytesPerSlot', [1, 2n ** 40n * 512n + 1n, 1, PRICE]],
      ['durationEpochs', [1, 512n, 0, PRICE]],
      ['durationEpochs', [1, 512n, 2 ** 32 - 1, 1n]],
      ['pricePerSlotEpoch', [1, 512n, 1, 0n]],
      ['pricePerSlotEpoch', [1, 512n, 1, 2n ** 128n]],
      ['escrow', [2, 512n, 1, 2n ** 128n - 1n]],
    ];
    for (const [field, args] of invalid) {
      it(`reverts with InvalidDealParameter("${field}") for (${args.join(', ')})`, async () => {
        const { market, owners } = await loadFixture(marketFixture);
        await expect(market.connect(owners[0]).openDeal(randomDealId(), ...args))
          .to.be.revertedWithCustomError(market, 'InvalidDealParameter')
          .withArgs(field);
      });
    }

    it('reverts with the token error when the owner has no allowance', async () => {
      const { market, token, admin, others } = await loadFixture(marketFixture);
      await token.connect(admin).transfer(others[0].address, 100n * TOKEN);
      await expect(market.connect(others[0]).openDeal(randomDealId(), 1, 512, 1, PRICE))
        .to.be.revertedWithCustomError(token, 'ERC20InsufficientAllowance')
        .withArgs(await market.getAddress(), 0n, PRICE);
    });
  });

  describe('when an owner opens a deal with a permit', () => {
    async function permitFixture() {
      const f = await deployMarket();
      const holder = f.others[0];
      await f.token.connect(f.admin).transfer(holder.address, 100n * TOKEN);
      const deadline = BigInt(await time.latest()) + 3_600n;
      const sign = async (value: bigint) => {
        const { chainId } = await ethers.provider.getNetwork();
        const domain = { name: 'dhost Reward Token', version: '1', chainId, verifyingContract: await f.token.getAddress() };
        const types = {
          Permit: [
            { name: 'owner', type: 'address' },
            { name: 'spender', type: 'address' },
            { name: 'value', type: 'uint256' },
            { name: 'nonce', type: 'uint256' },
            { name: 'deadline', type: 'uint256' },
          ],
        };
        const message = { owner: holder.address, spender: await f.market.getAddress(), value, nonce: await f.token.nonces(holder.address), deadline };
        return ethers.Signature.from(await holder.signTypedData(domain, types, message));
      };
      return { ...f, holder, deadline, sign };
    }

    it('uses the permit instead of an allowance', async () => {
      const { market, token, holder, deadline, sign } = await loadFixture(permitFixture);
      const sig = await sign(3n * PRICE);
      await expect(market.connect(holder).openDealWithPermit(randomDealId(), 3, 512, 1, PRICE, deadline, sig.v, sig.r, sig.s)).to.changeTokenBalance(
        token,
        holder,
        -3n * PRICE,
      );
    });

    it('falls back to the allowance when the permit fails (e.g. it was front-run)', async () => {
      const { market, token, holder, deadline, sign } = await loadFixture(permitFixture);
      const sig = await sign(PRICE);
      // Someone submits the permit first: the nonce is used, the allowance is set.
      await token.permit(holder.address, await market.getAddress(), PRICE, deadline, sig.v, sig.r, sig.s);
      await expect(market.connect(holder).openDealWithPermit(randomDealId(), 1, 512, 1, PRICE, deadline, sig.v, sig.r, sig.s)).to.changeTokenBalance(
        token,
        holder,
        -PRICE,
      );
    });

    it('reverts with the token error when the permit fails and there is no allowance', async () => {
      const { market, token, holder, deadline, sign } = await loadFixture(permitFixture);
      const sig = await sign(PRICE);
      await expect(market.connect(holder).openDealWithPermit(randomDealId(), 2, 512, 1, PRICE, deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(token, 'ERC20InsufficientAllowance')
        .withArgs(await market.getAddress(), 0n, 2n * PRICE);
    });
  });

  describe('when the owner commits the root', () => {
    it('stores the deal root (the tree over the slot-root leaves, as protocol/merkle.ts builds it) and emits DealRootCommitted', async () => {
      const { market, owner, dealId, data } = await loadFixture(openDealFixture);
      await expect(market.connect(owner).commitRoot(dealId, data.root, data.segmentCount))
        .to.emit(market, 'DealRootCommitted')
        .withArgs(dealId, data.root, data.segmentCount);
      const deal = await market.deal(dealId);
      expect([deal.root, deal.segmentCount]).to.deep.equal([data.root, BigInt(data.segmentCount)]);
    });

    it('reverts with DealNotFound for an unknown deal', async () => {
      const { market, owner, data } = await loadFixture(openDealFixture);
      const id = randomDealId();
      await expect(market.connect(owner).commitRoot(id, data.root, 1))
        .to.be.revertedWithCustomError(market, 'DealNotFound')
        .withArgs(id);
    });

    it('reverts with NotDealOwner for anyone else', async () => {
      const { market, owners, dealId, data } = await loadFixture(openDealFixture);
      await expect(market.connect(owners[1]).commitRoot(dealId, data.root, 8))
        .to.be.revertedWithCustomError(market, 'NotDealOwner')
        .withArgs(dealId, owners[1].address);
    });

    it('reverts with RootAlreadyCommitted the second time', async () => {
      const { market, owner, dealId, data } = await loadFixture(openDealFixture);
      await market.connect(owner).commitRoot(dealId, data.root, 8);
      await expect(market.connect(owner).commitRoot(dealId, data.root, 8))
        .to.be.revertedWithCustomError(market, 'RootAlreadyCommitted')
        .withArgs(dealId);
    });

    it('reverts with InvalidDealParameter("root") for the zero root, which means "not committed"', async () => {
      const { market, owner, dealId } = await loadFixture(openDealFixture);
      await expect(market.connect(owner).commitRoot(dealId, ethers.ZeroHash, 8))
        .to.be.revertedWithCustomError(market, 'InvalidDealParameter')
        .withArgs('root');
      expect((await market.deal(dealId)).root).to.equal(ethers.ZeroHash);
    });

    it('reverts with SegmentCountOutOfRange for 0 or more segments than the slot holds', async () => {
      const { market, owner, dealId, data } = await loadFixture(openDealFixture);
      await expect(market.connect(owner).commitRoot(dealId, data.root, 0))
        .to.be.revertedWithCustomError(market, 'SegmentCountOutOfRange')
        .withArgs(0, 8);
      await expect(market.connect(owner).commitRoot(dealId, data.root, 9))
        .to.be.revertedWithCustomError(market, 'SegmentCountOutOfRange')
        .withArgs(9, 8);
    });

    it('reverts with DealIsCancelled after a cancel', async () => {
      const { market, owner, dealId, data } = await loadFixture(openDealFixture);
      await market.connect(owner).cancelDeal(dealId);
      await expect(market.connect(owner).commitRoot(dealId, data.root, 8))
        .to.be.revertedWithCustomError(market, 'DealIsCancelled')
        .withArgs(dealId);
    });
  });

  describe('when the owner extends the deal', () => {
    it('pulls slots * extra * price, moves the end and emits DealExtended', async () => {
      const f = await loadFixture(openDealFixture);
      const before = await f.market.deal(f.dealId);
      const tx = f.market.connect(f.owner).extendDeal(f.dealId, 5);
      await expect(tx)
        .to.emit(f.market, 'DealExtended')
        .withArgs(f.dealId, 5, before.endEpoch + 5n);
      await expect(tx).to.changeTokenBalances(f.token, [f.owner, f.market], [-15n * PRICE, 15n * PRICE]);
      const after = await f.market.deal(f.dealId);
      expect([after.durationEpochs, after.escrow]).to.deep.equal([15n, before.escrow + 15n * PRICE]);
    });

    it('reverts with InvalidDealParameter("extraEpochs") for 0 or an end past 2^32', async () => {
      const f = await loadFixture(openDealFixture);
      await expect(f.market.connect(f.owner).extendDeal(f.dealId, 0)).to.be.revertedWithCustomError(f.market, 'InvalidDealParameter').withArgs('extraEpochs');
      await expect(f.market.connect(f.owner).extendDeal(f.dealId, 2 ** 32 - 5))
        .to.be.revertedWithCustomError(f.market, 'InvalidDealParameter')
        .withArgs('extraEpochs');
    });

    it('reverts with InvalidDealParameter("escrow") when the escrow would pass 2^128', async () => {
      const f = await loadFixture(marketFixture);
      const id = randomDealId();
      const price = 2n ** 120n;
      await f.token.connect(f.admin).grantRole(await f.token.MINTER_ROLE(), f.admin.address);
      await f.token.connect(f.admin).mint(f.owners[0].address, price);
      await f.market.connect(f.owners[0]).openDeal(id, 1, 512, 1, price);
      await expect(f.market.connect(f.owners[0]).extendDeal(id, 256)).to.be.revertedWithCustomError(f.market, 'InvalidDealParameter').withArgs('escrow');
    });

    it('reverts with NotDealOwner, DealIsCancelled and DealHasEnded', async () => {
      const f = await loadFixture(openDealFixture);
      await expect(f.market.connect(f.owners[1]).extendDeal(f.dealId, 1))
        .to.be.revertedWithCustomError(f.market, 'NotDealOwner')
        .withArgs(f.dealId, f.owners[1].address);
      const deal = await f.market.deal(f.dealId);
      await goToEpoch(f, deal.endEpoch);
      await expect(f.market.connect(f.owner).extendDeal(f.dealId, 1)).to.be.revertedWithCustomError(f.market, 'DealHasEnded').withArgs(f.dealId, deal.endEpoch);
      await f.market.connect(f.owners[1]).openDeal(randomDealId(), 1, 512, 5, PRICE);
      const [id] = (await f.market.dealsOf(f.owners[1].address, 0, 1))[0];
      await f.market.connect(f.owners[1]).cancelDeal(id);
      await expect(f.market.connect(f.owners[1]).extendDeal(id, 1)).to.be.revertedWithCustomError(f.market, 'DealIsCancelled').withArgs(id);
    });
  });

  describe('when the owner cancels', () => {
    it('before the start: ends the deal at its start, all escrow refundable', async () => {
      const f = await loadFixture(openDealFixture);
      const current = await f.market.currentEpoch();
      await expect(f.market.connect(f.owner).cancelDeal(f.dealId)).to.emit(f.market, 'DealCancelled').withArgs(f.dealId, current);
      const deal = await f.market.deal(f.dealId);
      expect([deal.cancelled, deal.durationEpochs, deal.endEpoch]).to.deep.equal([true, 0n, deal.startEpoch]);
      const tx = f.market.connect(f.owner).withdrawRefund(f.dealId);
      await expect(tx)
        .to.emit(f.market, 'RefundWithdrawn')
        .withArgs(f.dealId, 30n * PRICE);
      await expect(tx).to.changeTokenBalance(f.token, f.owner, 30n * PRICE);
      await expect(f.market.connect(f.owner).withdrawRefund(f.dealId)).to.be.revertedWithCustomError(f.market, 'NothingToRefund').withArgs(f.dealId);
    });

    it('while filled slots run: keeps their settled pay and the minimum fill pay, refunds the rest', async () => {
      const f = await loadFixture(marketFixture);
      // Probability 1e6: every epoch is challenged; nobody proves, so nothing before the cancel is paid.
      const { dealId, startEpoch } = await openFilledDeal(f, { slots: 2, bytesPerSlot: 1024, duration: 10, fill: [0] });
      await goToEpoch(f, startEpoch + 3n);
      await expect(f.market.connect(f.owners[0]).cancelDeal(dealId))
        .to.emit(f.market, 'DealCancelled')
        .withArgs(dealId, startEpoch + 3n);
      const deal = await f.market.deal(dealId);
      expect(deal.endEpoch).to.equal(startEpoch + 3n);
      // Slot 0 can still earn 3 epochs (unsettled) + 1 minimum-fill epoch; everything else comes back.
      await expect(f.market.connect(f.owners[0]).withdrawRefund(dealId))
        .to.emit(f.market, 'RefundWithdrawn')
        .withArgs(dealId, 20n * PRICE - 4n * PRICE);
    });

    it('reverts with NotDealOwner, DealIsCancelled and DealHasEnded', async () => {
      const f = await loadFixture(openDealFixture);
      await expect(f.market.connect(f.owners[1]).cancelDeal(f.dealId))
        .to.be.revertedWithCustomError(f.market, 'NotDealOwner')
        .withArgs(f.dealId, f.owners[1].address);
      await f.market.connect(f.owner).cancelDeal(f.dealId);
      await expect(f.market.connect(f.owner).cancelDeal(f.dealId)).to.be.revertedWithCustomError(f.market, 'DealIsCancelled').withArgs(f.dealId);
      const id = randomDealId();
      await f.market.connect(f.owner).openDeal(id, 1, 512, 1, PRICE);
      const deal = await f.market.deal(id);
      await goToEpoch(f, deal.endEpoch);
      await expect(f.market.connect(f.owner).cancelDeal(id)).to.be.revertedWithCustomError(f.market, 'DealHasEnded').withArgs(id, deal.endEpoch);
    });
  });

  describe('when the owner withdraws a refund', () => {
    it('reverts with DealNotEnded while the deal runs, NotDealOwner for others, DealNotFound for unknown deals', async () => {
      const f = await loadFixture(openDealFixture);
      const deal = await f.market.deal(f.dealId);
      await expect(f.market.connect(f.owner).withdrawRefund(f.dealId))
        .to.be.revertedWithCustomError(f.market, 'DealNotEnded')
        .withArgs(f.dealId, deal.endEpoch);
      await expect(f.market.connect(f.owners[1]).withdrawRefund(f.dealId))
        .to.be.revertedWithCustomError(f.market, 'NotDealOwner')
        .withArgs(f.dealId, f.owners[1].address);
      const id = randomDealId();
      await expect(f.market.connect(f.owner).withdrawRefund(id)).to.be.revertedWithCustomError(f.market, 'DealNotFound').withArgs(id);
    });

    it('after the end, returns the escrow of never-filled slots and keeps what filled slots can still earn', async () => {
      const f = await loadFixture(marketFixture);
      const { dealId, startEpoch } = await openFilledDeal(f, { slots: 3, bytesPerSlot: 1024, duration: 4, fill: [1] });
      await goToEpoch(f, startEpoch + 4n);
      // Slot 1 has 4 unsettled epochs; slots 0 and 2 were never filled.
      await expect(f.market.connect(f.owners[0]).withdrawRefund(dealId))
        .to.emit(f.market, 'RefundWithdrawn')
        .withArgs(dealId, 8n * PRICE);
      expect((await f.market.deal(dealId)).escrow).to.equal(4n * PRICE);
      expect(EPOCH).to.equal(TEST_CONFIG.epochLength);
    });
  });
});
