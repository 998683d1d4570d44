import { createHash } from 'node:crypto';
import type { LocalAccount } from 'viem';
import { slotCommitPath } from '../../protocol/column';
import { defaults } from '../../protocol/config';
import { type FileId, slotIdOf } from '../../protocol/ids';
import { signRequest } from '../../protocol/signing';
import { type SlotCommit, slotCommitRecordedSchema } from '../../protocol/wire';
import { PeerRequestError } from '../errors';
import type { HttpRequester } from './http-requester';
import type { PeerTarget } from './put-shard';
import { peerRequest } from './request';

/**
 * Tells a peer that the deal root is committed: `PUT /slots/:slotId/commit?fileId=…&column=…` with
 * the column's slot root, its proof in the deal root and the segment count, signed by the deal
 * owner for that node and chain. The chain keeps only the deal root, so this notice is how the peer
 * learns what to fill with; it checks everything against the chain. A transient failure is retried
 * `retries` times (1 by default); a refusal is not. Returns whether the node recorded it anew.
 * Throws `PeerRequestError` for the last failure.
 *
 * @example
 * await putSlotCommit({ account, chainId: 31337 }, { peer, fileId, column: 2, commit: { slotRoot, rootProof, segmentCount: 2049 } });
 */
export async function putSlotCommit(
  deps: { account: Pick<LocalAccount, 'signMessage' | 'address'>; chainId: number; request?: HttpRequester },
  params: { peer: PeerTarget; fileId: FileId; column: number; commit: SlotCommit; retries?: number; timeoutMs?: number; signal?: AbortSignal },
): Promise<{ created: boolean }> {
  const path = slotCommitPath({ slotId: slotIdOf(params.fileId, params.column), fileId: params.fileId, column: params.column });
  const body = Buffer.from(JSON.stringify(params.commit), 'utf8');
  const contentSha256 = createHash('sha256').update(body).digest('hex');
  const retries = params.retries ?? 1;
  for (let attempt = 0; ; attempt += 1) {
    const headers = await signRequest(
      { account: deps.account },
      { method: 'PUT', pathAndQuery: path, contentSha256, node: params.peer.operator, chainId: deps.chainId },
    );
    try {
      const res = await peerRequest(
        { request: deps.request },
        {
          endpoint: params.peer.endpoint,
          method: 'PUT',
          path,
          headers: { ...headers, 'content-type': 'application/json' },
          body,
          timeoutMs: params.timeoutMs ?? defaults.requestTimeoutMs,
          maxBytes: 64 * 1024,
          signal: params.signal,
        },
      );
      let answer: { created: boolean } | undefined;
      try {
        const parsed = slotCommitRecordedSchema.safeParse(JSON.parse(Buffer.from(res.body).toString('utf8')));
        if (parsed.success) answer = parsed.data;
      } catch {
        // handled below
      }
      if (!answer) {
        throw new PeerRequestError({
          endpoint: params.peer.endpoint,
          method: 'PUT',
          path,
          status: res.status,
          peerCode: 'BAD_RESPONSE',
          message: 'answer is not a commit receipt',
        });
      }
      return { created: answer.created };
    } catch (err) {
      if (err instanceof PeerRequestError && err.transient && attempt < retries) continue;
      throw err;
    }
  }
}
