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

/**
 * Placement v2: chooses `columns` distinct peers for a file's columns, spreading load by weighted
 * randomness, and keeps the other healthy peers as spares for failover.
 *
 * Candidates (`deps.peers`) are filtered before any probe: no registry record, a second record of
 * an operator (the operator address is also the payout address: the registry has no other) or of
 * an endpoint, exiting, stake under the registry's minimum or heartbeat older than its timeout
 * (when the source knows the rules), repeated missed proofs (`hasRepeatedMisses`), less room on
 * chain (`capacity − ledger.bytesHeld`) than `columnBytes`, and — with `publicEndpointsOnly`
 * (outside the devnet) — loopback, private or link-local endpoints. The rest are probed in
 * parallel (`/status`, timeout `timeoutMs`, default `defaults.statusTimeoutMs`) and dropped when
 * unreachable, answering with a status not signed by the operator on chain (`STATUS_SIGNATURE_INVALID`:
 * the endpoint does not speak for that operator), naming another address, serving another chain, or without room for a column
 * (`freeBytes < columnBytes`, `maxShardBytes < shardBytes`).
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
    if (peer.ledger && hasRepeatedMisses(peer.ledger)) return drop(`missed ${peer.ledger.proofsMissed} proofs`);
    if (peer.capacity > 0n && peer.capacity - (peer.ledger?.bytesHeld ?? 0n) < BigInt(params.columnBytes))
      return drop(`announces ${peer.capacity - (peer.ledger?.bytesHeld ?? 0n)} bytes free, column needs ${params.columnBytes}`);
    if (params.publicEndpointsOnly && !isPublicEndpoint(peer.endpoint)) return drop('not a public endpoint');
    return true;
  });
  const timeoutMs = params.timeoutMs ?? defaults.statusTimeoutMs;
  const probed = await Promise.all(
    unique.map(async (peer) => {
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
    }),
  );
  const eligible = probed.filter((p) => p !== undefined);
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
