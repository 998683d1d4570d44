import type { Address } from 'viem';
import type { PeerSource } from '../peer-source';

/**
 * A `PeerSource` that leaves out the given operators (compared case-insensitively) and, through a
 * function, whatever the caller adds later: repair places new columns only on peers that hold no
 * column of the file, so one operator never holds two columns of it.
 *
 * @example
 * const peers = excludeOperators(chainPeerSource({ publicClient, registry }), () => holders);
 */
export function excludeOperators(source: PeerSource, excluded: () => Iterable<Address>): PeerSource {
  return {
    listPeers: async (signal) => {
      const out = new Set([...excluded()].map((a) => a.toLowerCase()));
      return (await source.listPeers(signal)).filter((p) => !out.has(p.operator.toLowerCase()));
    },
  };
}
