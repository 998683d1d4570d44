import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { NodeStore } from '../../../node/store/open-node-store';
import type { ShardIndex } from '../../../protocol/column';
import type { FileId, SlotId } from '../../../protocol/ids';

/**
 * Writes a shard's file and its index row straight into a node store, as a stored PUT leaves them
 * (for specifications of what reads the store: slot bytes, column trees).
 *
 * @example
 * await writeStoredShard(node, { slotId, fileId, column: 0, index: 0, bytes: randomBytes(1024) });
 */
export async function writeStoredShard(
  node: Pick<NodeStore, 'store' | 'index'>,
  p: { slotId: SlotId; fileId: FileId; column: number; index: ShardIndex; bytes: Uint8Array },
): Promise<void> {
  const file = node.store.shardPath(p.slotId, p.index);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, p.bytes);
  node.index.commitShard({
    slotId: p.slotId,
    fileId: p.fileId,
    column: p.column,
    owner: '0x00000000000000000000000000000000000000aa',
    index: p.index,
    size: p.bytes.length,
    sha256: createHash('sha256').update(p.bytes).digest('hex'),
    capacityBytes: 1 << 30,
    now: 1,
  });
}
