import { type Address, getAddress } from 'viem';
import { defaults } from '../protocol/config';
import { isPublicEndpoint } from './endpoint-policy';
import { NotEnoughPeersError } from './errors';
import type { PeerSource } from './peer-source';
import { getStatus } from './transport/get-status';
import type { HttpRequester } from './transport/http-requester';

/** A probed, healthy candidate peer. */
export interface PlacedPeer {
  operator: Address;
  endpoint: string;
  freeBytes: number;
  maxShardBytes: number;
  /** Reward-token wei the peer asks per GiB per epoch (from the registry). */
  pricePerGiBEpoch: bigint;
  /** Round trip of the `/status` probe, milliseconds. */
  rttMs: number;
  /** Rank, higher is better: see `placeColumns`. */
  score: number;
}

/** Placement's answer: one peer per column, and the rest, best first, as spares. */
export interface Placement {
  chosen: PlacedPeer[];
  spares: PlacedPeer[];
}

/** Added to the probe's round trip so that sub-millisecond differences on a LAN do not dominate. */
const RTT_FLOOR_MS = 20;

/**
 * Placement v1. Lists the candidates, probes every candidate's `/status` in parallel (timeout
 * `defaults.statusTimeoutMs`), and drops the unreachable ones, those whose status does not name
 * their registered operator (or serves another chain), those without room for a column
 * (`freeBytes < columnBytes`, `maxShardBytes < shardBytes`), and duplicates of an operator. Outside
 * the devnet (`publicEndpointsOnly`), endpoints on loopback, private or link-local addresses are
 * refused before any probe.
 *
 * Rank: `score = freeBytes / (rttMs + 20)`: free space per unit of latency, so twice the room
 * makes up for twice the delay, and the 20 ms floor keeps LAN jitter from deciding. Columns 0..r-1
 * go to the r best peers; the others stay as spares, best first. Fewer healthy peers than
 * `replicas` → `NotEnoughPeersError` with the counts and the reasons candidates were dropped.
 *
 * @example
 * const { chosen, spares } = await placeColumns({ peers }, { replicas: 3, columnBytes: 3_000_000, shardBytes: 1_048_592 });
 */
export async function placeColumns(
  deps: { peers: PeerSource; request?: HttpRequester },
  params: {
    replicas: number;
    columnBytes: number;
    shardBytes: number;
    chainId?: number;
    publicEndpointsOnly?: boolean;
    timeoutMs?: number;
    signal?: AbortSignal;
  },
): Promise<Placement> {
  const candidates = await deps.peers.listPeers(params.signal);
  const reasons: string[] = [];
  const seen = new Set<string>();
  const unique = candidates.filter((peer) => {
    const key = peer.operator.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    if (params.publicEndpointsOnly && !isPublicEndpoint(peer.endpoint)) {
      reasons.push(`${peer.endpoint}: not a public endpoint`);
      return false;
    }
    return true;
  });
  const probed = await Promise.all(
    unique.map(async (peer): Promise<PlacedPeer | undefined> => {
      try {
        const { status, rttMs } = await getStatus(
          { request: deps.request },
          { endpoint: peer.endpoint, timeoutMs: params.timeoutMs ?? defaults.statusTimeoutMs, signal: params.signal },
        );
        if (status.address.toLowerCase() !== peer.operator.toLowerCase())
          reasons.push(`${peer.endpoint}: signs as ${status.address}, registered as ${peer.operator}`);
        else if (params.chainId !== undefined && status.chainId !== params.chainId) reasons.push(`${peer.endpoint}: serves chain ${status.chainId}`);
        else if (status.freeBytes < params.columnBytes) reasons.push(`${peer.endpoint}: ${status.freeBytes} bytes free, column needs ${params.columnBytes}`);
        else if (status.maxShardBytes < params.shardBytes)
          reasons.push(`${peer.endpoint}: takes shards up to ${status.maxShardBytes} bytes, needs ${params.shardBytes}`);
        else {
          return {
            operator: getAddress(peer.operator),
            endpoint: peer.endpoint,
            freeBytes: status.freeBytes,
            maxShardBytes: status.maxShardBytes,
            pricePerGiBEpoch: peer.pricePerGiBEpoch,
            rttMs,
            score: status.freeBytes / (rttMs + RTT_FLOOR_MS),
          };
        }
      } catch (err) {
        params.signal?.throwIfAborted();
        reasons.push(`${peer.endpoint}: ${err instanceof Error ? err.message : String(err)}`);
      }
      return undefined;
    }),
  );
  const healthy = probed.filter((p): p is PlacedPeer => p !== undefined).sort((a, b) => b.score - a.score);
  if (healthy.length < params.replicas) {
    throw new NotEnoughPeersError({ needed: params.replicas, healthy: healthy.length, candidates: candidates.length, reasons });
  }
  return { chosen: healthy.slice(0, params.replicas), spares: healthy.slice(params.replicas) };
}
