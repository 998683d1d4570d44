import { type Address, type Chain, createWalletClient, type Hex, http, type PublicClient, parseEther, type Transport } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { rewardTokenAbi } from '../../protocol/chain/generated/abis';

/**
 * Sends each recipient `tokens` reward tokens (a plain ERC-20 transfer) and, when asked, some ETH
 * for gas, from the funder's key; waits for every receipt.
 *
 * @example
 * await fundAccounts({ publicClient, chain }, { funderKey, token, recipients, tokens: 10_000n * 10n ** 18n, eth: '10' });
 */
export async function fundAccounts(
  deps: { publicClient: PublicClient<Transport, Chain>; chain: Chain },
  params: { funderKey: Hex; token: Address; recipients: Address[]; tokens: bigint; eth?: string },
): Promise<void> {
  const wallet = createWalletClient({ account: privateKeyToAccount(params.funderKey), chain: deps.chain, transport: http(deps.chain.rpcUrls.default.http[0]) });
  for (const to of params.recipients) {
    const tx = await wallet.writeContract({ address: params.token, abi: rewardTokenAbi, functionName: 'transfer', args: [to, params.tokens] });
    await deps.publicClient.waitForTransactionReceipt({ hash: tx });
    if (params.eth) {
      const ethTx = await wallet.sendTransaction({ to, value: parseEther(params.eth) });
      await deps.publicClient.waitForTransactionReceipt({ hash: ethTx });
    }
  }
}
