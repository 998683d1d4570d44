import { type Address, BaseError, ContractFunctionRevertedError } from 'viem';
import { peerRegistryAbi } from '../../protocol/chain/generated/abis';
import type { MarketChainDeps } from './fill';
import { errorText } from './send-market-call';

/** What a withdrawal round did. */
export type CreditWithdrawal = { status: 'none' } | { status: 'withdrawn'; amount: bigint } | { status: 'failed'; message: string };

/**
 * Moves the operator's marker credit (its share of the slashes of proofs it marked missing, held by
 * the registry as a pull payment) to its token balance: reads `creditOf`, and when it is non-zero
 * sends `withdrawCredit()` and waits for the receipt. Never throws; a failure is reported and the
 * credit stays where it is for the next round.
 *
 * @example
 * const outcome = await withdrawMarkerCredit({ chain }, { registry: deployment.contracts.PeerRegistry });
 * if (outcome.status === 'withdrawn') log(`withdrew ${outcome.amount} wei of marker credit`);
 */
export async function withdrawMarkerCredit(deps: { chain: MarketChainDeps }, p: { registry: Address }): Promise<CreditWithdrawal> {
  const { publicClient, walletClient, account } = deps.chain;
  try {
    const credit = await publicClient.readContract({ address: p.registry, abi: peerRegistryAbi, functionName: 'creditOf', args: [account.address] });
    if (credit === 0n) return { status: 'none' };
    const { request } = await publicClient.simulateContract({ account, address: p.registry, abi: peerRegistryAbi, functionName: 'withdrawCredit' });
    const hash = await walletClient.writeContract(request);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') return { status: 'failed', message: `withdrawCredit transaction ${hash} reverted` };
    return { status: 'withdrawn', amount: credit };
  } catch (error) {
    const reverted = error instanceof BaseError && error.walk((e) => e instanceof ContractFunctionRevertedError) !== null;
    return { status: 'failed', message: `${reverted ? 'refused' : 'failed'}: ${errorText(error)}` };
  }
}
