import { createHash } from 'node:crypto';
import type { Address, LocalAccount } from 'viem';
import { type ShardIndex, shardPath } from '../../protocol/column';
import { type FileId, slotIdOf } from '../../protocol/ids';
import { shardStoredSchema } from '../../protocol/wire';
import { IntegrityError } from '../errors';
import type { HttpRequester } from './http-requester';
import { signedPut } from './signed-put';

/** Where a shard goes: the peer's signing address (the operator) and its base URL. */
export interface PeerTarget {
  operator: Address;
  endpoint: string;
}

/** What a node confirmed for a stored shard. */
export interface ShardReceipt {
  /** True for a new shard (201), false for an identical re-PUT (200). */
  created: boolean;
  sha256: string;
  size: number;
}

/**
 * Stores one shard on a peer: `PUT /slots/:slotId/shards/:index?fileId=…&column=…`, signed for
 * that node and chain with a fresh nonce per attempt. A transient failure (no answer, timeout, 5xx
 * other than 507) is retried `retries` times (1 by default); a refusal (4xx, 507) is not. Checks
 * that the node's receipt names the SHA-256 of the bytes sent (`IntegrityError` otherwise). Throws
 * `PeerRequestError` for the last failure.
 *
 * @example
 * await putShard({ account, chainId: 31337 }, { peer, fileId, column: 0, index: 0, body: shard });
 */
export async function putShard(
  deps: { account: Pick<LocalAccount, 'signMessage' | 'address'>; chainId: number; request?: HttpRequester },
  params: {
    peer: PeerTarget;
    fileId: FileId;
    column: number;
    index: ShardIndex;
    body: Uint8Array;
    /** SHA-256 of `body` (hex) when the caller has it already; computed otherwise. */
    contentSha256?: string;
    /** Extra request headers, e.g. the deal owner's slot assignment (`x-dhost-assignment`). */
    headers?: Record<string, string>;
    retries?: number;
    timeoutMs?: number;
    signal?: AbortSignal;
  },
): Promise<ShardReceipt> {
  const slotId = slotIdOf(params.fileId, params.column);
  const path = shardPath({ slotId, index: params.index, fileId: params.fileId, column: params.column });
  const contentSha256 = params.contentSha256 ?? createHash('sha256').update(params.body).digest('hex');
  const { answer: receipt, status } = await signedPut(deps, {
    peer: params.peer,
    path,
    body: params.body,
    contentSha256,
    contentType: 'application/octet-stream',
    schema: shardStoredSchema,
    what: 'a shard receipt',
    headers: params.headers,
    retries: params.retries,
    timeoutMs: params.timeoutMs,
    signal: params.signal,
  });
  if (receipt.sha256 !== contentSha256 || receipt.size !== params.body.length) {
    throw new IntegrityError(`peer ${params.peer.endpoint} confirmed other bytes than those sent`, {
      details: { endpoint: params.peer.endpoint, index: params.index, sent: contentSha256, confirmed: receipt.sha256 },
    });
  }
  return { created: status === 201 || receipt.created, sha256: receipt.sha256, size: receipt.size };
}
