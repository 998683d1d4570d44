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

  // Marketplace (MarketConfig). The devnet overrides epochLength (20 s) so proofs and pay happen within minutes.
  /** One hour: a prover that wakes every few minutes never misses its window, and the chain records one seed per hour. */
  epochLength: 3_600n,
  /** 10 % of slots per epoch: a peer that lost data is caught within about ten epochs, and honest peers send a proof only one epoch in ten. */
  challengeProbabilityPpm: 100_000n,
  /** A quarter of the slot's collateral per missed proof: three misses (maxMisses) take 75 %, the rest is forfeited when the slot is freed. */
  slashPpm: 250_000n,
  /** Half of each slash is credited to whoever marked the miss (enough to pay someone to watch); the rest is forfeited, as Sia burns missed-proof collateral, so no owner profits from a host's failure. */
  markerRewardPpm: 500_000n,
  /** Three misses free the slot: one unlucky outage is forgiven, a peer that lost the data is dropped within a few challenges. */
  maxMisses: 3n,
  /** Two epochs to mark a proof missing: time for a watcher to notice, short enough that slashing stays tied to the epoch. */
  missingWindowEpochs: 2n,
  /** Collateral worth eight epochs of pay (plus minCollateral): more than a peer could earn between a lost segment and its detection (~ten epochs at 10 % challenges, half of them before the first miss on average). */
  collateralEpochs: 8n,
  /** Ten tokens per slot even for a cheap deal, so that a miss always costs something. */
  minCollateral: 10n * TOKEN,
  /** A day without a heartbeat frees the peer's slots: long past the registry's 10-minute activity timeout, short enough to repair before the data is at risk. */
  lapseFreeSeconds: 86_400n,
  /** One epoch paid to each filled slot when the owner cancels: the peer's upload bandwidth and fill gas are not lost. */
  minFillEpochs: 1n,
  /** 32 epochs settled per claim: a claim stays well under a block's gas even when every epoch needs a seed read. */
  maxClaimEpochs: 32n,
  /** No subsidy by default: an operator dealing with itself would farm it (see the threat model). */
  subsidyPerGiBEpoch: 0n,
  /** No subsidy cap by default (the subsidy is off). */
  subsidyCapPerPeer: 0n,
} as const;

/** The MarketConfig fields, in the struct's order. */
export const MARKET_CONFIG_FIELDS = [
  'epochLength',
  'challengeProbabilityPpm',
  'slashPpm',
  'markerRewardPpm',
  'maxMisses',
  'missingWindowEpochs',
  'collateralEpochs',
  'minCollateral',
  'lapseFreeSeconds',
  'minFillEpochs',
  'maxClaimEpochs',
  'subsidyPerGiBEpoch',
  'subsidyCapPerPeer',
] as const;

/**
 * Deploys the reward token (whole initial supply to the deployer), the peer registry staking in it
 * and the marketplace paying in it, with the deployer as admin of all three; grants the marketplace
 * `MARKET_ROLE` on the registry (lock, unlock, slash collateral) and `MINTER_ROLE` on the token (the
 * optional subsidy).
 *
 * @example
 * const { rewardToken, peerRegistry, marketplace } = await hre.ignition.deploy(DhostModule, { parameters: { Dhost: { epochLength: 20n } } });
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

  const marketConfig = Object.fromEntries(MARKET_CONFIG_FIELDS.map((field) => [field, m.getParameter(field, DHOST_DEFAULTS[field])]));
  const marketplace = m.contract('Marketplace', [rewardToken, peerRegistry, marketConfig, deployer]);
  const marketRole = m.staticCall(peerRegistry, 'MARKET_ROLE', [], 0, { id: 'marketRole' });
  m.call(peerRegistry, 'grantRole', [marketRole, marketplace], { id: 'grantMarketRole' });
  const minterRole = m.staticCall(rewardToken, 'MINTER_ROLE', [], 0, { id: 'minterRole' });
  m.call(rewardToken, 'grantRole', [minterRole, marketplace], { id: 'grantMinterRole' });

  return { rewardToken, peerRegistry, marketplace };
});

export default DhostModule;
