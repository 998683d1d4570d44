import { type Address, getAddress, zeroAddress } from 'viem';
import { defaults } from '../protocol/config';
import type { NodeStatus } from '../protocol/wire';
import { isPublicEndpoint } from './endpoint-policy';
import { NotEnoughPeersError } from './errors';
import type { PeerExperience } from './peer-experience';
import { type CandidatePeer, hasRepeatedMisses, type PeerSource } from './peer-source';
import { placementScore, type ScoreFactors } from './placement-score';
import { getStatus } from './transport/get-status';
import type { HttpRequester } from './transport/http-requester';

/** A probed, healthy candidate peer. */
export interface PlacedPeer {
  operator: Address;
  endpoint: string;
  /** Bytes the peer can take: the smaller of its `/status` and (capacity − bytes held) on chain. */
  freeBytes: number;
  maxShardBytes: number;
  /** Reward-token wei the peer asks per GiB per epoch (from the registry). */
  pricePerGiBEpoch: bigint;
  /** Round trip of the `/status` probe, milliseconds. */
  rttMs: number;
  /** Rank in [0, 1], higher is better: see `placementScore`. */
  score: number;
  /** The factors `score` is made of, for logs and dashboards. */
  factors: ScoreFactors;
}

/** Placement's answer: one peer per column, and the rest, best score first, as spares. */
export interface Placement {
  chosen: PlacedPeer[];
  spares: PlacedPeer[];
}

/**
 * Asks one peer for its status and the round trip; `getStatus` over HTTP unless injected. The status
 * must be signed by `expectedSigner` (the operator on chain) for `chainId` (when given): a probe
 * throws otherwise, and the peer is dropped with that reason.
 */
export type StatusProbe = (params: {
  endpoint: string;
  timeoutMs: number;
  signal?: AbortSignal;
  expectedSigner: Address;
  chainId?: number;
}) => Promise<{ status: NodeStatus; rttMs: number }>;

