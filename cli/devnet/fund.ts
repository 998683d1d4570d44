import { type Address, type Chain, createWalletClient, type Hex, http, type PublicClient, parseEther, type Transport } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { rewardTokenAbi } from '../../protocol/chain/generated/abis';
import { hardhatKey } from './accounts';

/**
 * Sends each recipient `tokens` reward tokens (a plain ERC-20 transfer) and, when asked, some ETH
 * for gas, from the funder's key (default: the development chain's first account); waits for every
 * receipt. Recipients are addresses, or the private keys of the accounts to fund.
 *
 * @example
 * await fundAccounts({ publicClient, chain }, { token, recipients: operatorKeys, tokens: 10_000n * 10n ** 18n, eth: '10' });
 */
export async function fundAccounts(
  deps: { publicClient: PublicClient<Transport, Chain>; chain: Chain },
  params: { funderKey?: Hex; token: Address; recipients: (Address | Hex)[]; tokens: bigint; eth?: string },
): Promise<void> {
  const wallet = createWalletClient({
    account: privateKeyToAccount(params.funderKey ?? hardhatKey(0)),
    chain: deps.chain,
    transport: http(deps.chain.rpcUrls.default.http[0]),
  });
  // A 32-byte value is a key (its account is funded), a 20-byte one an address.
  const addresses = params.recipients.map((r) => (r.length === 66 ? privateKeyToAccount(r).address : (r as Address)));
  for (const to of addresses) {
    const tx = await wallet.writeContract({ address: params.token, abi: rewardTokenAbi, functionName: 'transfer', args: [to, params.tokens] });
    await deps.publicClient.waitForTransactionReceipt({ hash: tx });
    if (params.eth) {
      const ethTx = await wallet.sendTransaction({ to, value: parseEther(params.eth) });
      await deps.publicClient.waitForTransactionReceipt({ hash: ethTx });
    }
  }
}
