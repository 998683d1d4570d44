import type { Hex, TransactionReceipt } from 'viem';
import type { FileId } from '../../protocol/ids';
import type { ChainReader, ChainWriter } from './chain-deps';
import { marketplaceAbi } from './marketplace-abi';
import { sendTransaction } from './send-transaction';

/**
 * Commits a deal's root — the tree over its slot roots (`dealRootOf`) — and the segment count all
 * its columns share. The chain keeps only this root; each peer is then told its own slot root and
 * proof (`putSlotCommit`) and fills its slot once the root of what it received is in it. Owner
 * only, once. A revert throws `ContractRevertError`.
 *
 * @example
 * await commitRoot({ publicClient, walletClient, market }, { dealId, root: bytesToHex(dealRootOf(keccak, slotRoots)), segmentCount: 2049n });
 */
export async function commitRoot(
  deps: { publicClient: ChainReader; walletClient: ChainWriter; market: Hex },
  params: { dealId: FileId; root: Hex; segmentCount: bigint; signal?: AbortSignal },
): Promise<TransactionReceipt> {
  return sendTransaction(deps, {
    address: deps.market,
    abi: marketplaceAbi,
    functionName: 'commitRoot',
    args: [params.dealId, params.root, params.segmentCount],
    signal: params.signal,
  });
}
