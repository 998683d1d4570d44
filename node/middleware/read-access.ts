import type { MiddlewareHandler } from 'hono';
import { type Address, type Hex, zeroAddress } from 'viem';
import { RetrievalTokenError, SignatureError } from '../../protocol/errors';
import { parseSlotId } from '../../protocol/ids';
import {
  decodeRetrievalToken,
  permissionsForScope,
  type RetrievalToken,
  recoverTokenIssuer,
  TOKEN_HEADER,
  TOKEN_QUERY,
  tokenCoversColumn,
} from '../../protocol/retrieval-token';
import { parseSignedHeaders, verifyRequest } from '../../protocol/signing';
import type { NodeEnv } from '../env';
import type { DealSource } from '../market/chain-deals';
import type { SlotIndex } from '../store/slot-index';

/** Most issuers the middleware remembers (the signature recovery is the costly step; the chain checks are cached in `deals`). */
const ISSUER_CACHE_SIZE = 4096;

/**
 * Guards shard reads with a retrieval token (protocol/retrieval-token.ts), taken from `?token=`
 * (signed URLs) or the `x-dhost-token` header. In order, each refusal a `RetrievalTokenError`:
 * no token (401 `TOKEN_REQUIRED`), not a token (400 `TOKEN_MALFORMED`), expired, issued in the
 * future beyond `maxSkewSeconds` of both this node's clock and the chain's, a slot this node does not hold (404, as without a token), another
 * deal than the slot's (`TOKEN_WRONG_DEAL`), a column outside the token's (`TOKEN_WRONG_COLUMN`),
 * a signature that recovers to nothing, a deal the chain does not know, an issuer that is neither
 * the owner nor a delegate with the permission the scope needs (`TOKEN_ISSUER_NOT_ALLOWED`), a
 * token revoked on chain (`TOKEN_REVOKED`), and, for a token with a grantee, a request not signed
 * by the grantee for this node and chain within the clock window (`TOKEN_GRANTEE_MISMATCH`).
 * Chain reads go through `deals` (cached for seconds, so a revocation takes effect within the
 * cache's expiry); issuers are remembered per token.
 *
 * @example
 * app.get('/slots/:slotId/shards/:index', readAccess({ index, deals, identity, market, now: Date.now, maxSkewSeconds: 300 }), handler);
 */
export function readAccess(options: {
  index: Pick<SlotIndex, 'getSlot'>;
  deals: Pick<DealSource, 'getDeal' | 'delegation' | 'tokenRevoked' | 'chainTime'>;
  identity: { address: Address; chainId: number };
  market: Address;
  now: () => number;
  maxSkewSeconds: number;
}): MiddlewareHandler<NodeEnv> {
  const issuers = new Map<string, Promise<Address>>();
  const issuerOf = (text: string, token: RetrievalToken): Promise<Address> => {
    let issuer = issuers.get(text);
    if (!issuer) {
      if (issuers.size >= ISSUER_CACHE_SIZE) issuers.delete(issuers.keys().next().value as string);
      issuer = recoverTokenIssuer({ chainId: options.identity.chainId, market: options.market }, token);
      issuers.set(text, issuer);
      issuer.catch(() => issuers.delete(text));
    }
    return issuer;
  };

  return async function readAccessMiddleware(c, next) {
    const slotId = parseSlotId(c.req.param('slotId') ?? '');
    const text = c.req.query(TOKEN_QUERY) ?? c.req.header(TOKEN_HEADER);
    if (!text) {
      throw new RetrievalTokenError(
        'TOKEN_REQUIRED',
        `shard reads need a retrieval token (?${TOKEN_QUERY}= or ${TOKEN_HEADER}); ask the file's owner for a share link`,
      );
    }
    const token = decodeRetrievalToken(text);
    const nowSeconds = BigInt(Math.floor(options.now() / 1000));
    if (token.expiresAt <= nowSeconds) {
      throw new RetrievalTokenError('TOKEN_EXPIRED', 'the retrieval token has expired', {
        details: { expiresAt: String(token.expiresAt), now: String(nowSeconds) },
      });
    }
    // Issued ahead of this node's clock: fine while within the skew of the chain's clock, which
    // revocations are recorded by (a token made just after a revoke-all is dated after it).
    if (token.issuedAt > nowSeconds + BigInt(options.maxSkewSeconds) && token.issuedAt > (await options.deals.chainTime()) + BigInt(options.maxSkewSeconds)) {
      throw new RetrievalTokenError('TOKEN_NOT_YET_VALID', 'the retrieval token was issued in the future', {
        details: { issuedAt: String(token.issuedAt), now: String(nowSeconds) },
      });
    }
    const slot = options.index.getSlot(slotId);
    // A slot this node does not hold: the route answers 404 as it would for anyone.
    if (slot) {
      if (slot.fileId !== token.dealId) {
        throw new RetrievalTokenError('TOKEN_WRONG_DEAL', 'the retrieval token is for another deal', { details: { slotId, tokenDeal: token.dealId } });
      }
      if (!tokenCoversColumn(token, slot.column)) {
        throw new RetrievalTokenError('TOKEN_WRONG_COLUMN', 'the retrieval token does not cover this column', { details: { slotId, column: slot.column } });
      }
      await checkIssuer(token, await issuerOf(text, token));
      if (await options.deals.tokenRevoked(token.dealId, token.nonce, token.issuedAt)) {
        throw new RetrievalTokenError('TOKEN_REVOKED', 'the deal owner revoked this retrieval token', { details: { nonce: token.nonce } });
      }
      if (token.grantee !== zeroAddress) await checkGrantee(token.grantee);
    }
    await next();

    async function checkIssuer(t: RetrievalToken, issuer: Address): Promise<void> {
      const deal = await options.deals.getDeal(t.dealId as Hex);
      if (!deal) throw new RetrievalTokenError('TOKEN_DEAL_UNKNOWN', 'the chain knows no deal with the token’s id', { details: { dealId: t.dealId } });
      if (issuer === deal.owner) return;
      const needed = permissionsForScope(t.scope);
      const granted = await options.deals.delegation(deal.owner, issuer);
      if ((granted & needed) !== needed) {
        throw new RetrievalTokenError('TOKEN_ISSUER_NOT_ALLOWED', 'the token was signed by neither the deal owner nor a delegate allowed to issue it', {
          details: { issuer, owner: deal.owner },
        });
      }
    }

    async function checkGrantee(grantee: Address): Promise<void> {
      const url = new URL(c.req.url);
      let signer: Address;
      try {
        signer = await verifyRequest(
          { now: options.now },
          {
            signed: parseSignedHeaders((name) => c.req.header(name)),
            method: c.req.method.toUpperCase(),
            pathAndQuery: url.pathname + url.search,
            node: options.identity.address,
            chainId: options.identity.chainId,
            maxSkewSeconds: options.maxSkewSeconds,
          },
        );
      } catch (cause) {
        if (!(cause instanceof SignatureError)) throw cause;
        throw new RetrievalTokenError('TOKEN_GRANTEE_MISMATCH', `the token is for ${grantee}; the request must be signed by it (${cause.code})`, {
          details: { grantee },
          cause,
        });
      }
      if (signer !== grantee) {
        throw new RetrievalTokenError('TOKEN_GRANTEE_MISMATCH', `the token is for ${grantee}, not for the request's signer`, { details: { grantee, signer } });
      }
    }
  };
}
