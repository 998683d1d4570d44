import { errorDeploymentResultToExceptionMessage, HardhatArtifactResolver } from '@nomicfoundation/hardhat-ignition/helpers';
import {
  type DeploymentParameters,
  DeploymentResultType,
  deploy,
  type EIP1193Provider,
  type ExecutionEventListener,
  type TransactionConfirmEvent,
} from '@nomicfoundation/ignition-core';
import { getAddress } from 'ethers';
import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import DhostModule, { type DHOST_DEFAULTS } from '../../ignition/modules/Dhost';
import type { Deployment } from '../../protocol/chain/deployment';
import type { Marketplace, PeerRegistry, RewardToken } from '../../typechain-types';

type Address = `0x${string}`;

/** Parameters of the `Dhost` Ignition module; every one left out takes its default (`DHOST_DEFAULTS`). */
export type DhostParameters = Partial<Record<keyof typeof DHOST_DEFAULTS, bigint>>;

/** The environment variable that sets each module parameter in `scripts/hardhat/deploy.ts`. */
export const DHOST_PARAMETER_ENV: Record<keyof typeof DHOST_DEFAULTS, string> = {
  initialSupply: 'DHOST_INITIAL_SUPPLY',
  minStake: 'DHOST_MIN_STAKE',
  heartbeatTimeout: 'DHOST_HEARTBEAT_TIMEOUT',
  evictionDelay: 'DHOST_EVICTION_DELAY',
  unbondingDelay: 'DHOST_UNBONDING_DELAY',
  maxEndpointLength: 'DHOST_MAX_ENDPOINT_LENGTH',
  epochLength: 'DHOST_EPOCH_LENGTH',
  challengeProbabilityPpm: 'DHOST_CHALLENGE_PPM',
  slashPpm: 'DHOST_SLASH_PPM',
  markerRewardPpm: 'DHOST_MARKER_REWARD_PPM',
  maxMisses: 'DHOST_MAX_MISSES',
  missingWindowEpochs: 'DHOST_MISSING_WINDOW_EPOCHS',
  collateralEpochs: 'DHOST_COLLATERAL_EPOCHS',
  minCollateral: 'DHOST_MIN_COLLATERAL',
  lapseFreeSeconds: 'DHOST_LAPSE_FREE_SECONDS',
  minFillEpochs: 'DHOST_MIN_FILL_EPOCHS',
  maxClaimEpochs: 'DHOST_MAX_CLAIM_EPOCHS',
  subsidyPerGiBEpoch: 'DHOST_SUBSIDY_PER_GIB_EPOCH',
  subsidyCapPerPeer: 'DHOST_SUBSIDY_CAP_PER_PEER',
};

/**
 * Reads module parameters from `DHOST_*` environment variables (decimal strings, token wei or
 * seconds, ppm, epochs, counts). Unset or empty variables are left out; anything but digits throws, naming the variable.
 *
 * @example
 * dhostParametersFromEnv({ DHOST_MIN_STAKE: '1000000000000000000' }); // { minStake: 10n ** 18n }
 */
export function dhostParametersFromEnv(env: NodeJS.ProcessEnv): DhostParameters {
  const out: DhostParameters = {};
  for (const [name, variable] of Object.entries(DHOST_PARAMETER_ENV) as [keyof DhostParameters, string][]) {
    const raw = env[variable]?.trim();
    if (raw === undefined || raw === '') continue;
    if (!/^\d+$/.test(raw)) throw new Error(`${variable} must be a decimal integer (token wei, seconds, ppm or a count), got '${raw}'`);
    out[name] = BigInt(raw);
  }
  return out;
}

