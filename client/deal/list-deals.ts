import type { Address } from 'viem';
import { type DealView, readDeal } from '../../protocol/chain/market';
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
 * Every deal of `owner`, oldest first, read from the chain (`dealsOf` page by page, then `deal`
 * for each): the file list comes back from the chain alone, so a lost keystore loses no file. Each
 * deal carries its expiry: `endEpoch`, `epochsLeft` and `endsSoon` (≤ `endsSoonEpochs` left).
 *
 * @example
 * const deals = await listDeals({ publicClient, market }, { owner: account.address });
 * for (const d of deals) if (d.endsSoon) console.warn(`${d.dealId} ends in ${d.epochsLeft} epochs`);
 */
export async function listDeals(
  deps: { publicClient: ChainReader; market: Address },
  params: { owner: Address; pageSize?: number; endsSoonEpochs?: bigint; signal?: AbortSignal },
): Promise<OwnedDeal[]> {
  const pageSize = BigInt(params.pageSize ?? 100);
  const threshold = params.endsSoonEpochs ?? ENDS_SOON_EPOCHS;
  const ids: FileId[] = [];
  for (let offset = 0n; ; offset += pageSize) {
    params.signal?.throwIfAborted();
    const [page, total] = await deps.publicClient.readContract({
      address: deps.market,
      abi: marketplaceAbi,
      functionName: 'dealsOf',
      args: [params.owner, offset, pageSize],
    });
    ids.push(...(page as readonly FileId[]));
    if (page.length === 0 || offset + pageSize >= total) break;
  }
  const currentEpoch = await deps.publicClient.readContract({ address: deps.market, abi: marketplaceAbi, functionName: 'currentEpoch' });
  const deals = await Promise.all(ids.map((dealId) => readDeal(deps, { market: deps.market, dealId })));
  const out: OwnedDeal[] = [];
  deals.forEach((deal, i) => {
    if (!deal) return;
    const ended = deal.cancelled || currentEpoch >= deal.endEpoch;
    const epochsLeft = ended ? 0n : deal.endEpoch - currentEpoch;
    out.push({ ...deal, dealId: ids[i], currentEpoch, epochsLeft, ended, endsSoon: !ended && epochsLeft <= threshold });
  });
  return out;
}
