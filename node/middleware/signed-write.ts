import type { MiddlewareHandler } from 'hono';
import type { Address } from 'viem';
import { SignatureError } from '../../protocol/errors';
import { parseSignedHeaders, type RecoverAddress, verifyRequest } from '../../protocol/signing';
import type { NodeEnv } from '../env';
import type { NonceStore } from '../store/nonce-store';

/**
 * Authenticates a signed write: reads the `x-dhost-*` headers, verifies the signature over the
 * method, the path and query exactly as received, the declared content hash, this node's address
 * and chain id, checks freshness, and records the nonce in the same step (a replayed nonce is
 * refused even when its first use later failed: clients use a fresh nonce per attempt). Sets
 * `signer` and `contentSha256`; the route must check the body against the latter.
 * Any failure is a `SignatureError` (401) and the route never runs.
 *
 * @example
 * app.put('/slots/:slotId/shards/:index', signedWrite({ identity, nonces, now: Date.now, maxSkewSeconds: 300 }), handler);
 */
export function signedWrite(options: {
  identity: { address: Address; chainId: number };
  nonces: Pick<NonceStore, 'remember'>;
  now: () => number;
  maxSkewSeconds: number;
  /** Signature recovery (default viem's; the node passes libsecp256k1's, `createRecoverAddress`). */
  recoverAddress?: RecoverAddress;
}): MiddlewareHandler<NodeEnv> {
  return async function signedWriteMiddleware(c, next) {
    const signed = parseSignedHeaders((name) => c.req.header(name));
    const url = new URL(c.req.url);
    const signer = await verifyRequest(
      { now: options.now, recoverAddress: options.recoverAddress },
      {
        signed,
        method: c.req.method.toUpperCase(),
        pathAndQuery: url.pathname + url.search,
        node: options.identity.address,
        chainId: options.identity.chainId,
        maxSkewSeconds: options.maxSkewSeconds,
      },
    );
    const nowSeconds = Math.floor(options.now() / 1000);
    if (!options.nonces.remember({ signer, nonce: signed.nonce, expiresAt: nowSeconds + 2 * options.maxSkewSeconds })) {
      throw new SignatureError('REPLAYED_SIGNATURE', 'this nonce was already used by this signer', { details: { nonce: signed.nonce } });
    }
    c.set('signer', signer);
    c.set('contentSha256', signed.contentSha256);
    await next();
  };
}
