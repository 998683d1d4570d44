import type { Hex, TransactionReceipt } from 'viem';
import type { FileId } from '../../protocol/ids';
import type { ChainReader, ChainWriter } from './chain-deps';
import { marketplaceAbi } from './marketplace-abi';
import { sendTransaction } from './send-transaction';

/**
 * Commits a deal's slot roots (one per column, in column order) and their common segment count;
 * the Marketplace stores the deal root over them, and each peer fills its slot once the root of
 * what it received is in it. Owner only, once. A revert throws `ContractRevertError`.
 *
 * @example
 * await commitRoot({ publicClient, walletClient, market }, { dealId, slotRoots, segmentCount: 2049n });
 */
export async function commitRoot(
  deps: { publicClient: ChainReader; walletClient: ChainWriter; market: Hex },
  params: { dealId: FileId; slotRoots: readonly Hex[]; segmentCount: bigint; signal?: AbortSignal },
): Promise<TransactionReceipt> {
  return sendTransaction(deps, {
    address: deps.market,
    abi: marketplaceAbi,
    functionName: 'commitRoot',
    args: [params.dealId, params.slotRoots, params.segmentCount],
    signal: params.signal,
  });
}
