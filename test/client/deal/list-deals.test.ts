import { expect } from 'chai';
import hre from 'hardhat';
import { privateKeyToAccount } from 'viem/accounts';
import { cancelDeal } from '../../../client/deal/cancel-deal';
import { extendDeal } from '../../../client/deal/extend-deal';
import { listDeals } from '../../../client/deal/list-deals';
import { openDeal } from '../../../client/deal/open-deal';
import { quoteDeal } from '../../../client/deal/quote';
import { ContractRevertError, DealNotFoundError } from '../../../client/errors';
import { rewardTokenAbi } from '../../../protocol/chain/generated/abis';
import { type FileId, randomFileId } from '../../../protocol/ids';
import { hardhatKey } from '../../../scripts/testkit/chain';
import { fundOwners, type MarketChain, startMarketChain } from '../../../scripts/testkit/node/market-chain';

describe("an owner's deals", () => {
  let chain: MarketChain;
  const ownerKey = hardhatKey(9);
  const owner = privateKeyToAccount(ownerKey);
  const opened: FileId[] = [];

  before(async () => {
    chain = await startMarketChain(hre);
    await fundOwners(chain, [ownerKey]);
    for (const durationEpochs of [2, 50, 400]) {
      const dealId = randomFileId();
      await openDeal(deps(), { dealId, quote: quoteDeal({ peers: [{ pricePerGiBEpoch: 10n ** 18n }], bytesPerSlot: 2n ** 20n, durationEpochs }) });
      opened.push(dealId);
    }
  });
  after(async () => chain.close());

  function deps() {
    return {
      publicClient: chain.publicClient,
      walletClient: chain.wallet(ownerKey),
      chainId: chain.chainId,
      market: chain.market,
      token: chain.deployment.contracts.RewardToken,
    };
  }
  const balance = () =>
    chain.publicClient.readContract({ address: chain.deployment.contracts.RewardToken, abi: rewardTokenAbi, functionName: 'balanceOf', args: [owner.address] });

  it('come back from the chain alone, oldest first, across pages, with epochs left and an ends-soon flag', async () => {
    const deals = await listDeals(deps(), { owner: owner.address, pageSize: 2, endsSoonEpochs: 24n });
    expect(deals.map((d) => d.dealId)).to.deep.equal(opened);
    for (const d of deals) {
      expect(d.owner).to.equal(owner.address);
      expect(d.epochsLeft).to.equal(d.endEpoch - d.currentEpoch);
      expect(d.ended).to.equal(false);
    }
    expect(deals.map((d) => d.endsSoon)).to.deep.equal([true, false, false]);
  });

  it('are empty for an owner without deals', async () => {
    expect(await listDeals(deps(), { owner: privateKeyToAccount(hardhatKey(8)).address })).to.deep.equal([]);
  });

  it('can be extended before they end, paying the extra epochs', async () => {
    const before = await balance();
    const [, middle] = await listDeals(deps(), { owner: owner.address });
    const after = await extendDeal(deps(), { dealId: opened[1], extraEpochs: 10 });
    expect(after.endEpoch).to.equal(middle.endEpoch + 10n);
    expect(before - (await balance())).to.equal(10n * middle.pricePerSlotEpoch);
  });

  it('can be cancelled, and the unearned escrow of never-filled slots comes back', async () => {
    const before = await balance();
    const [, , last] = await listDeals(deps(), { owner: owner.address });
    const after = await cancelDeal(deps(), { dealId: opened[2] });
    expect(after.cancelled).to.equal(true);
    expect((await balance()) - before).to.equal(last.escrow);
    const listed = (await listDeals(deps(), { owner: owner.address }))[2];
    expect(listed.ended).to.equal(true);
    expect(listed.epochsLeft).to.equal(0n);
    expect(listed.endsSoon).to.equal(false);
  });

  it('name what went wrong: an unknown deal, or a revert decoded by name', async () => {
    await expect(extendDeal(deps(), { dealId: randomFileId(), extraEpochs: 1 })).to.be.rejectedWith(DealNotFoundError);
    const err = await cancelDeal(deps(), { dealId: opened[2] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ContractRevertError);
    expect((err as ContractRevertError).errorName).to.equal('DealIsCancelled');
  });
});
