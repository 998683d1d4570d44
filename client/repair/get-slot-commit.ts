import { defaults } from '../../protocol/config';
import type { SlotId } from '../../protocol/ids';
import { type SlotCommit, slotCommitSchema } from '../../protocol/wire';
import { PeerRequestError } from '../errors';
import type { HttpRequester } from '../transport/http-requester';
import { peerRequest } from '../transport/request';

/**
 * Asks a holder for the commit notice it recorded for a slot (`GET /slots/:slotId/commit`, public):
 * the slot root, its proof in the deal root and the segment count, with the round trip in
 * milliseconds. The caller checks the proof against the chain. Throws `PeerRequestError` (404
 * `COMMIT_NOT_FOUND` when the holder has none).
 *
 * @example
 * const { commit, rttMs } = await getSlotCommit({}, { endpoint, slotId });
 */
export async function getSlotCommit(
  deps: { request?: HttpRequester; now?: () => number },
  params: { endpoint: string; slotId: SlotId; timeoutMs?: number; signal?: AbortSignal },
): Promise<{ commit: SlotCommit; rttMs: number }> {
  const now = deps.now ?? (() => performance.now());
  const path = `/slots/${params.slotId}/commit`;
  const started = now();
  const res = await peerRequest(deps, {
    endpoint: params.endpoint,
    method: 'GET',
    path,
    timeoutMs: params.timeoutMs ?? defaults.statusTimeoutMs,
    maxBytes: 64 * 1024,
    signal: params.signal,
  });
  const rttMs = now() - started;
  let parsed: ReturnType<typeof slotCommitSchema.safeParse> | undefined;
  try {
    parsed = slotCommitSchema.safeParse(JSON.parse(Buffer.from(res.body).toString('utf8')));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) {
    throw new PeerRequestError({
      endpoint: params.endpoint,
      method: 'GET',
      path,
      status: res.status,
      peerCode: 'BAD_RESPONSE',
      message: 'answer is not a commit notice',
    });
  }
  return { commit: parsed.data, rttMs };
}
