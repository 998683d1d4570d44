import type { Address } from 'viem';
import { type DealView, toDealView } from '../../protocol/chain/market';
import type { FileId } from '../../protocol/ids';
import type { ChainReader } from './chain-deps';
import { marketplaceAbi } from './marketplace-abi';

/** A deal of the owner, with what `dhost ls` shows about its expiry. */
export interface OwnedDeal extends DealView {
  dealId: FileId;
  /** The Marketplace's epoch now. */
  currentEpoch: bigint;
  /** Epochs still paid for (`endEpoch − currentEpoch`, 0 when ended). */
  epochsLeft: bigint;
  /** Ended (past `endEpoch`) or cancelled. */
  ended: boolean;
  /** Not ended and at most `endsSoonEpochs` epochs left: time to extend. */
  endsSoon: boolean;
}

/** Default warning threshold: a deal with at most this many epochs left ends soon. */
export const ENDS_SOON_EPOCHS = 24n;

/**
 * Every deal of `owner`, oldest first, read from the chain (`dealRecordsOf`: ids and records page by
 * page, 200 a page by default, so D deals cost ⌈D / 200⌉ calls (one for none) plus one
 * `currentEpoch`): the file list comes back from the chain alone, so a
 * lost keystore loses no file. Each deal carries its expiry: `endEpoch`, `epochsLeft` and
 * `endsSoon` (≤ `endsSoonEpochs` left).
 *
 * @example
 * const deals = await listDeals({ publicClient, market }, { owner: account.address });
 * for (const d of deals) if (d.endsSoon) console.warn(`${d.dealId} ends in ${d.epochsLeft} epochs`);
 */
export async function listDeals(
  deps: { publicClient: ChainReader; market: Address },
  params: { owner: Address; pageSize?: number; endsSoonEpochs?: bigint; signal?: AbortSignal },
): Promise<OwnedDeal[]> {
  const pageSize = BigInt(Math.max(1, params.pageSize ?? 200));
  const threshold = params.endsSoonEpochs ?? ENDS_SOON_EPOCHS;
  const epochRead = deps.publicClient.readContract({ address: deps.market, abi: marketplaceAbi, functionName: 'currentEpoch' });
  // Awaited below; this keeps a failing page from leaving its rejection unhandled.
  epochRead.catch(() => {});
  const deals: DealView[] = [];
  for (let offset = 0n; ; offset += pageSize) {
    params.signal?.throwIfAborted();
    const [ids, records, total] = await deps.publicClient.readContract({
      address: deps.market,
      abi: marketplaceAbi,
      functionName: 'dealRecordsOf',
      args: [params.owner, offset, pageSize],
    });
    ids.forEach((dealId, i) => {
      const deal = toDealView(dealId as FileId, records[i]);
      if (deal) deals.push(deal);
    });
    if (ids.length === 0 || offset + pageSize >= total) break;
  }
  const currentEpoch = await epochRead;
  return deals.map((deal) => {
    const ended = deal.cancelled || currentEpoch >= deal.endEpoch;
    const epochsLeft = ended ? 0n : deal.endEpoch - currentEpoch;
    return { ...deal, dealId: deal.dealId as FileId, currentEpoch, epochsLeft, ended, endsSoon: !ended && epochsLeft <= threshold };
  });
}
