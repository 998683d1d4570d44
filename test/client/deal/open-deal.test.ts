import { expect } from 'chai';
import hre from 'hardhat';
import { createWalletClient, http } from 'viem';
import { privateKeyToAccount, toAccount } from 'viem/accounts';
import type { ChainWriter } from '../../../client/deal/chain-deps';
import { openDeal } from '../../../client/deal/open-deal';
import { GIB, quoteDeal } from '../../../client/deal/quote';
import { sendTransaction } from '../../../client/deal/send-transaction';
import { signPermit } from '../../../client/deal/sign-permit';
import { ContractRevertError, DealOpenError } from '../../../client/errors';
import { rewardTokenAbi } from '../../../protocol/chain/generated/abis';
import { readDeal } from '../../../protocol/chain/market';
import { randomFileId } from '../../../protocol/ids';
import { hardhatKey } from '../../../scripts/testkit/chain';
import { fundOwners, laterNow, type MarketChain, startMarketChain } from '../../../scripts/testkit/node/market-chain';

describe('opening a deal', () => {
  let chain: MarketChain;
  const ownerKey = hardhatKey(11);
  const owner = privateKeyToAccount(ownerKey);
  const quote = quoteDeal({ peers: [{ pricePerGiBEpoch: 10n ** 18n }, { pricePerGiBEpoch: 3n * 10n ** 18n }], bytesPerSlot: GIB / 4n, durationEpochs: 12 });

  before(async () => {
    chain = await startMarketChain(hre);
    await fundOwners(chain, [ownerKey]);
  });
  after(async () => chain.close());

  const deps = (walletClient: ChainWriter = chain.wallet(ownerKey)) => ({
    publicClient: chain.publicClient,
    walletClient,
    chainId: chain.chainId,
    market: chain.market,
    token: chain.deployment.contracts.RewardToken,
  });
  const balanceOf = (who: `0x${string}`) =>
    chain.publicClient.readContract({ address: chain.deployment.contracts.RewardToken, abi: rewardTokenAbi, functionName: 'balanceOf', args: [who] });
  const allowance = () =>
    chain.publicClient.readContract({
      address: chain.deployment.contracts.RewardToken,
      abi: rewardTokenAbi,
      functionName: 'allowance',
      args: [owner.address, chain.market],
    });

  it('signs an EIP-2612 permit that the RewardToken accepts', async () => {
    const d = deps();
    const deadline = (await laterNow(chain)) + 600n;
    const permit = await signPermit(d, { token: d.token, spender: chain.market, value: 1234n, deadline, chainId: chain.chainId });
    await sendTransaction(d, {
      address: d.token,
      abi: rewardTokenAbi,
      functionName: 'permit',
      args: [owner.address, chain.market, 1234n, deadline, permit.v, permit.r, permit.s],
    });
    expect(await allowance()).to.equal(1234n);
    await sendTransaction(d, { address: d.token, abi: rewardTokenAbi, functionName: 'approve', args: [chain.market, 0n] });
  });

  it('escrows slots × epochs × price in one transaction with a permit, the deal id being the file id', async () => {
    const dealId = randomFileId();
    const before = await balanceOf(owner.address);
    const opened = await openDeal(deps(), { dealId, quote });
    expect(opened.via).to.equal('permit');
    expect(opened.escrow).to.equal(2n * 12n * quote.pricePerSlotEpoch);
    expect(quote.pricePerSlotEpoch).to.equal((3n * 10n ** 18n) / 4n);
    expect(before - (await balanceOf(owner.address))).to.equal(opened.escrow);
    const deal = await readDeal(chain, { market: chain.market, dealId });
    expect(deal?.owner).to.equal(owner.address);
    expect(deal?.slots).to.equal(2);
    expect(deal?.bytesPerSlot).to.equal(quote.bytesPerSlot);
    expect(deal?.pricePerSlotEpoch).to.equal(quote.pricePerSlotEpoch);
    expect(deal?.endEpoch).to.equal(opened.endEpoch);
    expect(opened.endEpoch - opened.startEpoch).to.equal(12n);
    expect(await allowance()).to.equal(0n);
  });

  describe('when the permit cannot be used', () => {
    it('falls back to approve and openDeal', async () => {
      // The account signs transactions as the owner but typed data with another key: the permit is
      // invalid, the Marketplace's permit attempt fails, and there is no allowance to fall back on.
      const impostor = privateKeyToAccount(hardhatKey(12));
      const account = toAccount({
        address: owner.address,
        signMessage: owner.signMessage,
        signTransaction: owner.signTransaction,
        signTypedData: impostor.signTypedData,
      });
      const walletClient = createWalletClient({ chain: chain.chain, transport: http(chain.rpcUrl), account });
      const dealId = randomFileId();
      const before = await balanceOf(owner.address);
      const opened = await openDeal(deps(walletClient), { dealId, quote });
      expect(opened.via).to.equal('approve');
      expect(before - (await balanceOf(owner.address))).to.equal(quote.escrow);
      expect((await readDeal(chain, { market: chain.market, dealId }))?.owner).to.equal(owner.address);
    });
  });

  describe('when the chain refuses the deal', () => {
    it('names the revert: an owner without tokens gets ERC20InsufficientBalance with its arguments', async () => {
      const poorKey = hardhatKey(13);
      const poor = privateKeyToAccount(poorKey);
      const err = await openDeal(deps(chain.wallet(poorKey)), { dealId: randomFileId(), quote }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(DealOpenError);
      const cause = (err as DealOpenError).cause;
      expect(cause).to.be.instanceOf(ContractRevertError);
      expect((cause as ContractRevertError).functionName).to.equal('openDeal');
      expect((cause as ContractRevertError).errorName).to.equal('ERC20InsufficientBalance');
      expect((cause as ContractRevertError).args).to.deep.equal([poor.address, 0n, quote.escrow]);
    });

    it('names the revert for a deal id already in use', async () => {
      const dealId = randomFileId();
      await openDeal(deps(), { dealId, quote });
      const err = await openDeal(deps(), { dealId, quote }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(DealOpenError);
      expect(((err as DealOpenError).cause as ContractRevertError).errorName).to.equal('DealAlreadyExists');
      expect(((err as DealOpenError).cause as ContractRevertError).args).to.deep.equal([dealId]);
    });
  });
});
