import fs from 'node:fs/promises';
import { MANIFEST_INDEX, type ShardIndex } from '../../protocol/column';
import type { SlotId } from '../../protocol/ids';
import type { SlotIndex } from '../store/slot-index';
import type { SlotStore } from '../store/slot-store';

/** A slot's shard files in column order, with the byte offset where each starts. */
export interface SlotLayout {
  parts: { index: ShardIndex; size: number; offset: number }[];
  bytes: number;
}

/**
 * The order in which a column's bytes are hashed (docs/marketplace.md): shards 0..n−1, then the
 * manifest. Undefined while the slot is incomplete (no manifest, or a gap in the indices).
 *
 * @example
 * const layout = slotLayout({ index }, { slotId });
 * if (layout) console.log(`${layout.bytes} bytes in ${layout.parts.length} files`);
 */
export function slotLayout(deps: { index: Pick<SlotIndex, 'shardsOf'> }, p: { slotId: SlotId }): SlotLayout | undefined {
  const rows = deps.index.shardsOf(p.slotId);
  const manifest = rows.find((r) => r.index === MANIFEST_INDEX);
  const shards = rows.filter((r) => r.index !== MANIFEST_INDEX).sort((a, b) => (a.index as number) - (b.index as number));
  if (!manifest || shards.some((r, i) => r.index !== i)) return undefined;
  const parts: SlotLayout['parts'] = [];
  let offset = 0;
  for (const r of [...shards, manifest]) {
    parts.push({ index: r.index, size: r.size, offset });
    offset += r.size;
  }
  return { parts, bytes: offset };
}

/** Bytes read from disk at a time when a slot is streamed. */
const READ_BYTES = 1 << 20;

/**
 * Streams a slot's bytes in column order from its shard files, read 1 MiB at a time into one
 * reused buffer: each piece is a view that is valid until the next one is asked for (a tree
 * builder copies what it needs at once). A file shorter than its index row throws `ESHORT`.
 * `buffer` (at least 1 MiB) is read into instead of a new one, for a caller that reads often.
 *
 * @example
 * for await (const piece of readSlotBytes({ store }, { slotId, layout })) builder.write(piece);
 */
export async function* readSlotBytes(
  deps: { store: Pick<SlotStore, 'shardPath'> },
  p: { slotId: SlotId; layout: SlotLayout; buffer?: Buffer },
): AsyncGenerator<Uint8Array> {
  const buffer = p.buffer && p.buffer.length >= READ_BYTES ? p.buffer : Buffer.allocUnsafe(READ_BYTES);
  for (const part of p.layout.parts) {
    const handle = await fs.open(deps.store.shardPath(p.slotId, part.index), 'r');
    try {
      for (let at = 0; at < part.size; ) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(READ_BYTES, part.size - at), at);
        if (bytesRead === 0) throw Object.assign(new Error(`shard ${String(part.index)} of ${p.slotId} is shorter than its index row`), { code: 'ESHORT' });
        at += bytesRead;
        yield buffer.subarray(0, bytesRead);
      }
    } finally {
      await handle.close();
    }
  }
}

/**
 * Reads `length` bytes of a slot from byte `start` (fewer at the end of the slot), across shard
 * files. Rejects with ENOENT when a file is gone.
 *
 * @example
 * const group = await readSlotRange({ store }, { slotId, layout, start: 256 * 512, length: 256 * 512 });
 */
export async function readSlotRange(
  deps: { store: Pick<SlotStore, 'shardPath'> },
  p: { slotId: SlotId; layout: SlotLayout; start: number; length: number },
): Promise<Uint8Array> {
  const end = Math.min(p.start + p.length, p.layout.bytes);
  const out = new Uint8Array(Math.max(0, end - p.start));
  for (const part of p.layout.parts) {
    const from = Math.max(p.start, part.offset);
    const to = Math.min(end, part.offset + part.size);
    if (from >= to) continue;
    const handle = await fs.open(deps.store.shardPath(p.slotId, part.index), 'r');
    try {
      const { bytesRead } = await handle.read(out, from - p.start, to - from, from - part.offset);
      if (bytesRead !== to - from)
        throw Object.assign(new Error(`shard ${String(part.index)} of ${p.slotId} is shorter than its index row`), { code: 'ESHORT' });
    } finally {
      await handle.close();
    }
  }
  return out;
}
