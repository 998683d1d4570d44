import type { Address, Chain, PublicClient, Transport } from 'viem';
import { marketplaceAbi } from '../protocol/chain/generated/abis';
import { type PeerRecord, readActivePeers } from '../protocol/chain/peers';

/** Where placement and reconstruction find candidate peers. */
export interface PeerSource {
  listPeers(signal?: AbortSignal): Promise<PeerRecord[]>;
}

/**
 * Whether a peer's proof record is bad enough that clients stop choosing it: at least `minMisses`
 * missed proofs (default 2) and more than `maxMissRatio` (default 10 %) of its challenged epochs
 * missed. A new peer (no record) and a peer with one unlucky miss stay eligible.
 *
 * @example
 * hasRepeatedMisses({ epochsProven: 40n, proofsMissed: 3n }); // false: 3 of 43 is 7 %
 */
export function hasRepeatedMisses(ledger: { epochsProven: bigint; proofsMissed: bigint }, limits: { minMisses?: number; maxMissRatio?: number } = {}): boolean {
  const missed = Number(ledger.proofsMissed);
  const kept = Number(ledger.epochsProven);
  return missed >= (limits.minMisses ?? 2) && missed > (kept + missed) * (limits.maxMissRatio ?? 0.1);
}

/**
 * The chain's active peers (`PeerRegistry.activePeers`), read afresh on every call. With `market`,
 * peers whose storage-contribution ledger shows repeated missed proofs (`hasRepeatedMisses`) are
 * left out, so clients stop choosing them.
 *
 * @example
 * const peers = chainPeerSource({ publicClient, registry: deployment.contracts.PeerRegistry, market: deployment.contracts.Marketplace });
 * const list = await peers.listPeers();
 */
export function chainPeerSource(deps: { publicClient: PublicClient<Transport, Chain | undefined>; registry: Address; market?: Address }): PeerSource {
  return {
    listPeers: async (signal) => {
      const active = await readActivePeers({ publicClient: deps.publicClient }, { registry: deps.registry, signal });
      const market = deps.market;
      if (!market) return active;
      const ledgers = await Promise.all(
        active.map((p) => deps.publicClient.readContract({ address: market, abi: marketplaceAbi, functionName: 'ledger', args: [p.operator] })),
      );
      return active.filter((_, i) => !hasRepeatedMisses(ledgers[i]));
    },
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
