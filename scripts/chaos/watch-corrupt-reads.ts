import { createHash } from 'node:crypto';
import type { HttpRequester } from '../../client';

/** An `HttpRequester` that also reports when a peer served bytes known to be corrupt. */
export interface CorruptReadWatch {
  request: HttpRequester;
  /** Marks a SHA-256 (hex) as the hash of corrupted shard bytes. */
  watch(sha256: string): void;
  /** How many complete shard answers carried watched (corrupt) bytes. */
  served(): number;
}

/**
 * Wraps an `HttpRequester` so that every complete `GET /slots/…/shards/…` answer is hashed on the
 * way through (the body is passed on unchanged); an answer whose SHA-256 is one of the watched
 * hashes (shards the chaos driver corrupted on disk) is counted. A run that counts corrupt answers
 * and still downloads every file intact shows the client's per-shard hash check caught them.
 *
 * @example
 * const reads = watchCorruptReads({ request: nodeHttpRequester() });
 * reads.watch(hit.corruptSha256);
 * await downloadToFile({ peers, marketplace, account, request: reads.request }, { handle, outPath });
 * console.log(reads.served());
 */
export function watchCorruptReads(deps: { request: HttpRequester }): CorruptReadWatch {
  const watched = new Set<string>();
  let served = 0;
  const request: HttpRequester = async (req) => {
    const answer = await deps.request(req);
    if (req.method !== 'GET' || !/\/slots\/0x[0-9a-f]+\/shards\/\d+/i.test(req.url) || answer.status !== 200 || watched.size === 0) return answer;
    const inner = answer.body;
    async function* hashed(): AsyncIterable<Uint8Array> {
      const hash = createHash('sha256');
      for await (const piece of inner) {
        hash.update(piece);
        yield piece;
      }
      if (watched.has(hash.digest('hex'))) served += 1;
    }
    return { ...answer, body: hashed() };
  };
  return {
    request,
    watch: (sha256) => {
      watched.add(sha256);
    },
    served: () => served,
  };
}
