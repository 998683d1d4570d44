import type { Address } from 'viem';
import { type DealView, readDeal } from '../../protocol/chain/market';
import type { FileId } from '../../protocol/ids';
import { DealNotFoundError } from '../errors';
import type { ChainReader, ChainWriter } from './chain-deps';
import { marketplaceAbi } from './marketplace-abi';
import { sendTransaction } from './send-transaction';

/**
 * Cancels a deal early (owner only): hosts are paid to date plus the Marketplace's minimum for
 * their fill; with `withdraw` (default true) the unearned escrow is then taken back at once
 * (`withdrawRefund`). Returns the deal as it stands after. No such deal: `DealNotFoundError`; a
 * revert: `ContractRevertError`.
 *
 * @example
 * await cancelDeal({ publicClient, walletClient, market }, { dealId });
 */
export async function cancelDeal(
  deps: { publicClient: ChainReader; walletClient: ChainWriter; market: Address },
  params: { dealId: FileId; withdraw?: boolean; signal?: AbortSignal },
): Promise<DealView> {
  const before = await readDeal(deps, { market: deps.market, dealId: params.dealId });
  if (!before) throw new DealNotFoundError(`no deal ${params.dealId} on chain`, { details: { dealId: params.dealId } });
  await sendTransaction(deps, { address: deps.market, abi: marketplaceAbi, functionName: 'cancelDeal', args: [params.dealId], signal: params.signal });
  if (params.withdraw ?? true) {
    await sendTransaction(deps, { address: deps.market, abi: marketplaceAbi, functionName: 'withdrawRefund', args: [params.dealId], signal: params.signal });
  }
  return (await readDeal(deps, { market: deps.market, dealId: params.dealId })) as DealView;
}
