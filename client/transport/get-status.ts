import { defaults } from '../../protocol/config';
import { type NodeStatus, nodeStatusSchema } from '../../protocol/wire';
import { PeerRequestError } from '../errors';
import type { HttpRequester } from './http-requester';
import { peerRequest } from './request';

/**
 * Asks a peer for `GET /status` and measures the round trip (milliseconds, the whole exchange).
 * Throws `PeerRequestError` (code `BAD_RESPONSE` when the body is not a node status).
 *
 * @example
 * const { status, rttMs } = await getStatus({}, { endpoint: 'http://127.0.0.1:7001' });
 */
export async function getStatus(
  deps: { request?: HttpRequester; now?: () => number },
  params: { endpoint: string; timeoutMs?: number; signal?: AbortSignal },
): Promise<{ status: NodeStatus; rttMs: number }> {
  const now = deps.now ?? (() => performance.now());
  const started = now();
  const res = await peerRequest(deps, {
    endpoint: params.endpoint,
    method: 'GET',
    path: '/status',
    timeoutMs: params.timeoutMs ?? defaults.statusTimeoutMs,
    maxBytes: 64 * 1024,
    signal: params.signal,
  });
  const rttMs = now() - started;
  let parsed: ReturnType<typeof nodeStatusSchema.safeParse> | undefined;
  try {
    parsed = nodeStatusSchema.safeParse(JSON.parse(Buffer.from(res.body).toString('utf8')));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) {
    throw new PeerRequestError({
      endpoint: params.endpoint,
      method: 'GET',
      path: '/status',
      status: res.status,
      peerCode: 'BAD_RESPONSE',
      message: 'answer is not a node status',
    });
  }
  return { status: parsed.data, rttMs };
}
