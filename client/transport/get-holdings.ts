import { defaults } from '../../protocol/config';
import type { FileId } from '../../protocol/ids';
import { type FileHoldings, fileHoldingsSchema } from '../../protocol/wire';
import { PeerRequestError } from '../errors';
import type { HttpRequester } from './http-requester';
import { peerRequest } from './request';

/** Largest holdings listing accepted: ~100 bytes per shard for a few columns of a 100k-chunk file. */
const MAX_HOLDINGS_BYTES = 64 * 1024 * 1024;

/**
 * Asks a peer what it holds of a file (`GET /files/:fileId`) and measures the round trip. A 404
 * answer means "nothing" (empty slot list). Throws `PeerRequestError`.
 *
 * @example
 * const { holdings, rttMs } = await getHoldings({}, { endpoint, fileId });
 */
export async function getHoldings(
  deps: { request?: HttpRequester; now?: () => number },
  params: { endpoint: string; fileId: FileId; timeoutMs?: number; signal?: AbortSignal },
): Promise<{ holdings: FileHoldings; rttMs: number }> {
  const now = deps.now ?? (() => performance.now());
  const path = `/files/${params.fileId}`;
  const started = now();
  let body: Uint8Array;
  try {
    body = (
      await peerRequest(deps, {
        endpoint: params.endpoint,
        method: 'GET',
        path,
        timeoutMs: params.timeoutMs ?? defaults.statusTimeoutMs,
        maxBytes: MAX_HOLDINGS_BYTES,
        signal: params.signal,
      })
    ).body;
  } catch (err) {
    if (err instanceof PeerRequestError && err.status === 404) return { holdings: { fileId: params.fileId, slots: [] }, rttMs: now() - started };
    throw err;
  }
  const rttMs = now() - started;
  let parsed: ReturnType<typeof fileHoldingsSchema.safeParse> | undefined;
  try {
    parsed = fileHoldingsSchema.safeParse(JSON.parse(Buffer.from(body).toString('utf8')));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success || parsed.data.fileId !== params.fileId) {
    throw new PeerRequestError({
      endpoint: params.endpoint,
      method: 'GET',
      path,
      status: 200,
      peerCode: 'BAD_RESPONSE',
      message: 'answer is not the holdings of this file',
    });
  }
  return { holdings: parsed.data, rttMs };
}
