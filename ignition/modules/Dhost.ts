import { buildModule } from '@nomicfoundation/hardhat-ignition/modules';

const TOKEN = 10n ** 18n;
const DAY = 24n * 60n * 60n;

/**
 * The default parameters of the `Dhost` module, each with the reason for its value. Amounts are
 * token wei (18 decimals), times are seconds. Override any of them through Ignition parameters
 * (`{ Dhost: { minStake: … } }`) or, with `scripts/hardhat/deploy.ts`, through `DHOST_*` variables.
 */
export const DHOST_DEFAULTS = {
  /** One billion tokens: enough to fund every devnet peer's stake and every test user's deals many times over. */
  initialSupply: 1_000_000_000n * TOKEN,
  /** A thousand tokens: cheap on a devnet, but a real cost per fake peer once the token has a price. */
  minStake: 1_000n * TOKEN,
  /** Ten minutes: a node beating every minute or two keeps counting as active through a restart or a network blip. */
  heartbeatTimeout: 600n,
  /** A week without a heartbeat before anyone may evict: long enough for an operator's holiday repair. */
  evictionDelay: 7n * DAY,
  /** A week between exit and withdrawal: time for the market to detect missed proofs and slash before the stake leaves. */
  unbondingDelay: 7n * DAY,
  /** 256 bytes: any real https URL with a host name and port fits; longer ones only waste peers' calldata. */
  maxEndpointLength: 256n,
} as const;

/**
 * Deploys the reward token (whole initial supply to the deployer) and the peer registry staking
 * in it, with the deployer as admin of both.
 *
 * @example
 * const { rewardToken, peerRegistry } = await hre.ignition.deploy(DhostModule, { parameters: { Dhost: { minStake: 10n ** 18n } } });
 */
const DhostModule = buildModule('Dhost', (m) => {
  const deployer = m.getAccount(0);

  const rewardToken = m.contract('RewardToken', [deployer, deployer, m.getParameter('initialSupply', DHOST_DEFAULTS.initialSupply)]);

  const config = {
    minStake: m.getParameter('minStake', DHOST_DEFAULTS.minStake),
    heartbeatTimeout: m.getParameter('heartbeatTimeout', DHOST_DEFAULTS.heartbeatTimeout),
    evictionDelay: m.getParameter('evictionDelay', DHOST_DEFAULTS.evictionDelay),
    unbondingDelay: m.getParameter('unbondingDelay', DHOST_DEFAULTS.unbondingDelay),
    maxEndpointLength: m.getParameter('maxEndpointLength', DHOST_DEFAULTS.maxEndpointLength),
  };
  const peerRegistry = m.contract('PeerRegistry', [rewardToken, config, deployer]);

  return { rewardToken, peerRegistry };
});

export default DhostModule;
