import type { Address } from 'viem';
import { peerRegistryAbi } from '../protocol/chain/generated/abis';
import { readDeal, readSlot, SLOT_STATE } from '../protocol/chain/market';
import { type FileId, slotIdOf } from '../protocol/ids';
import type { ChainReader } from './deal/chain-deps';
import { DealNotFoundError } from './errors';
import { getHoldings } from './transport/get-holdings';
import type { HttpRequester } from './transport/http-requester';

/** Why a column counts as healthy or not. */
export type ColumnHealthState =
  /** Filled on chain by an active peer that answers and lists every shard with its expected hash. */
  | 'healthy'
  /** The slot is not filled (never, freed, or finished). */
  | 'unfilled'
  /** The holder is no longer active in the registry (exiting, stake below the minimum, heartbeat lapsed). */
  | 'inactive'
  /** The holder did not answer its holdings. */
  | 'unreachable'
  /** The holder answers but lacks some shards (or lists other hashes). */
  | 'incomplete';

/** One column's health. */
export interface ColumnHealth {
  column: number;
  state: ColumnHealthState;
  /** The slot's peer on chain, when filled. */
  operator?: Address;
  endpoint?: string;
  /** Stripes whose shard this column holds intact. */
  stripesHeld: number;
}

/** A file's redundancy health, read from the chain and the holders. */
export interface FileHealth {
  /** k + m (or the replica count). */
  columns: number;
  /** k (1 under replication). */
  dataColumns: number;
  stripes: number;
  /** Healthy columns of the weakest stripe; the file reads back while this is ≥ dataColumns. */
  minHealthy: number;
  /** Indices of the stripes at `minHealthy` (at most 100 listed). */
  weakestStripes: number[];
  perColumn: ColumnHealth[];
}

/**
 * Reads a file's health (`fileId`: the deal holding it; `firstStripe` where a batch put it): the deal's slots from the chain (`slot(slotIdOf(fileId, c))`), each
 * holder's registry record (`isActive`, endpoint), then each active holder's holdings
 * (`GET /files/:fileId`), checking that it lists shard index s of every stripe — with the hash the
 * manifest expects when `expectedSha256` is given. A shard counts for its stripe only when all of
 * that holds. Holders are asked concurrently; one that fails to answer is `unreachable`, not an
 * error. No deal with this id: `DealNotFoundError`.
 *
 * @example
 * const health = await readFileHealth({ publicClient }, { market, registry, fileId, dataColumns: 4, stripes: 256 });
 * if (health.minHealthy < health.columns) console.log('repair needed for stripes', health.weakestStripes);
 */
export async function readFileHealth(
  deps: { publicClient: ChainReader; request?: HttpRequester },
  p: {
    market: Address;
    registry: Address;
    fileId: FileId;
    dataColumns: number;
    stripes: number;
    /** Shard index of the file's first stripe in its deal's columns (a file in a batch); default 0. */
    firstStripe?: number;
    /** The hex SHA-256 the manifest lists for `column`'s shard of `stripe`. */
    expectedSha256?: (column: number, stripe: number) => string;
    endpointAllowed?: (endpoint: string) => boolean;
    timeoutMs?: number;
    signal?: AbortSignal;
  },
): Promise<FileHealth> {
  const deal = await readDeal(deps, { market: p.market, dealId: p.fileId });
  if (!deal) throw new DealNotFoundError(`no deal ${p.fileId} on chain`, { details: { dealId: p.fileId } });
  const held = new Uint16Array(p.stripes);
  const perColumn = await Promise.all(
    Array.from({ length: deal.slots }, async (_, column): Promise<ColumnHealth> => {
      const slot = await readSlot(deps, { market: p.market, slotId: slotIdOf(p.fileId, column) });
      if (slot.state !== SLOT_STATE.Filled) return { column, state: 'unfilled', stripesHeld: 0 };
      const operator = slot.peer;
      const [record, active] = await Promise.all([
        deps.publicClient.readContract({ address: p.registry, abi: peerRegistryAbi, functionName: 'peer', args: [operator] }),
        deps.publicClient.readContract({ address: p.registry, abi: peerRegistryAbi, functionName: 'isActive', args: [operator] }),
      ]);
      const endpoint = record.endpoint;
      if (!active) return { column, state: 'inactive', operator, endpoint, stripesHeld: 0 };
      if (p.endpointAllowed && !p.endpointAllowed(endpoint)) return { column, state: 'unreachable', operator, endpoint, stripesHeld: 0 };
      let shards: { index: number | 'manifest'; sha256: string }[];
      try {
        const { holdings } = await getHoldings(deps, { endpoint, fileId: p.fileId, timeoutMs: p.timeoutMs, signal: p.signal });
        shards = holdings.slots.find((s) => s.column === column)?.shards ?? [];
      } catch {
        p.signal?.throwIfAborted();
        return { column, state: 'unreachable', operator, endpoint, stripesHeld: 0 };
      }
      let stripesHeld = 0;
      const seen = new Uint8Array(p.stripes);
      const first = p.firstStripe ?? 0;
      for (const shard of shards) {
        if (shard.index === 'manifest') continue;
        const stripe = shard.index - first;
        if (stripe < 0 || stripe >= p.stripes || seen[stripe]) continue;
        if (p.expectedSha256 && p.expectedSha256(column, stripe) !== shard.sha256) continue;
        seen[stripe] = 1;
        held[stripe] += 1;
        stripesHeld += 1;
      }
      return { column, state: stripesHeld === p.stripes ? 'healthy' : 'incomplete', operator, endpoint, stripesHeld };
    }),
  );
  let minHealthy = p.stripes === 0 ? perColumn.filter((c) => c.state === 'healthy').length : Number.POSITIVE_INFINITY;
  for (let s = 0; s < p.stripes; s++) if (held[s] < minHealthy) minHealthy = held[s];
  const weakestStripes: number[] = [];
  for (let s = 0; s < p.stripes && weakestStripes.length < 100; s++) if (held[s] === minHealthy) weakestStripes.push(s);
  return { columns: deal.slots, dataColumns: p.dataColumns, stripes: p.stripes, minHealthy, weakestStripes, perColumn };
}
