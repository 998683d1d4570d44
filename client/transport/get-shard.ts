import { type ShardIndex, shardPath } from '../../protocol/column';
import { defaults } from '../../protocol/config';
import { type FileId, slotIdOf } from '../../protocol/ids';
import type { HttpRequester } from './http-requester';
import { peerRequest } from './request';

/**
 * Fetches one shard's bytes from a peer (`GET /slots/:slotId/shards/:index`), at most `maxBytes`
 * (the expected shard size: a longer answer is refused while it streams). The caller checks the
 * bytes against the manifest. Throws `PeerRequestError`.
 *
 * @example
 * const shard = await getShard({}, { endpoint, fileId, column: 0, index: 3, maxBytes: chunkSize + 16 });
 */
export async function getShard(
  deps: { request?: HttpRequester },
  params: { endpoint: string; fileId: FileId; column: number; index: ShardIndex; maxBytes?: number; timeoutMs?: number; signal?: AbortSignal },
): Promise<Uint8Array> {
  const slotId = slotIdOf(params.fileId, params.column);
  const res = await peerRequest(deps, {
    endpoint: params.endpoint,
    method: 'GET',
    path: shardPath({ slotId, index: params.index, fileId: params.fileId, column: params.column }),
    timeoutMs: params.timeoutMs ?? defaults.requestTimeoutMs,
    maxBytes: params.maxBytes ?? defaults.maxShardBytes,
    signal: params.signal,
  });
  return res.body;
}
