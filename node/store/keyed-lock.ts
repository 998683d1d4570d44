/** Runs async sections one at a time per key; different keys run concurrently. */
export interface KeyedLock {
  run<T>(key: string, section: () => Promise<T>): Promise<T>;
}

/**
 * Creates a per-key lock. The node takes one per slot around placing a shard file and recording
 * it, and around dropping a slot, so that a rename never races another write or a delete of the
 * same slot.
 *
 * @example
 * const locks = createKeyedLock();
 * await locks.run(slotId, async () => { await store.place(...); index.commitShard(...); });
 */
export function createKeyedLock(): KeyedLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async run(key, section) {
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(section, section);
      const tail = result.catch(() => {});
      tails.set(key, tail);
      try {
        return await result;
      } finally {
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}
