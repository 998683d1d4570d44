import { InvalidInputError } from '../../protocol/errors';
import { BATCH_HEADER_BYTES } from '../batch/batch-header';
import { chunkCountOf } from '../chunker';
import { TAG_BYTES } from '../cipher';
import { manifestBytesBound, stripeCountOf } from '../manifest';
import type { Redundancy } from '../redundancy';

/** Bytes in a GiB: the unit of the peers' asking price. */
export const GIB = 2n ** 30n;

/** What a deal for one file costs, as the Marketplace's `openDeal` takes it. */
export interface DealQuote {
  /** Declared bytes of every slot: the column's shards plus a bound on its manifest copy. */
  bytesPerSlot: bigint;
  /** Reward-token wei per slot per epoch: the highest asking price among the chosen peers. */
  pricePerSlotEpoch: bigint;
  slots: number;
  durationEpochs: number;
  /** `slots × durationEpochs × pricePerSlotEpoch`, pulled into escrow when the deal opens. */
  escrow: bigint;
}

/**
 * The exact bytes one column of a file may hold: its shard count × (chunkSize + 16) (every shard is
 * a chunk plus its GCM tag, or a parity shard of that size) plus `manifestBytesBound` (the encrypted
 * manifest copy, bounded from its known fields). The shard count is `chunkCount` under replication
 * and `stripeCount = ceil(chunkCount / k)` under Reed-Solomon. Every column of a file has the same
 * length. Give `redundancy`, or `replicas` for replication.
 *
 * @example
 * bytesPerSlotOf({ size: 3 << 20, chunkSize: 1 << 20, replicas: 3, name: 'a.bin', mediaType: 'application/octet-stream' });
 * bytesPerSlotOf({ size: 8 << 20, chunkSize: 1 << 20, redundancy: { scheme: 'rs', dataShards: 4, parityShards: 2 }, name: 'a.bin', mediaType: 'application/octet-stream' });
 */
export function bytesPerSlotOf(params: {
  size: number;
  chunkSize: number;
  replicas?: number;
  redundancy?: Redundancy;
  name: string;
  mediaType: string;
}): bigint {
  const chunkCount = chunkCountOf(params.size, params.chunkSize);
  const shardCount = params.redundancy?.scheme === 'rs' ? stripeCountOf(chunkCount, params.redundancy.dataShards) : chunkCount;
  return BigInt(shardCount) * BigInt(params.chunkSize + TAG_BYTES) + BigInt(manifestBytesBound(params));
}

/**
 * The exact bytes one column of a batch deal may hold (docs/batches.md): every file's shards
 * (`shardCount` × `shardBytes`), every file's manifest copy (each bounded by `manifestBytesBound`),
 * and the batch header. Every column of the batch has the same length.
 *
 * @example
 * bytesPerBatchSlotOf({ shardCount: 4, shardBytes: 65552, manifestBounds: [600, 620] });
 */
export function bytesPerBatchSlotOf(params: { shardCount: number; shardBytes: number; manifestBounds: readonly number[] }): bigint {
  const manifests = params.manifestBounds.reduce((n, b) => n + BigInt(b), 0n);
  return BigInt(params.shardCount) * BigInt(params.shardBytes) + manifests + BigInt(BATCH_HEADER_BYTES);
}

/**
 * The price of one slot for one epoch at a peer's asking price: `ceil(pricePerGiBEpoch × bytes / 2^30)`
 * (rounded up, so a peer is never paid less than it asks).
 *
 * @example
 * slotPriceAt({ pricePerGiBEpoch: 10n ** 18n, bytesPerSlot: 2n ** 29n }); // 5n * 10n ** 17n
 */
export function slotPriceAt(params: { pricePerGiBEpoch: bigint; bytesPerSlot: bigint }): bigint {
  if (params.pricePerGiBEpoch < 0n || params.bytesPerSlot < 0n) throw new InvalidInputError('price and size must not be negative');
  return (params.pricePerGiBEpoch * params.bytesPerSlot + GIB - 1n) / GIB;
}

/**
 * Quotes a deal from the asking prices of the peers chosen for its columns: one price for every
 * slot, the highest of `slotPriceAt` over those peers (a deal has one price, and each chosen peer
 * must accept it), and the escrow for the whole duration.
 *
 * @example
 * const quote = quoteDeal({ peers: placement.chosen, bytesPerSlot, durationEpochs: 30 });
 * console.log(quote.escrow);
 */
export function quoteDeal(params: { peers: readonly { pricePerGiBEpoch: bigint }[]; bytesPerSlot: bigint; durationEpochs: number }): DealQuote {
  const { peers, bytesPerSlot, durationEpochs } = params;
  if (peers.length === 0) throw new InvalidInputError('a deal needs at least one peer');
  if (!Number.isInteger(durationEpochs) || durationEpochs < 1 || durationEpochs > 0xffffffff)
    throw new InvalidInputError('duration must be a positive whole number of epochs', { details: { durationEpochs } });
  let pricePerSlotEpoch = 0n;
  for (const p of peers) {
    const price = slotPriceAt({ pricePerGiBEpoch: p.pricePerGiBEpoch, bytesPerSlot });
    if (price > pricePerSlotEpoch) pricePerSlotEpoch = price;
  }
  const slots = peers.length;
  return { bytesPerSlot, pricePerSlotEpoch, slots, durationEpochs, escrow: BigInt(slots) * BigInt(durationEpochs) * pricePerSlotEpoch };
}
