import { createHash } from 'node:crypto';
import type { LocalAccount } from 'viem';
import { slotCommitPath } from '../../protocol/column';
import { type FileId, slotIdOf } from '../../protocol/ids';
import { type SlotCommit, slotCommitRecordedSchema } from '../../protocol/wire';
import type { HttpRequester } from './http-requester';
import type { PeerTarget } from './put-shard';
import { signedPut } from './signed-put';

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
  const { answer } = await signedPut(deps, {
    peer: params.peer,
    path,
    body,
    contentSha256,
    contentType: 'application/json',
    schema: slotCommitRecordedSchema,
    what: 'a commit receipt',
    retries: params.retries,
    timeoutMs: params.timeoutMs,
    signal: params.signal,
  });
  return { created: answer.created };
}
