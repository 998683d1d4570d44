import type { Address } from 'viem';
import type { ChainReader, ChainWriter } from '../deal/chain-deps';
import { marketplaceAbi } from '../deal/marketplace-abi';
import { sendTransaction } from '../deal/send-transaction';

/**
 * Names (or, with `permissions: 0`, removes) a delegate of the wallet's account for all its deals:
 * `PERMISSION.read` lets it issue read tokens and share links, `PERMISSION.repair` lets it sign
 * assignments, write columns and read with repair tokens — a repair service that never holds the
 * file keys. A revert throws `ContractRevertError`.
 *
 * @example
 * await setDelegate({ publicClient, walletClient, market }, { delegate: repairer, permissions: PERMISSION.repair });
 */
export async function setDelegate(
  deps: { publicClient: ChainReader; walletClient: ChainWriter; market: Address },
  params: { delegate: Address; permissions: number; signal?: AbortSignal },
): Promise<void> {
  await sendTransaction(deps, {
    address: deps.market,
    abi: marketplaceAbi,
    functionName: 'setDelegate',
    args: [params.delegate, params.permissions],
    signal: params.signal,
  });
}
