import { BaseError, ContractFunctionRevertedError, type Hash } from 'viem';
import { ChainError } from '../../protocol/errors';

/**
 * Turns a failed contract call into a `ChainError`: a revert becomes `CONTRACT_REVERTED` naming
 * the custom error and its arguments (e.g. `PeerIsExiting(0x…)`), anything else `RPC_UNREACHABLE`.
 *
 * @example
 * try { await publicClient.simulateContract(...) } catch (e) { throw chainFailure(e, 'register'); }
 */
export function chainFailure(error: unknown, action: string): ChainError {
  if (error instanceof ChainError) return error;
  if (error instanceof BaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      const name = revert.data?.errorName ?? revert.reason ?? 'unknown error';
      const args = (revert.data?.args ?? []).map((a) => String(a)).join(', ');
      return new ChainError('CONTRACT_REVERTED', `${action} reverted: ${name}(${args})`, {
        details: { action, error: name, args: args || undefined },
        cause: error,
      });
    }
    return new ChainError('RPC_UNREACHABLE', `${action} failed: ${error.shortMessage}`, { details: { action }, cause: error });
  }
  return new ChainError('RPC_UNREACHABLE', `${action} failed: ${error instanceof Error ? error.message : String(error)}`, {
    details: { action },
    cause: error,
  });
}

/**
 * Waits for a transaction's receipt and checks it succeeded; `ChainError('CONTRACT_REVERTED')` otherwise.
 *
 * @example
 * await confirmTransaction({ publicClient }, { hash, action: 'heartbeat' });
 */
export async function confirmTransaction(
  deps: { publicClient: { waitForTransactionReceipt(args: { hash: Hash }): Promise<{ status: 'success' | 'reverted'; blockNumber: bigint }> } },
  params: { hash: Hash; action: string },
): Promise<{ blockNumber: bigint }> {
  const receipt = await deps.publicClient.waitForTransactionReceipt({ hash: params.hash });
  if (receipt.status !== 'success') {
    throw new ChainError('CONTRACT_REVERTED', `${params.action} transaction ${params.hash} reverted`, {
      details: { action: params.action, hash: params.hash },
    });
  }
  return { blockNumber: receipt.blockNumber };
}
