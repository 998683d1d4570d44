import { InvalidInputError } from './errors';

/**
 * Column layout. A column holds, for one file, the i-th shard of every stripe (under replication:
 * an encrypted copy of every chunk) at shard indices 0..n-1, plus the file's encrypted manifest at
 * the reserved index `manifest`. Under the URL `/slots/:slotId/shards/:index`, `index` is either a
 * decimal shard index or the word `manifest`.
 */
export const MANIFEST_INDEX = 'manifest' as const;

/** A shard's place in a column: a stripe number, or the manifest. */
export type ShardIndex = number | typeof MANIFEST_INDEX;

/** The largest shard index accepted (2^31 − 1): 2 PiB per column at 1 MiB chunks. */
export const MAX_SHARD_INDEX = 0x7fffffff;

/**
 * Parses the `:index` part of a shard URL.
 *
 * @example
 * parseShardIndex('0'); // 0
 * parseShardIndex('manifest'); // 'manifest'
 */
export function parseShardIndex(value: string): ShardIndex {
  if (value === MANIFEST_INDEX) return MANIFEST_INDEX;
  if (!/^(0|[1-9][0-9]{0,9})$/.test(value) || Number(value) > MAX_SHARD_INDEX) {
    throw new InvalidInputError(`shard index must be an integer in [0, ${MAX_SHARD_INDEX}] or "${MANIFEST_INDEX}"`, { details: { index: value } });
  }
  return Number(value);
}

/**
 * The request path of a shard, with the file id and column as query parameters so that a signed
 * write also binds the slot to its file (the node checks slotId = keccak(fileId, column)).
 *
 * @example
 * shardPath({ slotId, index: 3, fileId, column: 1 }); // '/slots/0x…/shards/3?fileId=0x…&column=1'
 */
export function shardPath(params: { slotId: string; index: ShardIndex; fileId?: string; column?: number }): string {
  const base = `/slots/${params.slotId}/shards/${params.index}`;
  if (params.fileId === undefined || params.column === undefined) return base;
  return `${base}?fileId=${params.fileId}&column=${params.column}`;
}

/**
 * The path of a slot's commit notice (`PUT`), with the deal id and column the node checks.
 *
 * @example
 * slotCommitPath({ slotId, fileId, column: 1 }); // '/slots/0x…/commit?fileId=0x…&column=1'
 */
export function slotCommitPath(params: { slotId: string; fileId: string; column: number }): string {
  return `/slots/${params.slotId}/commit?fileId=${params.fileId}&column=${params.column}`;
}
