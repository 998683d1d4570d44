import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Address } from 'viem';
import { SignatureError } from '../../protocol/errors';
import { EMPTY_SHA256, parseSignedHeaders, SIGNED_HEADERS, verifyRequest } from '../../protocol/signing';
import type { NodeEnv } from '../env';
import { ForbiddenError, OperatorKeyError } from '../errors';
import type { NonceStore } from '../store/nonce-store';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Whether a request carries any of the signed-request headers (then it is judged as a signed request only). */
function isSigned(header: (name: string) => string | undefined): boolean {
  return header(SIGNED_HEADERS.signature) !== undefined || header(SIGNED_HEADERS.address) !== undefined;
}

/**
 * Guards operator-only routes. Two ways in:
 * - a request signed by the node's own operator key with the signed-request scheme
 *   (`protocol/signing.ts`: method, path and query as received, the empty body's SHA-256, this
 *   node's address and chain id, a timestamp within `maxSkewSeconds`, a nonce remembered in the
 *   node's SQLite nonce store so that it is refused when replayed, even after a restart);
 * - `Authorization: Bearer <api key>`, compared in constant time on SHA-256 digests, when the node
 *   has an API key (without one only signed requests are accepted).
 *
 * Refusals: no credentials → 401 `OPERATOR_KEY_MISSING`; a wrong key → 401 `OPERATOR_KEY_INVALID`;
 * a bearer token on a node without an API key → 403 `OPERATOR_DISABLED`; a bad, stale or replayed
 * signature → 401 (`BAD_SIGNATURE`, `STALE_SIGNATURE`, `REPLAYED_SIGNATURE`, …); a valid signature
 * by another key → 403 `NOT_OPERATOR` (its nonce is not remembered).
 *
 * @example
 * app.get('/operator/status', operatorAuth({ apiKey, identity, nonces, now: Date.now, maxSkewSeconds: 300 }), handler);
 */
export function operatorAuth(options: {
  apiKey?: string;
  identity: { address: Address; chainId: number };
  nonces: Pick<NonceStore, 'remember'>;
  now: () => number;
  maxSkewSeconds: number;
}): MiddlewareHandler<NodeEnv> {
  const expected = options.apiKey ? digest(options.apiKey) : undefined;
  return async function operatorAuthMiddleware(c, next) {
    const header = (name: string) => c.req.header(name);
    if (isSigned(header)) {
      const signed = parseSignedHeaders(header);
      const url = new URL(c.req.url);
      const signer = await verifyRequest(
        { now: options.now },
        {
          signed,
          method: c.req.method.toUpperCase(),
          pathAndQuery: url.pathname + url.search,
          node: options.identity.address,
          chainId: options.identity.chainId,
          maxSkewSeconds: options.maxSkewSeconds,
        },
      );
      if (signer.toLowerCase() !== options.identity.address.toLowerCase()) {
        throw new ForbiddenError('NOT_OPERATOR', `${signer} is not this node's operator`, { details: { signer } });
      }
      if (signed.contentSha256 !== EMPTY_SHA256) {
        throw new SignatureError('BAD_SIGNATURE', 'operator requests carry no body: sign the SHA-256 of the empty body');
      }
      const nowSeconds = Math.floor(options.now() / 1000);
      if (!options.nonces.remember({ signer, nonce: signed.nonce, expiresAt: nowSeconds + 2 * options.maxSkewSeconds })) {
        throw new SignatureError('REPLAYED_SIGNATURE', 'this nonce was already used by this signer', { details: { nonce: signed.nonce } });
      }
      c.set('signer', signer);
      return next();
    }
    const match = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '');
    if (!match) {
      throw new OperatorKeyError(
        'OPERATOR_KEY_MISSING',
        expected
          ? 'operator routes need Authorization: Bearer <api key> or a request signed by the operator key'
          : 'operator routes need a request signed by the operator key (this node has no API key)',
      );
    }
    if (!expected)
      throw new ForbiddenError('OPERATOR_DISABLED', 'API keys are disabled: the node was started without one; sign the request with the operator key');
    if (!timingSafeEqual(digest(match[1]), expected)) throw new OperatorKeyError('OPERATOR_KEY_INVALID', 'the API key is wrong');
    await next();
  };
}
