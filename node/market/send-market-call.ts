import { type Address, BaseError, ContractFunctionRevertedError, type Hex } from 'viem';
import { marketAbi } from '../../protocol/chain/market';
import type { MarketChainDeps } from './fill';

/** What became of a Marketplace transaction: mined, refused by the chain (a revert, named), or not sent (RPC trouble). */
export type MarketCallOutcome =
  | { status: 'sent'; hash: Hex }
  | { status: 'refused'; errorName: string | undefined; message: string }
  | { status: 'failed'; message: string };

/** A short text for an error: viem's short message when there is one. */
export const errorText = (error: unknown): string => (error instanceof BaseError ? error.shortMessage : error instanceof Error ? error.message : String(error));

/** The contract's revert, when `error` is one (simulated or mined). */
const revertOf = (error: unknown): ContractFunctionRevertedError | undefined => {
  if (!(error instanceof BaseError)) return undefined;
  const found = error.walk((e) => e instanceof ContractFunctionRevertedError);
  return found instanceof ContractFunctionRevertedError ? found : undefined;
};

/**
 * Simulates a Marketplace call as the operator, sends it when the simulation passes and waits for
 * its receipt. Never throws: a revert (in the simulation, or a mined transaction that reverted) is
 * `refused` with the contract's error name when the ABI decodes it; anything else is `failed`.
 *
 * @example
 * const outcome = await sendMarketCall(chain, { marketAddress, functionName: 'markProofMissing', args: [slotId, epoch] });
 * if (outcome.status === 'refused' && outcome.errorName === 'AlreadyMarked') console.log('someone was faster');
 */
export async function sendMarketCall(
  deps: MarketChainDeps,
  p: { marketAddress: Address; functionName: string; args?: readonly unknown[] },
): Promise<MarketCallOutcome> {
  const args = p.args ?? [];
  try {
    const { request } = await deps.publicClient.simulateContract({
      account: deps.account,
      address: p.marketAddress,
      abi: marketAbi,
      functionName: p.functionName,
      args,
    } as never);
    const hash = await deps.walletClient.writeContract(request as never);
    const receipt = await deps.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') return { status: 'refused', errorName: undefined, message: `${p.functionName} transaction ${hash} reverted` };
    return { status: 'sent', hash };
  } catch (error) {
    const revert = revertOf(error);
    if (revert) return { status: 'refused', errorName: revert.data?.errorName, message: errorText(error) };
    return { status: 'failed', message: errorText(error) };
  }
}