/** The endpoint as a key: scheme, host and port, lower case, so two spellings of one node collide. */
function endpointKey(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`.toLowerCase();
  } catch {
    return endpoint.toLowerCase();
  }
}

/**
 * Weighted sampling without replacement (Efraimidis–Spirakis): each item draws `u` uniform in
 * (0, 1] and gets key `ln(u) / weight`; the `count` largest keys win, in key order. The first pick
 * is item i with probability `weight_i / Σ weight`; later picks follow among the rest.
 */
function sampleByWeight<T>(random: () => number, items: readonly T[], weight: (t: T) => number, count: number): T[] {
  const keyed = items.map((item) => {
    const w = weight(item);
    const u = 1 - random(); // (0, 1]
    return { item, key: w > 0 ? Math.log(u) / w : Number.NEGATIVE_INFINITY };
  });
  keyed.sort((a, b) => b.key - a.key);
  return keyed.slice(0, count).map((k) => k.item);
}

/** Peers probed per column wanted, at most, when there are more candidates than `MIN_PROBES`. */
export const PROBES_PER_COLUMN = 3;
/** Candidates up to this many are all probed, as before sampling existed. */
export const MIN_PROBES = 24;

/**
 * A candidate's weight before any probe, from what the chain and this client know: the score
 * without its latency factor (no round trip yet), space from the chain (`capacity − bytesHeld`;
 * an unannounced capacity counts as the roomiest).
 */
function chainWeight(candidates: readonly CandidatePeer[], experience: PeerExperience | undefined, now: bigint): (peer: CandidatePeer) => number {
  const chainFree = (p: CandidatePeer) => (p.capacity > 0n ? Number(p.capacity - (p.ledger?.bytesHeld ?? 0n)) : undefined);
  let maxFree = 0;
  let cheapest = 0n;
  for (const p of candidates) maxFree = Math.max(maxFree, chainFree(p) ?? 0);
  for (const p of candidates) if (p.pricePerGiBEpoch > 0n && (cheapest === 0n || p.pricePerGiBEpoch < cheapest)) cheapest = p.pricePerGiBEpoch;
  return (p) => {
    const operator = getAddress(p.operator);
    return placementScore({
      freeBytes: chainFree(p) ?? maxFree,
      maxFreeBytes: maxFree,
      rttMs: 0,
      pricePerGiBEpoch: p.pricePerGiBEpoch,
      cheapestPricePerGiBEpoch: cheapest,
      proofsKept: Number(p.ledger?.epochsProven ?? 0n),
      proofsMissed: Number(p.ledger?.proofsMissed ?? 0n),
      readSuccesses: experience?.successes(operator) ?? 0,
      readFailures: experience?.failures(operator) ?? 0,
      ageSeconds: Number(now > p.registeredAt ? now - p.registeredAt : 0n),
      sinceHeartbeatSeconds: Number(now > p.lastHeartbeat ? now - p.lastHeartbeat : 0n),
      heartbeatTimeoutSeconds: p.rules ? Number(p.rules.heartbeatTimeout) : undefined,
    }).score;
  };
}

/**
 * Placement v2: chooses `columns` distinct peers for a file's columns, spreading load by weighted
 * randomness, and keeps the other healthy peers as spares for failover.
 *
 * Candidates (`deps.peers`) are filtered before any probe: no registry record, a second record of
 * an operator (the operator address is also the payout address: the registry has no other) or of
 * an endpoint, exiting, stake under the registry's minimum or heartbeat older than its timeout
 * (when the source knows the rules), less room on chain (`capacity − ledger.bytesHeld`) than
 * `columnBytes`, and — with `publicEndpointsOnly` (outside the devnet) — loopback, private or
 * link-local endpoints. Peers with repeated missed proofs (`hasRepeatedMisses`) are a last resort:
 * probed, scored and used only when the other peers are too few for the columns. The rest are probed in
 * parallel (`/status`, timeout `timeoutMs`, default `defaults.statusTimeoutMs`) and dropped when
 * unreachable, answering with a status not signed by the operator on chain (`STATUS_SIGNATURE_INVALID`:
 * the endpoint does not speak for that operator), naming another address, serving another chain, or without room for a column
 * (`freeBytes < columnBytes`, `maxShardBytes < shardBytes`).
 *
 * Probes are bounded: with more candidates than `maxProbes` (default `max(MIN_PROBES,
 * PROBES_PER_COLUMN × columns)`: 24 for up to 8 columns), that many are drawn first, weighted by
 * their score from chain data alone (no latency factor), and probed; the next draw of as many is
 * probed only while fewer than `columns` answered well. So the probes grow with the columns, not
 * with the number of peers, and spares come from the probed ones. Up to `maxProbes` candidates,
 * every one is probed, as before.
 *
 * Each eligible peer is scored by `placementScore` (free space, probe round trip, ask relative to
 * the cheapest eligible, proofs and reads kept vs failed, uptime). Column peers are drawn with
 * probability ∝ score, without replacement (`deps.random`, default `Math.random`), so load spreads
 * and no peer is always first; `chosen[i]` gets column i, and `spares` are the others, best score
 * first. "Now" for heartbeat age is `nowSeconds` (chain time), by default the newest heartbeat or
 * registration among the candidates, so the local clock never matters. Fewer eligible peers than
 * `columns` → `NotEnoughPeersError` with the counts and the reasons candidates were dropped.
 *
 * @example
 * const experience = memoryExperience();
 * const { chosen, spares } = await placeColumns({ peers, experience }, { columns: 6, columnBytes: 3_000_000, shardBytes: 1_048_592 });
 */
export async function placeColumns(
  deps: { peers: PeerSource; request?: HttpRequester; probe?: StatusProbe; experience?: PeerExperience; random?: () => number },
  params: {
    /** Distinct peers wanted: replicas under replication, k + m under erasure coding. */
    columns: number;
    columnBytes: number;
    shardBytes: number;
    chainId?: number;
    publicEndpointsOnly?: boolean;
    timeoutMs?: number;
    /** Most peers probed per round; default `max(MIN_PROBES, PROBES_PER_COLUMN × columns)`. */
    maxProbes?: number;
    /** Chain time in seconds; default: the newest heartbeat or registration among the candidates. */
    nowSeconds?: bigint;
    signal?: AbortSignal;
  },
): Promise<Placement> {
  const probe: StatusProbe = deps.probe ?? ((p) => getStatus({ request: deps.request }, p));
  const random = deps.random ?? Math.random;
  const candidates: CandidatePeer[] = await deps.peers.listPeers(params.signal);
  let now = params.nowSeconds ?? 0n;
  if (params.nowSeconds === undefined) {
    for (const p of candidates) {
      if (p.lastHeartbeat > now) now = p.lastHeartbeat;
      if (p.registeredAt > now) now = p.registeredAt;
    }
  }
  const reasons: string[] = [];
  const operators = new Set<string>();
  const endpoints = new Set<string>();
  /** Otherwise eligible peers with repeated missed proofs: probed only when the others are too few. */
  const lastResort: CandidatePeer[] = [];
  const unique = candidates.filter((peer) => {
    const drop = (why: string) => {
      reasons.push(`${peer.endpoint}: ${why}`);
      return false;
    };
    if (peer.operator.toLowerCase() === zeroAddress) return drop('no registry record');
    const op = peer.operator.toLowerCase();
    const ep = endpointKey(peer.endpoint);
    if (operators.has(op)) return drop(`operator ${peer.operator} already a candidate`);
    if (endpoints.has(ep)) return drop('endpoint already a candidate');
    operators.add(op);
    endpoints.add(ep);
    if (peer.exitRequestedAt !== 0n) return drop('exiting');
    if (peer.rules && peer.stake < peer.rules.minStake) return drop(`stake ${peer.stake} under the minimum ${peer.rules.minStake}`);
    if (peer.rules && now > peer.lastHeartbeat + peer.rules.heartbeatTimeout) return drop(`no heartbeat for ${now - peer.lastHeartbeat} s`);
    if (peer.capacity > 0n && peer.capacity - (peer.ledger?.bytesHeld ?? 0n) < BigInt(params.columnBytes))
      return drop(`announces ${peer.capacity - (peer.ledger?.bytesHeld ?? 0n)} bytes free, column needs ${params.columnBytes}`);
    if (params.publicEndpointsOnly && !isPublicEndpoint(peer.endpoint)) return drop('not a public endpoint');
    if (peer.ledger && hasRepeatedMisses(peer.ledger)) {
      lastResort.push(peer);
      return drop(`missed ${peer.ledger.proofsMissed} proofs (a last resort)`);
    }
    return true;
  });
  const timeoutMs = params.timeoutMs ?? defaults.statusTimeoutMs;
  const maxProbes = Math.max(1, params.maxProbes ?? Math.max(MIN_PROBES, PROBES_PER_COLUMN * params.columns));
  // Few enough: everyone, in list order, drawing nothing. Otherwise a weighted order by chain data.
  const probeOrder = unique.length <= maxProbes ? unique : sampleByWeight(random, unique, chainWeight(unique, deps.experience, now), unique.length);
  const probeOne = async (peer: CandidatePeer) => {
    try {
      const { status, rttMs } = await probe({
        endpoint: peer.endpoint,
        timeoutMs,
        signal: params.signal,
        expectedSigner: getAddress(peer.operator),
        chainId: params.chainId,
      });
      const chainFree = peer.capacity > 0n ? peer.capacity - (peer.ledger?.bytesHeld ?? 0n) : undefined;
      const freeBytes = chainFree === undefined ? status.freeBytes : Math.min(status.freeBytes, Number(chainFree));
      if (status.address.toLowerCase() !== peer.operator.toLowerCase())
        reasons.push(`${peer.endpoint}: signs as ${status.address}, registered as ${peer.operator}`);
      else if (params.chainId !== undefined && status.chainId !== params.chainId) reasons.push(`${peer.endpoint}: serves chain ${status.chainId}`);
      else if (freeBytes < params.columnBytes) reasons.push(`${peer.endpoint}: ${freeBytes} bytes free, column needs ${params.columnBytes}`);
      else if (status.maxShardBytes < params.shardBytes)
        reasons.push(`${peer.endpoint}: takes shards up to ${status.maxShardBytes} bytes, needs ${params.shardBytes}`);
      else return { peer, freeBytes, maxShardBytes: status.maxShardBytes, rttMs };
    } catch (err) {
      params.signal?.throwIfAborted();
      reasons.push(`${peer.endpoint}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return undefined;
  };
  const eligible: NonNullable<Awaited<ReturnType<typeof probeOne>>>[] = [];
  for (let start = 0; start < probeOrder.length && (start === 0 || eligible.length < params.columns); start += maxProbes) {
    const probed = await Promise.all(probeOrder.slice(start, start + maxProbes).map(probeOne));
    for (const p of probed) if (p !== undefined) eligible.push(p);
  }
  // A peer that missed proofs (its node was down for a while, say) is not shut out for ever, which
  // would leave it no way to prove again: when the others are too few, it is probed and scored
  // (its reputation factor already counts the misses).
  if (eligible.length < params.columns && lastResort.length > 0) {
    const probed = await Promise.all(lastResort.slice(0, maxProbes).map(probeOne));
    for (const p of probed) if (p !== undefined) eligible.push(p);
  }
  if (eligible.length < params.columns) {
    throw new NotEnoughPeersError({ needed: params.columns, healthy: eligible.length, candidates: candidates.length, reasons });
  }
  const maxFreeBytes = Math.max(...eligible.map((e) => e.freeBytes));
  let cheapest = 0n;
  for (const e of eligible) {
    const ask = e.peer.pricePerGiBEpoch;
    if (ask > 0n && (cheapest === 0n || ask < cheapest)) cheapest = ask;
  }
  const scored: PlacedPeer[] = eligible.map((e) => {
    const operator = getAddress(e.peer.operator);
    const { score, factors } = placementScore({
      freeBytes: e.freeBytes,
      maxFreeBytes,
      rttMs: e.rttMs,
      pricePerGiBEpoch: e.peer.pricePerGiBEpoch,
      cheapestPricePerGiBEpoch: cheapest,
      proofsKept: Number(e.peer.ledger?.epochsProven ?? 0n),
      proofsMissed: Number(e.peer.ledger?.proofsMissed ?? 0n),
      readSuccesses: deps.experience?.successes(operator) ?? 0,
      readFailures: deps.experience?.failures(operator) ?? 0,
      ageSeconds: Number(now > e.peer.registeredAt ? now - e.peer.registeredAt : 0n),
      sinceHeartbeatSeconds: Number(now > e.peer.lastHeartbeat ? now - e.peer.lastHeartbeat : 0n),
      heartbeatTimeoutSeconds: e.peer.rules ? Number(e.peer.rules.heartbeatTimeout) : undefined,
    });
    return {
      operator,
      endpoint: e.peer.endpoint,
      freeBytes: e.freeBytes,
      maxShardBytes: e.maxShardBytes,
      pricePerGiBEpoch: e.peer.pricePerGiBEpoch,
      rttMs: e.rttMs,
      score,
      factors,
    };
  });
  const chosen = sampleByWeight(random, scored, (p) => p.score, params.columns);
  const taken = new Set(chosen);
  const spares = scored.filter((p) => !taken.has(p)).sort((a, b) => b.score - a.score);
  return { chosen, spares };
}
