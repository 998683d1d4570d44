import { type Address, erc20Abi, type Hash, zeroAddress } from 'viem';
import { peerRegistryAbi } from '../../protocol/chain/generated/abis';
import type { PeerRecord } from '../../protocol/chain/peers';
import { PeerExitingError, StakeUnavailableError } from '../errors';
import { chainFailure, confirmTransaction } from './chain-failure';
import type { NodeChain } from './node-chain';

/** What `ensureRegistered` did. */
/**
 * What `ensureRegistered` did. `exiting`: the operator has begun to exit but still holds slots
 * (stake locked as collateral), so the node starts to serve and prove them — record untouched.
 */
export type RegistrationAction = 'registered' | 'updated' | 'unchanged' | 'exiting';

/**
 * Makes the registry describe this node as asked: registers it (approving the stake on the
 * reward token first) when unknown, calls `updatePeer` when its endpoint, capacity or price
 * differ, and leaves it alone otherwise. An operator that has begun to exit is started only while
 * it still holds slots (stake locked as collateral): it must serve, prove and heartbeat until their
 * deals end, or anyone may free them and its collateral is forfeited; its record is left as it is
 * (`exiting`; an exiting peer cannot update it). With nothing locked it is refused with
 * `PeerExitingError`: nothing is left to serve. Waits for every receipt. Contract reverts become `ChainError('CONTRACT_REVERTED')`
 * naming the custom error.
 *
 * @example
 * const { action } = await ensureRegistered({ publicClient, walletClient }, {
 *   registry: deployment.contracts.PeerRegistry, token: deployment.contracts.RewardToken,
 *   endpoint: 'http://127.0.0.1:7001', capacity: 10n << 30n, pricePerGiBEpoch: 10n ** 15n,
 * });
 */
export async function ensureRegistered(
  deps: Pick<NodeChain, 'publicClient' | 'walletClient'>,
  params: {
    registry: Address;
    token: Address;
    endpoint: string;
    capacity: bigint;
    pricePerGiBEpoch: bigint;
    /** Stake to lock when registering; default the registry's `minStake`. */
    stake?: bigint;
    log?: (line: string) => void;
  },
): Promise<{ action: RegistrationAction; peer: PeerRecord }> {
  const { publicClient, walletClient } = deps;
  const operator = walletClient.account.address;
  const log = params.log ?? (() => {});
  const readPeer = async (): Promise<PeerRecord> => ({
    ...(await publicClient.readContract({ address: params.registry, abi: peerRegistryAbi, functionName: 'peer', args: [operator] })),
  });
  const send = async (action: string, write: () => Promise<Hash>) => {
    try {
      await confirmTransaction({ publicClient }, { hash: await write(), action });
    } catch (error) {
      throw chainFailure(error, action);
    }
  };

  const peer = await readPeer();
  if (peer.operator === zeroAddress) {
    const config = await publicClient.readContract({ address: params.registry, abi: peerRegistryAbi, functionName: 'config' });
    const stake = params.stake ?? config.minStake;
    const balance = await publicClient.readContract({ address: params.token, abi: erc20Abi, functionName: 'balanceOf', args: [operator] });
    if (balance < stake) {
      throw new StakeUnavailableError(`operator ${operator} holds ${balance} reward-token wei but must stake ${stake}: fund it first`, {
        details: { operator, token: params.token, balance: String(balance), stake: String(stake) },
      });
    }
    const allowance = await publicClient.readContract({ address: params.token, abi: erc20Abi, functionName: 'allowance', args: [operator, params.registry] });
    if (allowance < stake) {
      await send('approve', async () => {
        const { request } = await publicClient.simulateContract({
          account: walletClient.account,
          address: params.token,
          abi: erc20Abi,
          functionName: 'approve',
          args: [params.registry, stake],
        });
        return walletClient.writeContract(request);
      });
    }
    await send('register', async () => {
      const { request } = await publicClient.simulateContract({
        account: walletClient.account,
        address: params.registry,
        abi: peerRegistryAbi,
        functionName: 'register',
        args: [params.endpoint, params.capacity, params.pricePerGiBEpoch, stake],
      });
      return walletClient.writeContract(request);
    });
    log(`registered ${operator} at ${params.endpoint} with stake ${stake}`);
    return { action: 'registered', peer: await readPeer() };
  }

  if (peer.exitRequestedAt !== 0n && peer.lockedStake > 0n) {
    log(
      `operator ${operator} is exiting: serving and proving the slots it holds (${peer.lockedStake} wei of stake locked as collateral) until their deals end; it takes no new slots and its record is not updated`,
    );
    return { action: 'exiting', peer };
  }
  if (peer.exitRequestedAt !== 0n) {
    throw new PeerExitingError(
      `operator ${operator} has begun to exit the registry and holds no slots; the node will not start (withdraw the stake with \`dhost node withdraw\`, then register again)`,
      {
        details: { operator, exitRequestedAt: String(peer.exitRequestedAt) },
      },
    );
  }
  if (peer.endpoint === params.endpoint && peer.capacity === params.capacity && peer.pricePerGiBEpoch === params.pricePerGiBEpoch) {
    return { action: 'unchanged', peer };
  }
  await send('updatePeer', async () => {
    const { request } = await publicClient.simulateContract({
      account: walletClient.account,
      address: params.registry,
      abi: peerRegistryAbi,
      functionName: 'updatePeer',
      args: [params.endpoint, params.capacity, params.pricePerGiBEpoch],
    });
    return walletClient.writeContract(request);
  });
  log(`updated ${operator}: endpoint ${params.endpoint}, capacity ${params.capacity}, price ${params.pricePerGiBEpoch}`);
  return { action: 'updated', peer: await readPeer() };
}
