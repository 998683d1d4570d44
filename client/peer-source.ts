import type { Address, Chain, PublicClient, Transport } from 'viem';
import { marketplaceAbi, peerRegistryAbi } from '../protocol/chain/generated/abis';
import { activePeerPages, type PeerRecord } from '../protocol/chain/peers';

/** A peer's storage-contribution ledger in the Marketplace (the fields placement uses). */
export interface PeerLedger {
  /** Sum of `bytesPerSlot` over the slots the peer holds now. */
  bytesHeld: bigint;
  epochsProven: bigint;
  proofsMissed: bigint;
}

/** The registry's rules for counting a peer as active (`PeerRegistry.config()`). */
export interface RegistryRules {
  minStake: bigint;
  /** Seconds without a heartbeat after which a peer counts as inactive. */
  heartbeatTimeout: bigint;
}

/**
 * A registry record with what a source may know besides: the peer's Marketplace ledger (for
 * reputation and the space its deals already take) and the registry's activity rules.
 */
export interface CandidatePeer extends PeerRecord {
  ledger?: PeerLedger;
  rules?: RegistryRules;
}

/** Where placement and reconstruction find candidate peers. */
export interface PeerSource {
  listPeers(signal?: AbortSignal): Promise<CandidatePeer[]>;
}

/**
 * Whether a peer's proof record is bad enough that placement uses it only as a last resort (when
 * the other peers are too few for the columns): at least `minMisses`
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
 * The chain's active peers (`PeerRegistry.activePeers`), read afresh on every call, each with the
 * registry's activity rules (`config()`: minimum stake, heartbeat timeout). With `market`, each
 * also carries its Marketplace ledger (bytes held, proofs kept and missed, for placement's score).
 * Every active peer is listed, whatever its record: a download asks them all what they hold, and
 * placement treats repeated missers (`hasRepeatedMisses`) as a last resort.
 *
 * The ledgers of a page come in one call (`Marketplace.ledgers`), sent while the next page is read:
 * P registered peers cost `2⌈P / pageSize⌉ + 1` calls (pages of 200 by default; one more page when P
 * is a multiple of it), not one per peer.
 *
 * @example
 * const peers = chainPeerSource({ publicClient, registry: deployment.contracts.PeerRegistry, market: deployment.contracts.Marketplace });
 * const list = await peers.listPeers();
 */
export function chainPeerSource(deps: {
  publicClient: PublicClient<Transport, Chain | undefined>;
  registry: Address;
  market?: Address;
  pageSize?: number;
}): PeerSource {
  const readLedgers = async (market: Address, page: PeerRecord[]): Promise<CandidatePeer[]> => {
    const books = await deps.publicClient.readContract({
      address: market,
      abi: marketplaceAbi,
      functionName: 'ledgers',
      args: [page.map((p) => p.operator)],
    });
    return page.map((p, i) => {
      const { bytesHeld, epochsProven, proofsMissed } = books[i];
      return { ...p, ledger: { bytesHeld, epochsProven, proofsMissed } };
    });
  };
  return {
    listPeers: async (signal) => {
      const configRead = deps.publicClient.readContract({ address: deps.registry, abi: peerRegistryAbi, functionName: 'config' });
      // Rejections are handled where each is awaited; these keep an early failure elsewhere from
      // leaving one unhandled.
      configRead.catch(() => {});
      const pages: Promise<CandidatePeer[]>[] = [];
      for await (const page of activePeerPages({ publicClient: deps.publicClient }, { registry: deps.registry, pageSize: deps.pageSize, signal })) {
        const withLedgers = deps.market ? readLedgers(deps.market, page) : Promise.resolve(page);
        withLedgers.catch(() => {});
        pages.push(withLedgers);
      }
      const config = await configRead;
      const rules: RegistryRules = { minStake: config.minStake, heartbeatTimeout: config.heartbeatTimeout };
      const peers = (await Promise.all(pages)).flat().map((p): CandidatePeer => ({ ...p, rules }));
      return peers;
    },
  };
}

/**
 * A fixed list of peers (tests, benchmarks, or a user who names peers by hand), optionally with
 * ledgers and registry rules. A `capacity` of 0 means "not announced" (the registry never stores
 * 0), so only the peer's `/status` limits its free space.
 *
 * @example
 * const peers = staticPeerSource([{ operator, endpoint: 'http://127.0.0.1:7001', capacity: 0n, ... }]);
 */
export function staticPeerSource(peers: readonly CandidatePeer[]): PeerSource {
  return { listPeers: async () => [...peers] };
}
