import type { Address, Hex } from 'viem';
import type { FileId } from '../../protocol/ids';
import type { ChainReader, ChainWriter } from '../deal/chain-deps';
import { marketplaceAbi } from '../deal/marketplace-abi';
import { sendTransaction } from '../deal/send-transaction';

/**
 * Revokes retrieval tokens of a deal on chain (owner or read delegate): one token by its nonce,
 * or with `all` every token issued up to this block's time. Nodes refuse them once their cached
 * chain read expires (seconds). A revert throws `ContractRevertError`.
 *
 * @example
 * await revokeTokens({ publicClient, walletClient, market }, { dealId, nonce: token.nonce });
 * await revokeTokens({ publicClient, walletClient, market }, { dealId, all: true });
 */
export async function revokeTokens(
  deps: { publicClient: ChainReader; walletClient: ChainWriter; market: Address },
  params: { dealId: FileId; nonce?: Hex; all?: boolean; signal?: AbortSignal },
): Promise<void> {
  if (params.all) {
    await sendTransaction(deps, { address: deps.market, abi: marketplaceAbi, functionName: 'revokeAllTokens', args: [params.dealId], signal: params.signal });
    return;
  }
  if (!params.nonce) throw new TypeError('revokeTokens needs a nonce, or all: true');
  await sendTransaction(deps, {
    address: deps.market,
    abi: marketplaceAbi,
    functionName: 'revokeToken',
    args: [params.dealId, params.nonce],
    signal: params.signal,
  });
}
