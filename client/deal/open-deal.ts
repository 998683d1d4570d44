import { rewardTokenAbi } from '../../protocol/chain/generated/abis';
import { readDeal } from '../../protocol/chain/market';
import type { FileId } from '../../protocol/ids';
import { DealOpenError } from '../errors';
import type { ChainReader, ChainWriter, MarketContracts } from './chain-deps';
import { marketplaceAbi } from './marketplace-abi';
import type { DealQuote } from './quote';
import { sendTransaction } from './send-transaction';
import { signPermit } from './sign-permit';

/** What `openDeal` needs: chain access as the deal's owner, and the contracts. */
export interface OpenDealDeps extends MarketContracts {
  publicClient: ChainReader;
  /** Its account becomes the deal's owner and pays the escrow. */
  walletClient: ChainWriter;
  chainId: number;
}

/** An opened deal. */
export interface OpenedDeal {
  dealId: FileId;
  /** How the escrow was pulled: one transaction with a permit, or approve then openDeal. */
  via: 'permit' | 'approve';
  escrow: bigint;
  startEpoch: bigint;
  /** Exclusive. */
  endEpoch: bigint;
}

/**
 * Opens a deal (id = the file id) and escrows `quote.escrow` of the reward token. First tries one
 * transaction, `openDealWithPermit`, with an EIP-2612 permit signed on the token's domain; when
 * anything on that path fails (the account cannot sign typed data, the token refuses the permit,
 * the call reverts), falls back to `approve` (skipped when the allowance already covers the escrow)
 * and `openDeal`. Waits for every receipt. When the fallback fails too: `DealOpenError`, its cause
 * the decoded revert (`ContractRevertError`, e.g. `ERC20InsufficientBalance(owner, balance, needed)`).
 *
 * @example
 * const opened = await openDeal({ publicClient, walletClient, chainId, market, token }, { dealId: fileId, quote });
 */
export async function openDeal(
  deps: OpenDealDeps,
  params: { dealId: FileId; quote: DealQuote; permitTtlSeconds?: number; usePermit?: boolean; signal?: AbortSignal },
): Promise<OpenedDeal> {
  const { dealId, quote } = params;
  const dealArgs = [dealId, quote.slots, quote.bytesPerSlot, quote.durationEpochs, quote.pricePerSlotEpoch] as const;
  let via: OpenedDeal['via'] = 'permit';
  let permitFailure: unknown;
  try {
    if (params.usePermit === false) throw new Error('permit not wanted');
    // From the later of this machine's clock and the chain's: a chain running ahead would otherwise see an expired permit.
    const head = await deps.publicClient.getBlock({ blockTag: 'latest' });
    const wall = BigInt(Math.floor(Date.now() / 1000));
    const deadline = (head.timestamp > wall ? head.timestamp : wall) + BigInt(params.permitTtlSeconds ?? 600);
    const permit = await signPermit(deps, { token: deps.token, spender: deps.market, value: quote.escrow, deadline, chainId: deps.chainId });
    await sendTransaction(deps, {
      address: deps.market,
      abi: marketplaceAbi,
      functionName: 'openDealWithPermit',
      args: [...dealArgs, permit.deadline, permit.v, permit.r, permit.s],
      signal: params.signal,
    });
  } catch (err) {
    params.signal?.throwIfAborted();
    permitFailure = err;
    via = 'approve';
    try {
      const owner = deps.walletClient.account.address;
      const allowance = await deps.publicClient.readContract({
        address: deps.token,
        abi: rewardTokenAbi,
        functionName: 'allowance',
        args: [owner, deps.market],
      });
      if (allowance < quote.escrow) {
        await sendTransaction(deps, {
          address: deps.token,
          abi: rewardTokenAbi,
          functionName: 'approve',
          args: [deps.market, quote.escrow],
          signal: params.signal,
        });
      }
      await sendTransaction(deps, { address: deps.market, abi: marketplaceAbi, functionName: 'openDeal', args: dealArgs, signal: params.signal });
    } catch (cause) {
      params.signal?.throwIfAborted();
      throw new DealOpenError(`could not open deal ${dealId}: ${cause instanceof Error ? cause.message : String(cause)}`, {
        details: {
          dealId,
          slots: quote.slots,
          bytesPerSlot: quote.bytesPerSlot.toString(),
          durationEpochs: quote.durationEpochs,
          pricePerSlotEpoch: quote.pricePerSlotEpoch.toString(),
          escrow: quote.escrow.toString(),
          permitFailure: permitFailure instanceof Error ? permitFailure.message : String(permitFailure),
        },
        cause,
      });
    }
  }
  const deal = await readDeal(deps, { market: deps.market, dealId });
  if (!deal) throw new DealOpenError(`deal ${dealId} is not on chain after its opening transaction`, { details: { dealId } });
  return { dealId, via, escrow: deal.escrow, startEpoch: deal.startEpoch, endEpoch: deal.endEpoch };
}
