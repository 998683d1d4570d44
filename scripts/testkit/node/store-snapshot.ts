import fs from 'node:fs/promises';
import type { NodeStore } from '../../../node/store/open-node-store';

/** What a data directory holds: entries in `tmp/`, files under `slots/`, index totals. */
export interface StoreSnapshot {
  tmp: string[];
  files: string[];
  usage: { bytes: number; shards: number; slots: number };
}

/**
 * Lists what a node store holds, so a test can assert that a refused request changed nothing.
 *
 * @example
 * const before = await snapshotStore(nodeStore);
 * // … a refused request …
 * expect(await snapshotStore(nodeStore)).to.deep.equal(before);
 */
export async function snapshotStore(nodeStore: Pick<NodeStore, 'store' | 'index'>): Promise<StoreSnapshot> {
  const files: string[] = [];
  for await (const file of nodeStore.store.walk()) files.push(file.path);
  return { tmp: (await fs.readdir(nodeStore.store.tmpDir)).sort(), files: files.sort(), usage: nodeStore.index.usage() };
}
