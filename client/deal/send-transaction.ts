import { type Abi, type Address, BaseError, ContractFunctionRevertedError, decodeErrorResult, type Hex, type TransactionReceipt } from 'viem';
import { peerRegistryAbi, rewardTokenAbi } from '../../protocol/chain/generated/abis';
import { ContractRevertError } from '../errors';
import type { ChainReader, ChainWriter } from './chain-deps';
import { marketplaceAbi } from './marketplace-abi';

/** Every custom error a dhost call can bubble up: the Marketplace's own, and the token's and registry's it calls into. */
const knownErrors: Abi = [...(marketplaceAbi as Abi), ...rewardTokenAbi, ...peerRegistryAbi].filter((item) => item.type === 'error');

function decodeRaw(raw: Hex | undefined): { errorName: string; args: readonly unknown[] } | undefined {
  if (!raw || raw === '0x') return undefined;
  try {
    const decoded = decodeErrorResult({ abi: knownErrors, data: raw });
    return { errorName: decoded.errorName, args: decoded.args ?? [] };
  } catch {
    return undefined;
  }
}

/**
 * Turns a viem contract error into `ContractRevertError` (custom error name and arguments, or the
 * reason string) when it is a revert; anything else is returned unchanged. Errors raised inside
 * the token or the registry (e.g. `ERC20InsufficientBalance` during an escrow pull) are decoded too.
 *
 * @example
 * try { await publicClient.simulateContract(call); } catch (err) { throw decodeRevert(err, 'openDeal'); }
 */
export function decodeRevert(err: unknown, functionName: string): unknown {
  if (!(err instanceof BaseError)) return err;
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return err;
  const decoded = reverted.data ? { errorName: reverted.data.errorName, args: reverted.data.args ?? [] } : decodeRaw(reverted.raw);
  const errorName = decoded?.errorName ?? (reverted.reason ? 'Error' : 'unknown');
  return new ContractRevertError({ functionName, errorName, args: decoded?.args ?? [], reason: reverted.reason }, { cause: err });
}

/**
 * Simulates a contract call as the wallet's account (so a revert is decoded before anything is
 * sent), sends it, and waits for its receipt. A revert, in simulation or in the mined transaction,
 * throws `ContractRevertError`.
 *
 * @example
 * const receipt = await sendTransaction({ publicClient, walletClient }, { address: token, abi: rewardTokenAbi, functionName: 'approve', args: [market, 10n] });
 */
export async function sendTransaction(
  deps: { publicClient: ChainReader; walletClient: ChainWriter },
  params: { address: Address; abi: Abi; functionName: string; args: readonly unknown[]; signal?: AbortSignal },
): Promise<TransactionReceipt> {
  params.signal?.throwIfAborted();
  let hash: Hex;
  try {
    const { request } = await deps.publicClient.simulateContract({
      account: deps.walletClient.account,
      address: params.address,
      abi: params.abi,
      functionName: params.functionName,
      args: params.args,
    } as never);
    hash = await deps.walletClient.writeContract({ ...(request as object), chain: deps.walletClient.chain ?? null } as never);
  } catch (err) {
    throw decodeRevert(err, params.functionName);
  }
  const receipt = await deps.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') {
    throw new ContractRevertError({ functionName: params.functionName, errorName: 'unknown', reason: `transaction ${hash} reverted` });
  }
  return receipt;
}
