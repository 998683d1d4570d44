import type { Address, Chain, PublicClient, Transport } from 'viem';
import { type PeerRecord, readActivePeers } from '../protocol/chain/peers';

/** Where placement and reconstruction find candidate peers. */
export interface PeerSource {
  listPeers(signal?: AbortSignal): Promise<PeerRecord[]>;
}

/**
 * The chain's active peers (`PeerRegistry.activePeers`), read afresh on every call.
 *
 * @example
 * const peers = chainPeerSource({ publicClient, registry: deployment.contracts.PeerRegistry });
 * const list = await peers.listPeers();
 */
export function chainPeerSource(deps: { publicClient: PublicClient<Transport, Chain | undefined>; registry: Address }): PeerSource {
  return {
    listPeers: (signal) => readActivePeers({ publicClient: deps.publicClient }, { registry: deps.registry, signal }),
  };
}

/**
 * A fixed list of peers (tests, or a user who names peers by hand).
 *
 * @example
 * const peers = staticPeerSource([{ operator, endpoint: 'http://127.0.0.1:7001', capacity: 0n, ... }]);
 */
export function staticPeerSource(peers: readonly PeerRecord[]): PeerSource {
  return { listPeers: async () => [...peers] };
}
