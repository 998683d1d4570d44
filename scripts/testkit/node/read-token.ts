import type { Address, Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { encodeRetrievalToken, type RetrievalToken, signRetrievalToken, TOKEN_HEADER } from '../../../protocol/retrieval-token';

/**
 * Signs a retrieval token for tests: by default the issuer's bearer read token for every column,
 * issued now, valid for an hour; any field can be overridden.
 *
 * @example
 * const { text } = await testToken({ chainId: 31337, market }, { issuerKey: ownerKey, dealId });
 */
export async function testToken(
  chain: { chainId: number; market: Address },
  p: {
    issuerKey: Hex;
    dealId: Hex;
    columns?: bigint | readonly number[];
    grantee?: Address;
    scope?: number;
    issuedAt?: bigint;
    expiresAt?: bigint;
    nonce?: Hex;
  },
): Promise<{ token: RetrievalToken; text: string }> {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const token = await signRetrievalToken(
    { account: privateKeyToAccount(p.issuerKey) },
    {
      chainId: chain.chainId,
      market: chain.market,
      dealId: p.dealId,
      columns: p.columns,
      grantee: p.grantee,
      scope: p.scope,
      issuedAt: p.issuedAt ?? now,
      expiresAt: p.expiresAt ?? (p.issuedAt ?? now) + 3_600n,
      nonce: p.nonce,
    },
  );
  return { token, text: encodeRetrievalToken(token) };
}

/**
 * The header that opens shard reads of a deal for its owner (a bearer token, an hour long).
 *
 * @example
 * const res = await app.request(shardPath(target), { headers: await ownerReadHeaders(chain, { ownerKey, dealId }) });
 */
export async function ownerReadHeaders(chain: { chainId: number; market: Address }, p: { ownerKey: Hex; dealId: Hex }): Promise<Record<string, string>> {
  const { text } = await testToken(chain, { issuerKey: p.ownerKey, dealId: p.dealId });
  return { [TOKEN_HEADER]: text };
}
