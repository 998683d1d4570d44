import type { CandidatePeer, PeerSource } from '../../client/peer-source';

/**
 * A `PeerSource` that answers from the last list for `ttlMs` (one request in flight at a time), so
 * that many concurrent uploads and repairs do not each read the registry and every peer's ledger
 * from a single-threaded local chain. A failed read is not cached.
 *
 * @example
 * const peers = cachedPeerSource({ peers: chainPeerSource({ publicClient, registry, market }) }, { ttlMs: 3000 });
 */
export function cachedPeerSource(deps: { peers: PeerSource }, params: { ttlMs: number }): PeerSource {
  let last: { at: number; list: Promise<CandidatePeer[]> } | undefined;
  return {
    listPeers: (signal) => {
      if (last && performance.now() - last.at < params.ttlMs) return last.list;
      const entry = { at: performance.now(), list: deps.peers.listPeers(signal) };
      last = entry;
      entry.list.catch(() => {
        if (last === entry) last = undefined;
      });
      return entry.list;
    },
  };
}
