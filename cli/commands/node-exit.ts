import { BaseError, ContractFunctionRevertedError, zeroAddress } from 'viem';
import { chainFailure, confirmTransaction } from '../../node/chain/chain-failure';
import { connectNodeChain, type NodeChain } from '../../node/chain/node-chain';
import type { Deployment } from '../../protocol/chain/deployment';
import { peerRegistryAbi } from '../../protocol/chain/generated/abis';
import { marketAbi } from '../../protocol/chain/market';
import { ChainError } from '../../protocol/errors';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { UsageError } from '../errors';
import type { CommandIo } from '../main';
import { mergeNodeSettings, readNodeConfig } from '../node-config';
import { connect, resolveSettings } from '../settings';

// `force` is accepted and ignored: `node exit` needed it while an exiting peer could not heartbeat.
const OPERATOR_OPTIONS = { ...COMMON_OPTIONS, config: { type: 'string' }, force: { type: 'boolean', default: false } } as const;

/** The operator's chain connection, from flags, environment and the node's config file (`--config`). */
async function connectOperator(io: CommandIo, args: string[], command: string): Promise<{ chain: NodeChain; deployment: Deployment; json: boolean }> {
  const { values, positionals } = parseCommandArgs(args, OPERATOR_OPTIONS);
  if (positionals.length > 0) throw new UsageError(`${command} takes no arguments, got "${positionals[0]}"`);
  const merged = mergeNodeSettings(values, io.env, values.config ? readNodeConfig(values.config) : undefined);
  if (!merged.privateKey) throw new UsageError(`${command} needs the operator key: DHOST_PRIVATE_KEY, or privateKeyFile in --config FILE`);
  const settings = { ...resolveSettings({ rpc: merged.rpcUrl, deployment: merged.deployment, home: values.home }, io.env), privateKey: merged.privateKey };
  const { deployment } = await connect(settings);
  const chain = await connectNodeChain({ rpcUrl: settings.rpcUrl, privateKey: merged.privateKey, deployment });
  return { chain, deployment, json: values.json };
}

const iso = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString();

async function readPeer(chain: NodeChain, registry: `0x${string}`) {
  return chain.publicClient.readContract({ address: registry, abi: peerRegistryAbi, functionName: 'peer', args: [chain.account.address] });
}

/**
 * `dhost node exit [--config FILE] [--json]`: begins the operator's exit from the registry
 * (`beginExit`, signed with the operator key). The peer stops being active at once, so it gets no
 * new slots; the running node keeps serving, proving and heartbeating for the slots it holds (an
 * exiting peer may heartbeat until it withdraws, so they cannot be freed as lapsed), and a restart
 * of the node serves them too. When slots are still held (stake locked as collateral) it warns: they
 * must be served until their deals end, or anyone may free them once the heartbeat is
 * `lapseFreeSeconds` old and their collateral is forfeited. The stake can be withdrawn with
 * `dhost node withdraw` once the registry's unbonding delay has passed and no stake is locked.
 * There is no way back but withdrawing and registering again. Running it again on an exiting
 * operator only reports when the stake becomes withdrawable. `--force` is accepted and ignored
 * (it was needed while exiting stopped heartbeats).
 *
 * @example
 * DHOST_PRIVATE_KEY=0x… dhost node exit
 */
