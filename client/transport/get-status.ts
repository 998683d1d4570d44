import type { Address } from 'viem';
import { defaults } from '../../protocol/config';
import { SignatureError } from '../../protocol/errors';
import { verifyStatus } from '../../protocol/status-signing';
import { type NodeStatus, nodeStatusSchema } from '../../protocol/wire';
import { PeerRequestError } from '../errors';
import type { HttpRequester } from './http-requester';
import { peerRequest } from './request';

/** Oldest signed status accepted: five minutes, the signed-request window. */
export const STATUS_MAX_AGE_SECONDS = 300;

/**
 * Asks a peer for `GET /status` and measures the round trip (milliseconds, the whole exchange).
 * Throws `PeerRequestError` (code `BAD_RESPONSE` when the body is not a node status).
 *
 * With `expectedSigner` (the operator registered on chain for that endpoint) the status must be
 * signed by that key over its own fields, the chain id (`chainId`, when given, must match) and
 * `signedAt` — at most `STATUS_MAX_AGE_SECONDS` old and not more than 30 s in the future by the
 * local clock (`deps.clock`, default `Date.now`). Otherwise — unsigned, another signer, altered,
 * another chain, stale — it throws `PeerRequestError` with peerCode `STATUS_SIGNATURE_INVALID`.
 *
 * @example
 * const { status, rttMs } = await getStatus({}, { endpoint: 'http://127.0.0.1:7001', expectedSigner: peer.operator, chainId: 31337 });
 */
export async function getStatus(
  deps: { request?: HttpRequester; now?: () => number; clock?: () => number },
  params: { endpoint: string; timeoutMs?: number; signal?: AbortSignal; expectedSigner?: Address; chainId?: number },
): Promise<{ status: NodeStatus; rttMs: number }> {
  const now = deps.now ?? (() => performance.now());
  const started = now();
  const res = await peerRequest(
    { request: deps.request, clock: deps.clock },
    {
      endpoint: params.endpoint,
      method: 'GET',
      path: '/status',
      timeoutMs: params.timeoutMs ?? defaults.statusTimeoutMs,
      maxBytes: 64 * 1024,
      signal: params.signal,
    },
  );
  const rttMs = now() - started;
  let parsed: ReturnType<typeof nodeStatusSchema.safeParse> | undefined;
  try {
    parsed = nodeStatusSchema.safeParse(JSON.parse(Buffer.from(res.body).toString('utf8')));
  } catch {
    parsed = undefined;
  }
  const refuse = (peerCode: string, message: string, cause?: unknown) =>
    new PeerRequestError({ endpoint: params.endpoint, method: 'GET', path: '/status', status: res.status, peerCode, message }, { cause });
  if (!parsed?.success) throw refuse('BAD_RESPONSE', 'answer is not a node status');
  if (params.expectedSigner !== undefined) {
    try {
      await verifyStatus({
        status: parsed.data,
        expectedSigner: params.expectedSigner,
        chainId: params.chainId,
        nowSeconds: Math.floor((deps.clock ?? Date.now)() / 1000),
        maxAgeSeconds: STATUS_MAX_AGE_SECONDS,
      });
    } catch (err) {
      if (!(err instanceof SignatureError)) throw err;
      throw refuse('STATUS_SIGNATURE_INVALID', err.message, err);
    }
  }
  return { status: parsed.data, rttMs };
}
