import { NotEnoughPeersError } from './errors';
import type { PeerSource } from './peer-source';
import { chooseRedundancy, columnCountOf, type Redundancy } from './redundancy';

/**
 * Places a file's columns under the redundancy asked for, or, without one, under the default for
 * the network's size (`chooseRedundancy`), made smaller while too few peers are eligible (each
 * `NotEnoughPeersError` names how many were healthy). Returns the redundancy used, why (when it
 * was chosen here), and what `place` returned for it.
 *
 * @example
 * const { redundancy, reason, placed } = await placeWithRedundancy({ peers }, { place: (r) => placeColumns(deps, { columns: columnCountOf(r), … }) });
 */
export async function placeWithRedundancy<T>(
  deps: { peers: Pick<PeerSource, 'listPeers'> },
  params: { redundancy?: Redundancy; place: (redundancy: Redundancy) => Promise<T>; signal?: AbortSignal },
): Promise<{ redundancy: Redundancy; reason?: string; placed: T }> {
  if (params.redundancy) return { redundancy: params.redundancy, placed: await params.place(params.redundancy) };
  const activePeers = (await deps.peers.listPeers(params.signal)).length;
  let { redundancy, reason } = chooseRedundancy({ activePeers });
  for (;;) {
    try {
      return { redundancy, reason, placed: await params.place(redundancy) };
    } catch (err) {
      if (!(err instanceof NotEnoughPeersError)) throw err;
      const smaller = chooseRedundancy({ activePeers, eligiblePeers: err.healthy });
      if (columnCountOf(smaller.redundancy) >= columnCountOf(redundancy)) throw err;
      ({ redundancy, reason } = smaller);
    }
  }
}
