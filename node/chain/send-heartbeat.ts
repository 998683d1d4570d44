import type { Address, Hash } from 'viem';
import { peerRegistryAbi } from '../../protocol/chain/generated/abis';
import { chainFailure, confirmTransaction } from './chain-failure';
import type { NodeChain } from './node-chain';

/**
 * Sends one `heartbeat()` to the registry and waits for its receipt. An exiting peer heartbeats
 * too, until it withdraws (so the slots it still serves are not freed as lapsed). Reverts (e.g.
 * `PeerNotRegistered` after a withdrawal) become `ChainError('CONTRACT_REVERTED')`.
 *
 * @example
 * const hash = await sendHeartbeat({ publicClient, walletClient }, { registry: deployment.contracts.PeerRegistry });
 */
export async function sendHeartbeat(deps: Pick<NodeChain, 'publicClient' | 'walletClient'>, params: { registry: Address }): Promise<Hash> {
  try {
    const { request } = await deps.publicClient.simulateContract({
      account: deps.walletClient.account,
      address: params.registry,
      abi: peerRegistryAbi,
      functionName: 'heartbeat',
    });
    const hash = await deps.walletClient.writeContract(request);
    await confirmTransaction({ publicClient: deps.publicClient }, { hash, action: 'heartbeat' });
    return hash;
  } catch (error) {
    throw chainFailure(error, 'heartbeat');
  }
}
