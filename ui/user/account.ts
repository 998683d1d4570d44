import { formatTokens, shortAddress } from './format';
import { type DaemonClient, failure } from './session';

/** The token's symbol and decimals, once the account is read. */
export const token = { symbol: 'DHOST', decimals: 18 };

/** Shows the account, its token balance and its ETH for gas. */
export async function showAccount(api: DaemonClient): Promise<void> {
  const res = await api.api.account.$get();
  if (!res.ok) throw await failure(res);
  const a = await res.json();
  token.symbol = a.token.symbol;
  token.decimals = a.token.decimals;
  const address = document.getElementById('account-address') as HTMLElement;
  address.textContent = shortAddress(a.address);
  address.title = a.address;
  (document.getElementById('account-balance') as HTMLElement).textContent = formatTokens(a.token.balance, a.token.decimals, a.token.symbol);
  (document.getElementById('account-eth') as HTMLElement).textContent = formatTokens(a.ethBalance, 18, 'ETH', 4);
  (document.getElementById('account-chain') as HTMLElement).textContent = String(a.chainId);
}
