import { loadFixture } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { deployMarket, enterEpochWithSeed, openFilledDeal, PRICE, randomDealId, segmentProofOf, slotIdOf } from '../../../scripts/testkit/market/fixture';

/** A `Ledger` or `Deal` struct as plain values, comparable with `deep.equal`. */
const plain = (struct: readonly unknown[]) => [...struct];

describe('Marketplace: batch reads', () => {
  describe('ledgers', () => {
    async function provenFixture() {
      const f = await deployMarket();
      const deal = await openFilledDeal(f, { slots: 3, bytesPerSlot: 4096, duration: 4 });
      await enterEpochWithSeed(f, deal.startEpoch);
      const slotId = slotIdOf(deal.dealId, 1);
      const [, index] = await f.market.challengeOf(slotId, deal.startEpoch);
      const { segment, proof } = segmentProofOf(deal.data, 1, Number(index));
      await f.market.connect(f.peers[1]).submitProof(slotId, segment, proof);
      return { ...f, ...deal };
    }

    it('returns each asked peer’s ledger in order, the same as ledger(peer)', async () => {
      const f = await loadFixture(provenFixture);
      const asked = [f.peers[1].address, f.peers[0].address, f.peers[2].address, f.peers[1].address];
      const books = await f.market.ledgers(asked);
      expect(books).to.have.length(asked.length);
      for (const [i, peer] of asked.entries()) expect(plain(books[i])).to.deep.equal(plain(await f.market.ledger(peer)));
      expect(books[0].epochsProven).to.equal(1n);
      expect(books[1].bytesHeld).to.equal(4096n);
    });

    it('gives zeros for an address without a ledger, and nothing for no address', async () => {
      const f = await loadFixture(provenFixture);
      const [book] = await f.market.ledgers([f.others[0].address]);
      expect(plain(book)).to.deep.equal([0n, 0n, 0n, 0n, 0n]);
      expect(await f.market.ledgers([])).to.deep.equal([]);
    });
  });

  describe('dealRecordsOf', () => {
    async function fiveDealsFixture() {
      const f = await deployMarket();
      const owner = f.owners[0];
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const id = randomDealId();
        await f.market.connect(owner).openDeal(id, 2, 1024, 10 + i, PRICE);
        ids.push(id);
      }
      await f.market.connect(owner).cancelDeal(ids[3]);
      return { ...f, owner, ids };
    }

    it('returns a page of ids with their records, oldest first, and the total', async () => {
      const f = await loadFixture(fiveDealsFixture);
      const [ids, records, total] = await f.market.dealRecordsOf(f.owner.address, 1, 3);
      expect(ids).to.deep.equal(f.ids.slice(1, 4));
      expect(total).to.equal(5n);
      expect(records).to.have.length(3);
      for (const [i, id] of ids.entries()) expect(plain(records[i])).to.deep.equal(plain(await f.market.deal(id)));
      expect(records[2].cancelled).to.equal(true);
      expect(records[0].durationEpochs).to.equal(11n);
    });

    it('agrees with dealsOf on every page, the last one short', async () => {
      const f = await loadFixture(fiveDealsFixture);
      for (const offset of [0n, 2n, 4n]) {
        const [ids, records, total] = await f.market.dealRecordsOf(f.owner.address, offset, 2);
        const [expected, expectedTotal] = await f.market.dealsOf(f.owner.address, offset, 2);
        expect(ids).to.deep.equal(expected);
        expect(records).to.have.length(expected.length);
        expect(total).to.equal(expectedTotal);
      }
    });

    it('returns an empty page past the end, for limit 0, with a huge limit, and for an owner without deals', async () => {
      const f = await loadFixture(fiveDealsFixture);
      expect(await f.market.dealRecordsOf(f.owner.address, 5, 10)).to.deep.equal([[], [], 5n]);
      expect(await f.market.dealRecordsOf(f.owner.address, 0, 0)).to.deep.equal([[], [], 5n]);
      const [all] = await f.market.dealRecordsOf(f.owner.address, 1, ethers.MaxUint256);
      expect(all).to.deep.equal(f.ids.slice(1));
      expect(await f.market.dealRecordsOf(f.owners[1].address, 0, 10)).to.deep.equal([[], [], 0n]);
    });
  });
});
