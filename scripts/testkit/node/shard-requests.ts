import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Address, Hex, LocalAccount } from 'viem';
import { type ShardIndex, shardPath } from '../../../protocol/column';
import { type FileId, randomFileId, type SlotId, slotIdOf } from '../../../protocol/ids';
import { signRequest } from '../../../protocol/signing';

/*
 * Test support for the node (requests signed like a client's, scratch data directories). Used by
 * test/node/** and the throughput script, never by the node at runtime. It lives here rather than
 * under test/ because Hardhat loads every file under test/ as a test.
 */

/**
 * SHA-256 of bytes as lowercase hex.
 *
 * @example
 * sha256Hex(Buffer.from('abc'));
 */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A fresh scratch directory under the OS temp dir, and a function removing it.
 *
 * @example
 * const dir = await scratchDir('dhost-node-');
 * await dir.remove();
 */
export async function scratchDir(prefix = 'dhost-node-'): Promise<{ path: string; remove: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  return { path: dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** A shard addressed the way a client addresses it. */
export interface ShardTarget {
  fileId: FileId;
  column: number;
  slotId: SlotId;
  index: ShardIndex;
}

/**
 * A random file's column and shard index, with its slot id computed as the node checks it.
 *
 * @example
 * const target = shardTarget({ column: 1, index: 0 });
 */
export function shardTarget(params: { fileId?: FileId; column?: number; index?: ShardIndex } = {}): ShardTarget {
  const fileId = params.fileId ?? randomFileId();
  const column = params.column ?? 0;
  return { fileId, column, slotId: slotIdOf(fileId, column), index: params.index ?? 0 };
}

/**
 * Builds a signed shard PUT as a client sends it: the path with `fileId` and `column`, and the
 * `x-dhost-*` headers over it. Every field can be overridden to build refusals.
 *
 * @example
 * const { path, init } = await signedShardPut({ account, node, chainId: 31337 }, { target, body });
 * const res = await app.request(path, init);
 */
export async function signedShardPut(
  deps: { account: Pick<LocalAccount, 'signMessage' | 'address'>; node: Address; chainId: number },
  params: {
    target: ShardTarget;
    body: Uint8Array;
    /** Path and query to sign and send; default `shardPath(target)`. */
    path?: string;
    /** Path and query to sign when it should differ from the one sent. */
    signedPath?: string;
    contentSha256?: string;
    timestamp?: number;
    nonce?: Hex;
    contentLength?: number | null;
    /** Further headers to send (not signed), e.g. the owner's `x-dhost-assignment`. */
    headers?: Record<string, string>;
  },
): Promise<{ path: string; init: RequestInit & { headers: Record<string, string> } }> {
  const sent = params.path ?? shardPath(params.target);
  const headers = await signRequest(
    { account: deps.account },
    {
      method: 'PUT',
      pathAndQuery: params.signedPath ?? sent,
      contentSha256: params.contentSha256 ?? sha256Hex(params.body),
      node: deps.node,
      chainId: deps.chainId,
      ...(params.timestamp === undefined ? {} : { timestamp: params.timestamp }),
      ...(params.nonce === undefined ? {} : { nonce: params.nonce }),
    },
  );
  const length = params.contentLength === undefined ? params.body.byteLength : params.contentLength;
  if (length !== null) headers['content-length'] = String(length);
  Object.assign(headers, params.headers);
  return { path: sent, init: { method: 'PUT', headers, body: params.body } };
}

/**
 * Random bytes for a shard.
 *
 * @example
 * const body = randomShard(1024);
 */
export function randomShard(size: number): Uint8Array {
  return new Uint8Array(randomBytes(size));
}
