import { loadFixture, time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import fc from 'fast-check';
import { ethers } from 'hardhat';
import {
  deployMarket,
  enterEpochWithSeed,
  goToEpoch,
  type MarketFixture,
  openFilledDeal,
  PRICE,
  randomDealId,
  rootProofOf,
  segmentProofOf,
  signAssignment,
  slotIdOf,
  TEST_CONFIG,
} from '../../../scripts/testkit/market/fixture';

const COLLATERAL = PRICE * TEST_CONFIG.collateralEpochs + TEST_CONFIG.minCollateral;

describe('Marketplace: life of a deal', () => {
  function defaultMarket() {
    return deployMarket();
  }
  function unchallengedMarket() {
    return deployMarket({ challengeProbabilityPpm: 0n });
  }
  function subsidizedMarket() {
    return deployMarket({ challengeProbabilityPpm: 0n, subsidyPerGiBEpoch: 8n * 10n ** 18n, subsidyCapPerPeer: 5n * 10n ** 18n });
  }
  function randomMarket() {
    return deployMarket({ challengeProbabilityPpm: 500_000n, lapseFreeSeconds: 1_000n });
  }

  async function proveAll(f: MarketFixture, deal: Awaited<ReturnType<typeof openFilledDeal>>, slots: number, epoch: bigint) {
    for (let c = 0; c < slots; c++) {
      const slotId = slotIdOf(deal.dealId, c);
      const [, index] = await f.market.challengeOf(slotId, epoch);
      const { segment, proof } = segmentProofOf(deal.data, c, Number(index));
      await f.market.connect(f.peers[c]).submitProof(slotId, segment, proof);
    }
  }

  describe('when honest peers prove every epoch to the end', () => {
    it('pays each host exactly duration * price, then releases its collateral; nothing is left to refund', async () => {
      const f = await loadFixture(defaultMarket);
      const duration = 4n;
      const deal = await openFilledDeal(f, { slots: 3, bytesPerSlot: 3000, duration: Number(duration) });
      const before = await Promise.all(f.peers.slice(0, 3).map((p) => f.token.balanceOf(p.address)));
      for (let e = deal.startEpoch; e < deal.startEpoch + duration; e++) {
        await enterEpochWithSeed(f, e);
        await proveAll(f, deal, 3, e);
        if (e === deal.startEpoch + 1n) await f.market.connect(f.peers[0]).claim(slotIdOf(deal.dealId, 0)); // a claim mid-way
      }
      const end = deal.startEpoch + duration;
      await goToEpoch(f, end + TEST_CONFIG.missingWindowEpochs);
      for (let c = 0; c < 3; c++) {
        const slotId = slotIdOf(deal.dealId, c);
        const tx = f.market.connect(f.peers[c]).claim(slotId);
        await expect(tx).to.emit(f.market, 'CollateralReleased').withArgs(slotId, f.peers[c].address, COLLATERAL);
        expect((await f.market.slot(slotId)).state).to.equal(3n);
        expect((await f.registry.peer(f.peers[c].address)).lockedStake).to.equal(0n);
        expect(await f.token.balanceOf(f.peers[c].address)).to.equal(before[c] + duration * PRICE);
        const ledger = await f.market.ledger(f.peers[c].address);
        expect([ledger.bytesHeld, ledger.epochsProven, ledger.earned]).to.deep.equal([0n, duration, duration * PRICE]);
      }
      expect((await f.market.deal(deal.dealId)).escrow).to.equal(0n);
      expect(await f.token.balanceOf(await f.market.getAddress())).to.equal(0n);
      await expect(f.market.connect(f.owners[0]).withdrawRefund(deal.dealId)).to.be.revertedWithCustomError(f.market, 'NothingToRefund').withArgs(deal.dealId);
    });

    it('waits for the last missing window before releasing the collateral', async () => {
      const f = await loadFixture(unchallengedMarket);
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 2 });
      for (let e = deal.startEpoch; e < deal.startEpoch + 2n; e++) await enterEpochWithSeed(f, e);
      await goToEpoch(f, deal.startEpoch + 2n);
      const slotId = slotIdOf(deal.dealId, 0);
      // Unchallenged epochs with recorded seeds are paid.
      await expect(f.market.connect(f.peers[0]).claim(slotId))
        .to.emit(f.market, 'Claimed')
        .withArgs(slotId, f.peers[0].address, 2n * PRICE, deal.startEpoch + 1n);
      await expect(f.market.connect(f.peers[0]).claim(slotId))
        .to.be.revertedWithCustomError(f.market, 'NothingToClaim')
        .withArgs(slotId, deal.startEpoch + 1n);
      await goToEpoch(f, deal.startEpoch + 2n + TEST_CONFIG.missingWindowEpochs);
      await expect(f.market.connect(f.peers[0]).claim(slotId)).to.emit(f.market, 'CollateralReleased').withArgs(slotId, f.peers[0].address, COLLATERAL);
    });
  });

  describe('when the owner cancels a running deal', () => {
    it('pays the filled host its proven epochs plus minFillEpochs and refunds the rest', async () => {
      const f = await loadFixture(defaultMarket);
      const deal = await openFilledDeal(f, { slots: 2, bytesPerSlot: 1024, duration: 10, fill: [0] });
      await enterEpochWithSeed(f, deal.startEpoch);
      await proveAll(f, deal, 1, deal.startEpoch);
      await goToEpoch(f, deal.startEpoch + 1n);
      await f.market.connect(f.owners[0]).cancelDeal(deal.dealId);
      await expect(f.market.connect(f.owners[0]).withdrawRefund(deal.dealId))
        .to.emit(f.market, 'RefundWithdrawn')
        .withArgs(deal.dealId, 20n * PRICE - 2n * PRICE);
      await goToEpoch(f, deal.startEpoch + 1n + TEST_CONFIG.missingWindowEpochs);
      const slotId = slotIdOf(deal.dealId, 0);
      await expect(f.market.connect(f.peers[0]).claim(slotId))
        .to.emit(f.market, 'Claimed')
        .withArgs(slotId, f.peers[0].address, 2n * PRICE, deal.startEpoch);
      expect((await f.market.deal(deal.dealId)).escrow).to.equal(0n);
    });
  });

  describe('when the subsidy is on', () => {
    it('mints subsidyPerGiBEpoch per paid GiB-epoch, up to the cap per peer', async () => {
      const GiB = 2n ** 30n;
      const f = await loadFixture(subsidizedMarket);
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 3 });
      for (let e = deal.startEpoch; e < deal.startEpoch + 3n; e++) await enterEpochWithSeed(f, e);
      await goToEpoch(f, deal.startEpoch + 3n);
      const supply = await f.token.totalSupply();
      await f.market.connect(f.peers[0]).claim(slotIdOf(deal.dealId, 0));
      const expected = (8n * 10n ** 18n * 512n * 3n) / GiB;
      expect((await f.market.ledger(f.peers[0].address)).subsidy).to.equal(expected);
      expect(await f.token.totalSupply()).to.equal(supply + expected);
      expect(expected).to.be.lessThan(5n * 10n ** 18n);
    });

    it('is off by default: no token is minted', async () => {
      const f = await loadFixture(unchallengedMarket);
      const deal = await openFilledDeal(f, { slots: 1, bytesPerSlot: 512, duration: 1 });
      await enterEpochWithSeed(f, deal.startEpoch);
      await goToEpoch(f, deal.startEpoch + 1n);
      const supply = await f.token.totalSupply();
      await f.market.connect(f.peers[0]).claim(slotIdOf(deal.dealId, 0));
      expect(await f.token.totalSupply()).to.equal(supply);
      expect((await f.market.ledger(f.peers[0].address)).subsidy).to.equal(0n);
    });
  });

  describe('neverLoseFunds: under any sequence of deals, fills, proofs, misses, credit withdrawals, claims, top-ups, cancels and exits', () => {
    type Action = { kind: number; a: number; b: number };
    const ownerOf = async (f: MarketFixture, dealId: string) => {
      const owner = (await f.market.deal(dealId)).owner;
      return f.owners.find((o) => o.address === owner) ?? f.owners[0];
    };
    // Kinds 2 (an epoch passes, its seed recorded) and 4 (a watcher marks misses) are drawn more often,
    // so that deals run, proofs are missed and marked, and credits are withdrawn within one short sequence.
    const kind = fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 10 }), weight: 3 },
      { arbitrary: fc.constant(2), weight: 2 },
      { arbitrary: fc.constant(4), weight: 1 },
    );
    const action = fc.record({ kind, a: fc.nat(), b: fc.nat() });

    it('market and registry together hold exactly escrow + repair funds + stakes + marker credits + forfeited stake', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(action, { minLength: 12, maxLength: 28 }), async (actions: Action[]) => {
          const f = await loadFixture(randomMarket);
          const deals: Awaited<ReturnType<typeof openFilledDeal>>[] = [];
          const slots = 3;
          const attempt = async (p: Promise<unknown>) => {
            try {
              await p;
            } catch {
              // Reverts are part of the sequence: the invariant must hold either way.
            }
          };
          for (const { kind, a, b } of actions) {
            const d = deals.length > 0 ? deals[a % deals.length] : undefined;
            const column = b % slots;
            const epoch = await f.market.currentEpoch();
            if (kind === 0 || !d) {
              try {
                deals.push(
                  await openFilledDeal(f, { slots, bytesPerSlot: 2048, duration: 2 + (a % 5), owner: f.owners[b % 3], fill: [column, (column + 1) % slots] }),
                );
              } catch {
                // The fill reverted (e.g. the peer exited): the deal stays open and unfilled.
              }
            } else if (kind === 1) {
              const signer = await ownerOf(f, d.dealId);
              const deadline = BigInt(await time.latest()) + 50n;
              const peer = f.peers[(column + a) % f.peers.length];
              const sig = await signAssignment(f.market, signer, { dealId: d.dealId, column, peer: peer.address, deadline });
              await attempt(f.market.connect(peer).fillSlot(d.dealId, column, d.data.columns[column].root, rootProofOf(d.data, column), deadline, sig));
            } else if (kind === 2) {
              await attempt(enterEpochWithSeed(f, epoch + 1n));
            } else if (kind === 3) {
              const slotId = slotIdOf(d.dealId, column);
              const [challenged, index] = await f.market.challengeOf(slotId, epoch);
              if (challenged) {
                const { segment, proof } = segmentProofOf(d.data, column, Number(index));
                await attempt(f.market.submitProof(slotId, segment, proof));
              }
            } else if (kind === 4) {
              // A watcher marks every miss it can still mark (most attempts revert).
              const marker = f.others[b % 2];
              for (const { dealId } of deals) {
                for (let c = 0; c < slots; c++) {
                  for (const lag of [1n, 2n]) if (epoch >= lag) await attempt(f.market.connect(marker).markProofMissing(slotIdOf(dealId, c), epoch - lag));
                }
              }
            } else if (kind === 5) {
              const slot = await f.market.slot(slotIdOf(d.dealId, column));
              const peer = f.peers.find((p) => p.address === slot.peer);
              if (peer) await attempt(f.market.connect(peer).claim(slotIdOf(d.dealId, column)));
            } else if (kind === 6) {
              await attempt(f.market.connect(await ownerOf(f, d.dealId)).extendDeal(d.dealId, 1 + (b % 3)));
            } else if (kind === 7) {
              await attempt(f.market.connect(await ownerOf(f, d.dealId)).cancelDeal(d.dealId));
            } else if (kind === 8) {
              await attempt(f.market.connect(await ownerOf(f, d.dealId)).withdrawRefund(d.dealId));
            } else if (kind === 10) {
              // The watchers withdraw their credits from the registry.
              for (const marker of f.others.slice(0, 2)) await attempt(f.registry.connect(marker).withdrawCredit());
            } else {
              // Exits and lapses: a peer begins its exit; time passes so heartbeats lapse and slots are freed.
              await attempt(f.registry.connect(f.peers[b % f.peers.length]).beginExit());
              await time.increase(1_001);
              await attempt(f.market.freeLapsedSlot(slotIdOf(d.dealId, column)));
            }
            // Claims pay settled epochs at once, so no settled pay waits unclaimed outside the escrow.
            let inMarket = 0n;
            for (const owner of f.owners) {
              const [ids] = await f.market.dealsOf(owner.address, 0, 1_000);
              for (const id of ids) {
                const info = await f.market.deal(id);
                inMarket += info.escrow + info.repairFund;
              }
            }
            let inRegistry = await f.registry.forfeitedStake();
            for (const peer of f.peers) inRegistry += (await f.registry.peer(peer.address)).stake;
            for (const marker of f.others) inRegistry += await f.registry.creditOf(marker.address);
            expect(await f.token.balanceOf(await f.market.getAddress())).to.equal(inMarket);
            expect(await f.token.balanceOf(await f.registry.getAddress())).to.equal(inRegistry);
          }
        }),
        { numRuns: 12 },
      );
    });
  });

  it('leaves a deal with a random id unknown', async () => {
    const f = await loadFixture(defaultMarket);
    expect((await f.market.deal(randomDealId())).owner).to.equal(ethers.ZeroAddress);
  });
});