export async function nodeExitCommand(io: CommandIo, args: string[]): Promise<number> {
  const { chain, deployment, json } = await connectOperator(io, args, 'node exit');
  const registry = deployment.contracts.PeerRegistry;
  const address = chain.account.address;
  let peer = await readPeer(chain, registry);
  if (peer.operator === zeroAddress) throw new UsageError(`${address} is not registered in the registry ${registry} on chain ${deployment.chainId}`);
  const already = peer.exitRequestedAt !== 0n;
  if (!already) {
    try {
      const { request } = await chain.publicClient.simulateContract({
        account: chain.account,
        address: registry,
        abi: peerRegistryAbi,
        functionName: 'beginExit',
      });
      await confirmTransaction({ publicClient: chain.publicClient }, { hash: await chain.walletClient.writeContract(request), action: 'beginExit' });
    } catch (error) {
      throw chainFailure(error, 'beginExit');
    }
    peer = await readPeer(chain, registry);
  }
  const config = await chain.publicClient.readContract({ address: registry, abi: peerRegistryAbi, functionName: 'config' });
  const withdrawableAt = peer.exitRequestedAt + config.unbondingDelay;
  let warning: string | undefined;
  if (peer.lockedStake > 0n) {
    const market = await chain.publicClient.readContract({ address: deployment.contracts.Marketplace, abi: marketAbi, functionName: 'config' });
    warning = `${address} still holds slots (${peer.lockedStake} wei of stake locked as collateral): keep the node running until their deals end — it keeps serving, proving and heartbeating for them. If it stops, anyone may free them ${market.lapseFreeSeconds} s after its last heartbeat and their collateral is forfeited.`;
  }
  if (json) {
    io.stdout.write(
      `${JSON.stringify({
        address,
        alreadyExiting: already,
        exitRequestedAt: iso(peer.exitRequestedAt),
        withdrawableAt: iso(withdrawableAt),
        stake: String(peer.stake),
        lockedStake: String(peer.lockedStake),
        ...(warning ? { warning } : {}),
      })}\n`,
    );
    return 0;
  }
  if (warning) io.stderr.write(`warning: ${warning}\n`);
  io.stdout.write(
    [
      `${address} ${already ? 'was already exiting' : 'has begun to exit'} since ${iso(peer.exitRequestedAt)}: it gets no new slots.`,
      'Keep the node running (a restart serves the slots it still holds): it heartbeats, serves and proves them until their deals end.',
      `The stake (${peer.stake} wei, ${peer.lockedStake} locked as collateral) can be withdrawn with \`dhost node withdraw\` from ${iso(withdrawableAt)}, once none is locked.`,
      '',
    ].join('\n'),
  );
  return 0;
}

/**
 * `dhost node withdraw [--config FILE] [--json]`: pays the operator's stake back (`withdrawStake`)
 * and deletes its registry record, once its exit began, the unbonding delay has passed and no stake
 * is locked. Before that it fails with a clear message: the time the stake becomes withdrawable,
 * or the collateral still locked.
 *
 * @example
 * DHOST_PRIVATE_KEY=0x… dhost node withdraw
 */
export async function nodeWithdrawCommand(io: CommandIo, args: string[]): Promise<number> {
  const { chain, deployment, json } = await connectOperator(io, args, 'node withdraw');
  const registry = deployment.contracts.PeerRegistry;
  const address = chain.account.address;
  const peer = await readPeer(chain, registry);
  try {
    const { request } = await chain.publicClient.simulateContract({
      account: chain.account,
      address: registry,
      abi: peerRegistryAbi,
      functionName: 'withdrawStake',
    });
    await confirmTransaction({ publicClient: chain.publicClient }, { hash: await chain.walletClient.writeContract(request), action: 'withdrawStake' });
  } catch (error) {
    throw await withdrawFailure(chain, error, address);
  }
  if (json) io.stdout.write(`${JSON.stringify({ address, withdrawn: String(peer.stake) })}\n`);
  else io.stdout.write(`withdrew ${peer.stake} wei of stake to ${address}; its registry record is gone (register again with \`dhost node\`)\n`);
  return 0;
}

/** A `withdrawStake` revert explained: when it becomes possible, or what to do first. */
async function withdrawFailure(chain: NodeChain, error: unknown, address: `0x${string}`): Promise<ChainError> {
  const revert = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
  const data = revert instanceof ContractFunctionRevertedError ? revert.data : undefined;
  const fail = (message: string, details: Record<string, unknown>) =>
    new ChainError('CONTRACT_REVERTED', message, { details: { action: 'withdrawStake', error: data?.errorName, ...details }, cause: error });
  switch (data?.errorName) {
    case 'UnbondingNotOver': {
      const withdrawableAt = data.args?.[1] as bigint;
      const block = await chain.publicClient.getBlock({ blockTag: 'latest' });
      const wait = withdrawableAt - block.timestamp;
      return fail(
        `the unbonding delay is not over: the stake can be withdrawn from ${iso(withdrawableAt)} (in ${wait > 0n ? wait : 0n} s by the chain's clock) (UnbondingNotOver)`,
        { withdrawableAt: iso(withdrawableAt) },
      );
    }
    case 'StakeIsLocked':
      return fail(
        `${String(data.args?.[1])} wei of the stake is still locked as collateral for slots this peer holds: keep the node proving until they end, then withdraw (StakeIsLocked)`,
        { lockedStake: String(data.args?.[1]) },
      );
    case 'PeerNotExiting':
      return fail(`${address} has not begun to exit: run \`dhost node exit\` first (PeerNotExiting)`, {});
    case 'PeerNotRegistered':
      return fail(`${address} is not registered (or has already withdrawn) (PeerNotRegistered)`, {});
    default:
      return chainFailure(error, 'withdrawStake');
  }
}
