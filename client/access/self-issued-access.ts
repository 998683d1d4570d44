import type { Address, Hex, LocalAccount } from 'viem';
import { readTokensValidAfter } from '../../protocol/chain/market';
import { encodeRetrievalToken, signRetrievalToken, TOKEN_SCOPE } from '../../protocol/retrieval-token';
import type { ChainReader } from '../deal/chain-deps';
import type { ReadAccess } from './read-access';

/** How long the token a client signs for its own reads lives (one download or repair pass). */
export const SELF_ISSUED_TTL_SECONDS = 3_600;

/**
 * A short-lived bearer token the caller signs for its own reads of one deal: the owner downloading
 * its file, a read delegate, or a repair delegate (`scope: TOKEN_SCOPE.repair`). It opens every
 * column of that deal only, for `ttlSeconds` (default one hour), and is never shown or stored.
 * With `publicClient`, it is issued after the deal's last revoke-all even when the chain's clock
 * runs ahead of this machine's.
 *
 * @example
 * const access = await selfIssuedAccess({ account }, { chainId: 31337, market, dealId });
 * for await (const piece of download(deps, { handle, access })) out.write(piece);
 */
export async function selfIssuedAccess(
  deps: { account: Pick<LocalAccount, 'signTypedData'>; publicClient?: ChainReader; now?: () => number },
  params: { chainId: number; market: Address; dealId: Hex; scope?: number; ttlSeconds?: number },
): Promise<ReadAccess> {
  const now = deps.now ?? Date.now;
  const validAfter = deps.publicClient
    ? Number(await readTokensValidAfter({ publicClient: deps.publicClient }, { market: params.market, dealId: params.dealId }))
    : 0;
  const nowSeconds = Math.max(Math.floor(now() / 1000), validAfter + 1);
  const token = await signRetrievalToken(deps, {
    chainId: params.chainId,
    market: params.market,
    dealId: params.dealId,
    scope: params.scope ?? TOKEN_SCOPE.read,
    issuedAt: BigInt(nowSeconds),
    expiresAt: BigInt(nowSeconds + (params.ttlSeconds ?? SELF_ISSUED_TTL_SECONDS)),
  });
  return { token: encodeRetrievalToken(token), chainId: params.chainId };
}
