import { defaults } from '../../protocol/config';
import { TAG_BYTES } from '../cipher';
import { bytesPerSlotOf, quoteDeal } from '../deal/quote';
import { manifestBytesBound } from '../manifest';
import { placeWithRedundancy } from '../place-with-redundancy';
import { placeColumns } from '../placement';
import { columnCountOf, type Redundancy } from '../redundancy';
import { DEFAULT_DEAL_EPOCHS } from '../upload';
import type { DaemonDeps } from './daemon-deps';

/** What an upload would cost, before anything is paid. */
export interface UploadQuote {
  redundancy: Redundancy;
  /** Why the default redundancy is smaller than the network-size rule; absent otherwise. */
  redundancyReason?: string;
  epochs: number;
  slots: number;
  bytesPerSlot: bigint;
  pricePerSlotEpoch: bigint;
  /** Reward-token wei the deal would escrow: `slots × epochs × pricePerSlotEpoch`. */
  escrow: bigint;
}

/**
 * Quotes an upload as `upload` will price it: the redundancy (as asked, or `chooseRedundancy` from
 * the active peers, made smaller while too few are eligible), the peers placement would choose now,
 * and `quoteDeal` over their asking prices. The upload places again when it runs, so the price
 * paid can differ if the peers changed in between.
 *
 * @example
 * const quote = await quoteUpload(deps, { size: 5 << 20, name: 'a.bin' });
 * console.log(quote.escrow);
 */
export async function quoteUpload(
  deps: Pick<DaemonDeps, 'peers' | 'request' | 'chainId' | 'publicEndpointsOnly'>,
  p: { size: number; name: string; redundancy?: Redundancy; epochs?: number; signal?: AbortSignal },
): Promise<UploadQuote> {
  const epochs = p.epochs ?? DEFAULT_DEAL_EPOCHS;
  const chunkSize = defaults.chunkSize;
  const place = (redundancy: Redundancy) => {
    const file = { size: p.size, chunkSize, redundancy, name: p.name, mediaType: 'application/octet-stream' };
    const bytesPerSlot = bytesPerSlotOf(file);
    return placeColumns(
      { peers: deps.peers, request: deps.request },
      {
        columns: columnCountOf(redundancy),
        columnBytes: Number(bytesPerSlot),
        shardBytes: Math.max(chunkSize + TAG_BYTES, manifestBytesBound(file)),
        chainId: deps.chainId,
        publicEndpointsOnly: deps.publicEndpointsOnly,
        signal: p.signal,
      },
    ).then((placement) => ({ placement, bytesPerSlot }));
  };
  const { redundancy, reason: redundancyReason, placed } = await placeWithRedundancy(deps, { redundancy: p.redundancy, place, signal: p.signal });
  const quote = quoteDeal({ peers: placed.placement.chosen, bytesPerSlot: placed.bytesPerSlot, durationEpochs: epochs });
  return {
    redundancy,
    redundancyReason,
    epochs,
    slots: quote.slots,
    bytesPerSlot: quote.bytesPerSlot,
    pricePerSlotEpoch: quote.pricePerSlotEpoch,
    escrow: quote.escrow,
  };
}
