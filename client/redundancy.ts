import { defaults } from '../protocol/config';
import { InvalidInputError } from '../protocol/errors';
import { MAX_COLUMNS } from '../protocol/ids';
import { MAX_DATA_SHARDS, MAX_PARITY_SHARDS } from './erasure';

/**
 * How a file survives lost peers: `replicate` stores `replicas` whole encrypted copies (one per
 * column); `rs` stores k data and m parity shards per stripe (Reed-Solomon over the ciphertext),
 * one column each, and any k columns rebuild the file.
 */
export type Redundancy = { scheme: 'replicate'; replicas: number } | { scheme: 'rs'; dataShards: number; parityShards: number };

/**
 * The number of columns (= slots = distinct peers) a redundancy needs: r, or k + m.
 *
 * @example
 * columnCountOf({ scheme: 'rs', dataShards: 4, parityShards: 2 }); // 6
 */
export function columnCountOf(redundancy: Redundancy): number {
  return redundancy.scheme === 'replicate' ? redundancy.replicas : redundancy.dataShards + redundancy.parityShards;
}

/**
 * Checks a redundancy: 1..MAX_COLUMNS replicas, or 1 ≤ k ≤ 24 and 1 ≤ m ≤ 6 (the native codec's
 * bounds). Throws `InvalidInputError`.
 *
 * @example
 * checkRedundancy({ scheme: 'rs', dataShards: 10, parityShards: 6 });
 */
export function checkRedundancy(redundancy: Redundancy): Redundancy {
  const int = (v: number, min: number, max: number, what: string) => {
    if (!Number.isInteger(v) || v < min || v > max) throw new InvalidInputError(`${what} must be an integer in [${min}, ${max}]`, { details: { redundancy } });
  };
  if (redundancy.scheme === 'replicate') int(redundancy.replicas, 1, MAX_COLUMNS, 'replicas');
  else if (redundancy.scheme === 'rs') {
    int(redundancy.dataShards, 1, MAX_DATA_SHARDS, 'data shards');
    int(redundancy.parityShards, 1, MAX_PARITY_SHARDS, 'parity shards');
  } else throw new InvalidInputError('redundancy scheme must be replicate or rs', { details: { redundancy } });
  return redundancy;
}

/**
 * Parses `replicate:N` or `rs:K+M` (the CLI's `--redundancy`).
 *
 * @example
 * parseRedundancy('rs:4+2'); // { scheme: 'rs', dataShards: 4, parityShards: 2 }
 * parseRedundancy('replicate:3'); // { scheme: 'replicate', replicas: 3 }
 */
export function parseRedundancy(text: string): Redundancy {
  const rep = /^replicate:([0-9]{1,3})$/.exec(text);
  if (rep) return checkRedundancy({ scheme: 'replicate', replicas: Number(rep[1]) });
  const rs = /^rs:([0-9]{1,2})\+([0-9]{1,2})$/.exec(text);
  if (rs) return checkRedundancy({ scheme: 'rs', dataShards: Number(rs[1]), parityShards: Number(rs[2]) });
  throw new InvalidInputError('redundancy must be replicate:N or rs:K+M (e.g. rs:4+2)', { details: { text } });
}

/**
 * Writes a redundancy the way `parseRedundancy` reads it.
 *
 * @example
 * formatRedundancy({ scheme: 'rs', dataShards: 4, parityShards: 2 }); // 'rs:4+2'
 */
export function formatRedundancy(redundancy: Redundancy): string {
  return redundancy.scheme === 'replicate' ? `replicate:${redundancy.replicas}` : `rs:${redundancy.dataShards}+${redundancy.parityShards}`;
}

/** The default redundancy for a network, and why it differs from the size rule when it does. */
export interface RedundancyChoice {
  redundancy: Redundancy;
  /** Set when fewer eligible peers than the size rule's columns forced a smaller layout. */
  reason?: string;
}

/**
 * The default redundancy for a network (issue 4): RS(4,2) while fewer than
 * `defaults.largeNetworkPeers` (16) peers are active — six columns fit a small network such as the
 * eight-peer devnet with spares left for repair — and RS(10,6) from 16 active peers (1.6× overhead,
 * survives any six lost columns). Never more columns than `eligiblePeers` (those placement found
 * healthy and with room): first fewer parity shards (down to one), then replication with
 * `min(defaults.replicas, eligiblePeers)` copies; `reason` says why.
 *
 * @example
 * chooseRedundancy({ activePeers: 8 }); // { redundancy: { scheme: 'rs', dataShards: 4, parityShards: 2 } }
 * chooseRedundancy({ activePeers: 20, eligiblePeers: 12 }); // RS(10,2), with a reason
 * chooseRedundancy({ activePeers: 3, eligiblePeers: 3 }); // replicate:3, with a reason
 */
export function chooseRedundancy(params: { activePeers: number; eligiblePeers?: number }): RedundancyChoice {
  const large = params.activePeers >= defaults.largeNetworkPeers;
  const preferred = large ? defaults.largeNetworkRedundancy : defaults.smallNetworkRedundancy;
  const eligible = params.eligiblePeers ?? params.activePeers;
  const { dataShards, parityShards } = preferred;
  const wanted = dataShards + parityShards;
  if (eligible >= wanted) return { redundancy: { scheme: 'rs', dataShards, parityShards } };
  const why = `${eligible} eligible peer(s) for the ${wanted} columns of rs:${dataShards}+${parityShards} (${params.activePeers} active)`;
  if (eligible >= dataShards + 1) {
    const fewer = eligible - dataShards;
    return { redundancy: { scheme: 'rs', dataShards, parityShards: fewer }, reason: `${why}: fewer parity shards (rs:${dataShards}+${fewer})` };
  }
  const replicas = Math.max(1, Math.min(defaults.replicas, eligible));
  return { redundancy: { scheme: 'replicate', replicas }, reason: `${why}: replication (replicate:${replicas})` };
}