/**
 * Deploys the `Dhost` Ignition module (RewardToken, PeerRegistry, Marketplace) from the network's first account
 * and describes the result as a deployment file's content.
 *
 * Deliberately journal-free: `hre.ignition.deploy` keeps a journal under
 * `ignition/deployments/chain-<chainId>` on every network but the in-process `hardhat` one, and on
 * the next run trusts it: against a restarted devnet (same chain id, empty chain) it would return
 * the addresses of contracts that no longer exist. So this calls Ignition's core `deploy` without a
 * deployment directory, exactly as `hre.ignition.deploy` does on the `hardhat` network: every run
 * deploys fresh contracts, and an interrupted run is simply run again.
 *
 * @example
 * const { deployment, peerRegistry } = await deployDhost(hre, { minStake: 10n ** 18n });
 */
export async function deployDhost(
  hre: HardhatRuntimeEnvironment,
  params: DhostParameters = {},
): Promise<{ deployment: Deployment; rewardToken: RewardToken; peerRegistry: PeerRegistry; marketplace: Marketplace }> {
  const provider = hre.network.provider as EIP1193Provider;
  const accounts = (await provider.request({ method: 'eth_accounts' })) as string[];
  if (accounts.length === 0) throw new Error(`network '${hre.network.name}' has no account to deploy from: set DHOST_PRIVATE_KEY`);
  const deployer = getAddress(accounts[0]) as Address;
  const chainId = Number(await provider.request({ method: 'eth_chainId' }));

  const moduleParameters = Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined));
  const deploymentParameters: DeploymentParameters = { [DhostModule.id]: moduleParameters };
  const confirmed: string[] = [];
  const result = await deploy({
    provider,
    artifactResolver: new HardhatArtifactResolver(hre),
    ignitionModule: DhostModule,
    deploymentParameters,
    accounts,
    defaultSender: deployer,
    deploymentDir: undefined,
    executionEventListener: onTransactionConfirmed((event) => confirmed.push(event.hash)),
  });
  if (result.type !== DeploymentResultType.SUCCESSFUL_DEPLOYMENT) {
    throw new Error(`dhost deployment failed: ${errorDeploymentResultToExceptionMessage(result)}`);
  }

  const addressOf = (future: { id: string }): Address => getAddress(result.contracts[future.id].address) as Address;
  const contracts = {
    RewardToken: addressOf(DhostModule.results.rewardToken),
    PeerRegistry: addressOf(DhostModule.results.peerRegistry),
    Marketplace: addressOf(DhostModule.results.marketplace),
  };
  const blockNumber = await lastBlockOf(hre, confirmed);
  const block = await hre.ethers.provider.getBlock(blockNumber);
  const deployment: Deployment = {
    chainId,
    blockNumber,
    contracts,
    deployer,
    deployedAt: new Date(Number(block?.timestamp ?? 0) * 1000).toISOString(),
  };
  const rewardToken = await hre.ethers.getContractAt('RewardToken', contracts.RewardToken);
  const peerRegistry = await hre.ethers.getContractAt('PeerRegistry', contracts.PeerRegistry);
  const marketplace = await hre.ethers.getContractAt('Marketplace', contracts.Marketplace);
  return { deployment, rewardToken, peerRegistry, marketplace };
}

/** The highest block holding one of the given transactions (the last deployment transaction). */
async function lastBlockOf(hre: HardhatRuntimeEnvironment, hashes: string[]): Promise<number> {
  if (hashes.length === 0) throw new Error('dhost deployment sent no transaction');
  let last = 0;
  for (const hash of hashes) {
    const receipt = await hre.ethers.provider.getTransactionReceipt(hash);
    if (receipt === null) throw new Error(`no receipt for deployment transaction ${hash}`);
    last = Math.max(last, receipt.blockNumber);
  }
  return last;
}

/** An Ignition event listener that reports confirmed transactions and ignores every other event. */
function onTransactionConfirmed(handler: (event: TransactionConfirmEvent) => void): ExecutionEventListener {
  return new Proxy({} as ExecutionEventListener, {
    get: (_target, property) => (property === 'transactionConfirm' ? handler : () => {}),
  });
}
