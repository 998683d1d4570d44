import { type Address, isAddressEqual, type LocalAccount, zeroAddress } from 'viem';
import { readDeal, readDelegation } from '../../protocol/chain/market';
import { PERMISSION } from '../../protocol/retrieval-token';
import type { ChainReader } from '../deal/chain-deps';
import { DealNotFoundError, ReadAccessError } from '../errors';
import type { ParsedLink } from '../share-link';
import type { ReadAccess } from './read-access';
import { selfIssuedAccess } from './self-issued-access';

/**
 * How the caller may read the file a handle or share link names. A link's token is used as it
 * is (a grantee-bound one co-signed by `account`, which must be the grantee: `NOT_GRANTEE`
 * otherwise); for a bare handle, the owner or a read delegate signs a short bearer token itself,
 * and anyone else gets `ReadAccessError('NO_READ_ACCESS')` before a peer is asked.
 *
 * @example
 * const access = await accessForLink({ account, publicClient }, { chainId, market, link: parseLink(text) });
 * await downloadToFile({ peers, marketplace, access }, { handle: text, outPath });
 */
export async function accessForLink(
  deps: { account?: Pick<LocalAccount, 'address' | 'signMessage' | 'signTypedData'>; publicClient: ChainReader; now?: () => number },
  params: { chainId: number; market: Address; link: ParsedLink },
): Promise<ReadAccess> {
  const { link } = params;
  if (link.token && link.tokenText) {
    if (isAddressEqual(link.token.grantee, zeroAddress)) return { token: link.tokenText, chainId: params.chainId };
    if (!deps.account || !isAddressEqual(deps.account.address, link.token.grantee)) {
      throw new ReadAccessError('NOT_GRANTEE', `this share link is for ${link.token.grantee}: download it with that account's key`, {
        details: { grantee: link.token.grantee, account: deps.account?.address },
      });
    }
    return { token: link.tokenText, chainId: params.chainId, signer: deps.account };
  }
  const dealId = link.location.dealId;
  const deal = await readDeal(deps, { market: params.market, dealId });
  if (!deal) throw new DealNotFoundError(`no deal ${dealId} on chain`, { details: { dealId } });
  const account = deps.account;
  const allowed =
    account !== undefined &&
    (isAddressEqual(deal.owner, account.address) ||
      ((await readDelegation(deps, { market: params.market, owner: deal.owner, delegate: account.address })) & PERMISSION.read) !== 0);
  if (!account || !allowed) {
    throw new ReadAccessError(
      'NO_READ_ACCESS',
      `only the owner ${deal.owner} or its read delegates can read this file with the handle alone: ask the owner for a share link (dhost share)`,
      {
        details: { owner: deal.owner, account: account?.address },
      },
    );
  }
  return selfIssuedAccess({ account, publicClient: deps.publicClient, now: deps.now }, { chainId: params.chainId, market: params.market, dealId });
}
