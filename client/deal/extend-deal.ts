import { rewardTokenAbi } from '../../protocol/chain/generated/abis';
import { type DealView, readDeal } from '../../protocol/chain/market';
import type { FileId } from '../../protocol/ids';
import { DealNotFoundError } from '../errors';
import type { ChainReader, ChainWriter, MarketContracts } from './chain-deps';
import { marketplaceAbi } from './marketplace-abi';
import { sendTransaction } from './send-transaction';

/**
 * Extends a deal by `extraEpochs` before it ends, paying `slots × extraEpochs × pricePerSlotEpoch`
 * more into escrow (approve first when the allowance does not cover it). Owner only. Returns the
 * deal as it stands after. No such deal: `DealNotFoundError`; a revert: `ContractRevertError`.
 *
 * @example
 * const deal = await extendDeal({ publicClient, walletClient, market, token }, { dealId, extraEpochs: 30 });
 * console.log(`now ends at epoch ${deal.endEpoch}`);
 */
export async function extendDeal(
  deps: MarketContracts & { publicClient: ChainReader; walletClient: ChainWriter },
  params: { dealId: FileId; extraEpochs: number; signal?: AbortSignal },
): Promise<DealView> {
  const before = await readDeal(deps, { market: deps.market, dealId: params.dealId });
  if (!before) throw new DealNotFoundError(`no deal ${params.dealId} on chain`, { details: { dealId: params.dealId } });
  const cost = BigInt(before.slots) * BigInt(params.extraEpochs) * before.pricePerSlotEpoch;
  const owner = deps.walletClient.account.address;
  const allowance = await deps.publicClient.readContract({ address: deps.token, abi: rewardTokenAbi, functionName: 'allowance', args: [owner, deps.market] });
  if (allowance < cost) {
    await sendTransaction(deps, { address: deps.token, abi: rewardTokenAbi, functionName: 'approve', args: [deps.market, cost], signal: params.signal });
  }
  await sendTransaction(deps, {
    address: deps.market,
    abi: marketplaceAbi,
    functionName: 'extendDeal',
    args: [params.dealId, params.extraEpochs],
    signal: params.signal,
  });
  return (await readDeal(deps, { market: deps.market, dealId: params.dealId })) as DealView;
}
