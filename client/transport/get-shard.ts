import type { Address } from 'viem';
import { type ShardIndex, shardPath } from '../../protocol/column';
import { defaults } from '../../protocol/config';
import { type FileId, slotIdOf } from '../../protocol/ids';
import { type ReadAccess, readAccessHeaders } from '../access/read-access';
import type { HttpRequester } from './http-requester';
import { peerRequest } from './request';

/**
 * Fetches one shard's bytes from a peer (`GET /slots/:slotId/shards/:index`), at most `maxBytes`
 * (the expected shard size: a longer answer is refused while it streams). The caller checks the
 * bytes against the manifest. Reads need a retrieval token (`deps.access`); a grantee-bound token
 * is co-signed for `node`, the peer's operator address. Throws `PeerRequestError`.
 *
 * @example
 * const shard = await getShard({ access }, { endpoint, node: operator, fileId, column: 0, index: 3, maxBytes: chunkSize + 16 });
 */
export async function getShard(
  deps: { request?: HttpRequester; access?: ReadAccess },
  params: {
    endpoint: string;
    fileId: FileId;
    column: number;
    index: ShardIndex;
    /** The peer's operator address (needed to co-sign a grantee-bound token). */
    node?: Address;
    maxBytes?: number;
    timeoutMs?: number;
    signal?: AbortSignal;
    /** A buffer to read the shard into (see `peerRequest`); the result is then a view of it. */
    into?: Uint8Array;
  },
): Promise<Uint8Array> {
  const slotId = slotIdOf(params.fileId, params.column);
  const path = shardPath({ slotId, index: params.index, fileId: params.fileId, column: params.column });
  const res = await peerRequest(deps, {
    endpoint: params.endpoint,
    method: 'GET',
    path,
    headers: await readAccessHeaders(deps.access, { method: 'GET', pathAndQuery: path, node: params.node }),
    timeoutMs: params.timeoutMs ?? defaults.requestTimeoutMs,
    maxBytes: params.maxBytes ?? defaults.maxShardBytes,
    signal: params.signal,
    into: params.into,
  });
  return res.body;
}
