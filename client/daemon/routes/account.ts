import { Hono } from 'hono';
import { rewardTokenAbi } from '../../../protocol/chain/generated/abis';
import type { DaemonDeps } from '../daemon-deps';

/**
 * `GET /account`: the user's address, chain id, reward-token balance (wei, with the token's
 * symbol and decimals) and ETH balance (wei, for gas). Big numbers are decimal strings.
 *
 * @example
 * new Hono().route('/api', accountRoute(deps));
 */
export function accountRoute(deps: DaemonDeps) {
  return new Hono().get('/account', async (c) => {
    const token = deps.contracts.token;
    const owner = deps.account.address;
    const [tokenBalance, symbol, decimals, ethBalance] = await Promise.all([
      deps.publicClient.readContract({ address: token, abi: rewardTokenAbi, functionName: 'balanceOf', args: [owner] }),
      deps.publicClient.readContract({ address: token, abi: rewardTokenAbi, functionName: 'symbol' }),
      deps.publicClient.readContract({ address: token, abi: rewardTokenAbi, functionName: 'decimals' }),
      deps.publicClient.getBalance({ address: owner }),
    ]);
    return c.json({
      address: owner,
      chainId: deps.chainId,
      token: { address: token, symbol, decimals: Number(decimals), balance: tokenBalance.toString() },
      ethBalance: ethBalance.toString(),
    });
  });
}
