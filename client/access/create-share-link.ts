import { type Address, isAddressEqual, type LocalAccount } from 'viem';
import { readDeal, readDelegation, readTokensValidAfter } from '../../protocol/chain/market';
import { encodeRetrievalToken, PERMISSION, type RetrievalToken, signRetrievalToken } from '../../protocol/retrieval-token';
import type { ChainReader } from '../deal/chain-deps';
import { DealNotFoundError, ReadAccessError } from '../errors';
import { formatShareLink, parseLink } from '../share-link';

/** A share link and the token inside it (its nonce is what `revokeToken` takes). */
export interface ShareLink {
  link: string;
  token: RetrievalToken;
}

/**
 * Makes a share link for a file: its handle (key in the fragment) plus a read token the caller
 * signs — the deal's owner, or a delegate the owner gave the read permission — valid for
 * `expiresInSeconds`, for any bearer or only for `grantee` (who must then sign each request), and
 * optionally only some columns. Nothing is sent to the chain; revoke with `revokeToken`.
 *
 * @example
 * const { link } = await createShareLink({ account, publicClient }, { chainId, market, handle, expiresInSeconds: 86_400 });
 */
export async function createShareLink(
  deps: { account: Pick<LocalAccount, 'address' | 'signTypedData'>; publicClient: ChainReader; now?: () => number },
  params: { chainId: number; market: Address; handle: string; expiresInSeconds: number; grantee?: Address; columns?: readonly number[] },
): Promise<ShareLink> {
  const { location, handle } = parseLink(params.handle);
  if (!Number.isInteger(params.expiresInSeconds) || params.expiresInSeconds < 1) {
    throw new ReadAccessError('NO_READ_ACCESS', 'a share link needs a positive lifetime in seconds', {
      details: { expiresInSeconds: params.expiresInSeconds },
    });
  }
  const deal = await readDeal(deps, { market: params.market, dealId: location.dealId });
  if (!deal) throw new DealNotFoundError(`no deal ${location.dealId} on chain`, { details: { dealId: location.dealId } });
  if (!isAddressEqual(deal.owner, deps.account.address)) {
    const granted = await readDelegation(deps, { market: params.market, owner: deal.owner, delegate: deps.account.address });
    if ((granted & PERMISSION.read) === 0) {
      throw new ReadAccessError('NO_READ_ACCESS', `only the owner ${deal.owner} or its read delegates can share this file`, {
        details: { owner: deal.owner, account: deps.account.address },
      });
    }
  }
  const now = deps.now ?? Date.now;
  // After a revoke-all, a new token must be issued after it (the chain's clock may run ahead of ours).
  const validAfter = Number(await readTokensValidAfter(deps, { market: params.market, dealId: location.dealId }));
  const issuedAt = Math.max(Math.floor(now() / 1000), validAfter + 1);
  const token = await signRetrievalToken(deps, {
    chainId: params.chainId,
    market: params.market,
    dealId: location.dealId,
    columns: params.columns,
    grantee: params.grantee,
    issuedAt: BigInt(issuedAt),
    expiresAt: BigInt(issuedAt + params.expiresInSeconds),
  });
  return { link: formatShareLink({ handle, tokenText: encodeRetrievalToken(token) }), token };
}
