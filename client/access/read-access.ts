import type { Address, LocalAccount } from 'viem';
import { TOKEN_HEADER } from '../../protocol/retrieval-token';
import { EMPTY_SHA256, signRequest } from '../../protocol/signing';
import { ReadAccessError } from '../errors';

/**
 * What a client shows a node to read shards: an encoded retrieval token and, when the token names
 * a grantee, the grantee's account that co-signs each request for that node and chain.
 */
export interface ReadAccess {
  /** The token as `encodeRetrievalToken` writes it. */
  token: string;
  /** The chain the nodes serve (part of each co-signed request). */
  chainId: number;
  /** The grantee's account, for a token that names one. */
  signer?: Pick<LocalAccount, 'address' | 'signMessage'>;
}

/**
 * The headers that open a shard read at one node: the token, and for a grantee-bound token the
 * grantee's signature over the request (method, path and query, node address, chain id, time,
 * nonce). Throws `ReadAccessError('NODE_UNKNOWN')` when a co-signature is needed and the node's
 * address is not known.
 *
 * @example
 * const headers = await readAccessHeaders(access, { method: 'GET', pathAndQuery: '/slots/0x…/shards/0', node: holder.operator });
 */
export async function readAccessHeaders(
  access: ReadAccess | undefined,
  params: { method: 'GET' | 'HEAD'; pathAndQuery: string; node?: Address },
): Promise<Record<string, string>> {
  if (!access) return {};
  const headers: Record<string, string> = { [TOKEN_HEADER]: access.token };
  if (!access.signer) return headers;
  if (!params.node) {
    throw new ReadAccessError('NODE_UNKNOWN', 'this token must be co-signed for each node, and the node’s address is not known', {
      details: { path: params.pathAndQuery },
    });
  }
  const signed = await signRequest(
    { account: access.signer },
    { method: params.method, pathAndQuery: params.pathAndQuery, contentSha256: EMPTY_SHA256, node: params.node, chainId: access.chainId },
  );
  return { ...headers, ...signed };
}
