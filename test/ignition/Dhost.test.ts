import { loadFixture } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import hre, { ethers } from 'hardhat';
import DhostModule, { DHOST_DEFAULTS, MARKET_CONFIG_FIELDS } from '../../ignition/modules/Dhost';
import { deploymentSchema } from '../../protocol/chain/deployment';
import { DHOST_PARAMETER_ENV, deployDhost, dhostParametersFromEnv } from '../../scripts/hardhat/deploy-dhost';

describe('Dhost deployment', () => {
  describe('the Ignition module', () => {
    async function moduleFixture() {
      const [deployer] = await ethers.getSigners();
      const { rewardToken, peerRegistry, marketplace } = await hre.ignition.deploy(DhostModule);
      return { deployer, rewardToken, peerRegistry, marketplace };
    }

    it('mints the default initial supply to the deployer', async () => {
      const { deployer, rewardToken } = await loadFixture(moduleFixture);
      expect(await rewardToken.totalSupply()).to.equal(DHOST_DEFAULTS.initialSupply);
      expect(await rewardToken.balanceOf(deployer.address)).to.equal(DHOST_DEFAULTS.initialSupply);
    });

    it('makes the deployer admin of all three contracts', async () => {
      const { deployer, rewardToken, peerRegistry, marketplace } = await loadFixture(moduleFixture);
      expect(await rewardToken.hasRole(ethers.ZeroHash, deployer.address)).to.equal(true);
      expect(await peerRegistry.hasRole(ethers.ZeroHash, deployer.address)).to.equal(true);
      expect(await marketplace.hasRole(ethers.ZeroHash, deployer.address)).to.equal(true);
    });

    it('grants the marketplace MARKET_ROLE on the registry and MINTER_ROLE on the token', async () => {
      const { rewardToken, peerRegistry, marketplace } = await loadFixture(moduleFixture);
      const market = await marketplace.getAddress();
      expect(await peerRegistry.hasRole(ethers.id('MARKET_ROLE'), market)).to.equal(true);
      expect(await rewardToken.hasRole(ethers.id('MINTER_ROLE'), market)).to.equal(true);
    });

    it('configures the marketplace with the defaults, paying in the reward token', async () => {
      const { marketplace } = await loadFixture(moduleFixture);
      const config = await marketplace.config();
      for (const field of MARKET_CONFIG_FIELDS) expect(config[field], field).to.equal(DHOST_DEFAULTS[field]);
      expect(await marketplace.currentEpoch()).to.equal(0n);
    });

    it('configures the registry with the defaults, staking in the reward token', async () => {
      const { rewardToken, peerRegistry } = await loadFixture(moduleFixture);
      const config = await peerRegistry.config();
      expect(config.minStake).to.equal(DHOST_DEFAULTS.minStake);
      expect(config.heartbeatTimeout).to.equal(DHOST_DEFAULTS.heartbeatTimeout);
      expect(config.evictionDelay).to.equal(DHOST_DEFAULTS.evictionDelay);
      expect(config.unbondingDelay).to.equal(DHOST_DEFAULTS.unbondingDelay);
      expect(config.maxEndpointLength).to.equal(DHOST_DEFAULTS.maxEndpointLength);
      expect(await peerRegistry.token()).to.equal(await rewardToken.getAddress());
    });

    it('has defaults the registry accepts: 1e9 tokens, 1000 tokens minimum stake, 10 min, 7 days, 7 days, 256 bytes', () => {
      expect(DHOST_DEFAULTS).to.deep.equal({
        initialSupply: 10n ** 27n,
        minStake: 10n ** 21n,
        heartbeatTimeout: 600n,
        evictionDelay: 604_800n,
        unbondingDelay: 604_800n,
        maxEndpointLength: 256n,
        epochLength: 3_600n,
        challengeProbabilityPpm: 100_000n,
        slashPpm: 250_000n,
        markerRewardPpm: 500_000n,
        maxMisses: 3n,
        missingWindowEpochs: 2n,
        collateralEpochs: 8n,
        minCollateral: 10n ** 19n,
        lapseFreeSeconds: 86_400n,
        minFillEpochs: 1n,
        maxClaimEpochs: 32n,
        subsidyPerGiBEpoch: 0n,
        subsidyCapPerPeer: 0n,
      });
    });

    it('takes every marketplace parameter from the deployment parameters', async () => {
      const parameters = {
        epochLength: 20n,
        challengeProbabilityPpm: 1_000_000n,
        slashPpm: 100_000n,
        markerRewardPpm: 0n,
        maxMisses: 5n,
        missingWindowEpochs: 4n,
        collateralEpochs: 2n,
        minCollateral: 3n,
        lapseFreeSeconds: 60n,
        minFillEpochs: 0n,
        maxClaimEpochs: 7n,
        subsidyPerGiBEpoch: 9n,
        subsidyCapPerPeer: 99n,
      };
      const { marketplace } = await hre.ignition.deploy(DhostModule, { parameters: { Dhost: parameters } });
      const config = await marketplace.config();
      for (const field of MARKET_CONFIG_FIELDS) expect(config[field], field).to.equal(parameters[field]);
    });

    it('fails when a parameter breaks the marketplace configuration', async () => {
      await expect(hre.ignition.deploy(DhostModule, { parameters: { Dhost: { epochLength: 0n } } })).to.be.rejectedWith(
        /Dhost#Marketplace[\s\S]*InvalidMarketConfig\("epochLength"\)/,
      );
    });

    it('takes every parameter from the deployment parameters', async () => {
      const parameters = { initialSupply: 77n, minStake: 5n, heartbeatTimeout: 30n, evictionDelay: 60n, unbondingDelay: 0n, maxEndpointLength: 10n };
      const { rewardToken, peerRegistry } = await hre.ignition.deploy(DhostModule, { parameters: { Dhost: parameters } });
      expect(await rewardToken.totalSupply()).to.equal(77n);
      const config = await peerRegistry.config();
      expect([config.minStake, config.heartbeatTimeout, config.evictionDelay, config.unbondingDelay, config.maxEndpointLength]).to.deep.equal([
        5n,
        30n,
        60n,
        0n,
        10n,
      ]);
    });

    it('fails when a parameter breaks the registry configuration', async () => {
      // Ignition wraps the revert in its own error, which names the failed future and the decoded error.
      await expect(hre.ignition.deploy(DhostModule, { parameters: { Dhost: { heartbeatTimeout: 0n } } })).to.be.rejectedWith(
        /Dhost#PeerRegistry[\s\S]*InvalidConfig\("heartbeatTimeout"\)/,
      );
    });
  });

  describe('deployDhost', () => {
    async function deployDhostFixture() {
      const [deployer] = await ethers.getSigners();
      const result = await deployDhost(hre, { minStake: 42n });
      return { deployer, ...result };
    }

    it('describes the deployment as a valid deployment file', async () => {
      const { deployer, deployment, rewardToken, peerRegistry, marketplace } = await loadFixture(deployDhostFixture);
      expect(deploymentSchema.parse(deployment)).to.deep.equal(deployment);
      expect(deployment.chainId).to.equal(31337);
      expect(deployment.deployer).to.equal(deployer.address);
      expect(deployment.contracts).to.deep.equal({
        RewardToken: await rewardToken.getAddress(),
        PeerRegistry: await peerRegistry.getAddress(),
        Marketplace: await marketplace.getAddress(),
      });
      expect(Number.isNaN(Date.parse(deployment.deployedAt ?? ''))).to.equal(false);
    });

    it('records the block of the last deployment transaction', async () => {
      const { deployment } = await loadFixture(deployDhostFixture);
      const { RewardToken, PeerRegistry, Marketplace } = deployment.contracts;
      // The role grants come last: the block after the marketplace's.
      const market = await ethers.getContractAt('Marketplace', Marketplace);
      expect(await ethers.provider.getCode(Marketplace, deployment.blockNumber - 1)).to.not.equal('0x');
      expect(await ethers.provider.getCode(PeerRegistry, deployment.blockNumber - 1)).to.not.equal('0x');
      expect(await ethers.provider.getCode(RewardToken, deployment.blockNumber - 1)).to.not.equal('0x');
      const rewardToken = await ethers.getContractAt('RewardToken', RewardToken);
      const peerRegistry = await ethers.getContractAt('PeerRegistry', PeerRegistry);
      const granted = await Promise.all([
        peerRegistry.hasRole(ethers.id('MARKET_ROLE'), await market.getAddress(), { blockTag: deployment.blockNumber }),
        rewardToken.hasRole(ethers.id('MINTER_ROLE'), await market.getAddress(), { blockTag: deployment.blockNumber }),
      ]);
      expect(granted).to.deep.equal([true, true]);
      const before = await Promise.all([
        peerRegistry.hasRole(ethers.id('MARKET_ROLE'), await market.getAddress(), { blockTag: deployment.blockNumber - 1 }),
        rewardToken.hasRole(ethers.id('MINTER_ROLE'), await market.getAddress(), { blockTag: deployment.blockNumber - 1 }),
      ]);
      expect(before).to.not.deep.equal([true, true]);
    });

    it('returns connected contracts configured with the given parameters', async () => {
      const { deployer, rewardToken, peerRegistry } = await loadFixture(deployDhostFixture);
      expect((await peerRegistry.config()).minStake).to.equal(42n);
      expect((await peerRegistry.config()).heartbeatTimeout).to.equal(DHOST_DEFAULTS.heartbeatTimeout);
      expect(await rewardToken.balanceOf(deployer.address)).to.equal(DHOST_DEFAULTS.initialSupply);
    });

    it('deploys fresh contracts on every run, keeping no journal', async () => {
      const { deployment } = await loadFixture(deployDhostFixture);
      const again = await deployDhost(hre);
      expect(again.deployment.contracts.PeerRegistry).to.not.equal(deployment.contracts.PeerRegistry);
      expect(again.deployment.blockNumber).to.be.greaterThan(deployment.blockNumber);
    });
  });

  describe('dhostParametersFromEnv', () => {
    it('reads every DHOST_* parameter variable as a bigint', () => {
      expect(
        dhostParametersFromEnv({
          DHOST_INITIAL_SUPPLY: '1000',
          DHOST_MIN_STAKE: '10',
          DHOST_HEARTBEAT_TIMEOUT: '60',
          DHOST_EVICTION_DELAY: '120',
          DHOST_UNBONDING_DELAY: ' 0 ',
          DHOST_MAX_ENDPOINT_LENGTH: '512',
        }),
      ).to.deep.equal({ initialSupply: 1000n, minStake: 10n, heartbeatTimeout: 60n, evictionDelay: 120n, unbondingDelay: 0n, maxEndpointLength: 512n });
    });

    it('reads the marketplace variables, e.g. DHOST_EPOCH_LENGTH and DHOST_CHALLENGE_PPM', () => {
      expect(
        dhostParametersFromEnv({ DHOST_EPOCH_LENGTH: '20', DHOST_CHALLENGE_PPM: '500000', DHOST_SUBSIDY_PER_GIB_EPOCH: '7', DHOST_MAX_MISSES: '2' }),
      ).to.deep.equal({ epochLength: 20n, challengeProbabilityPpm: 500_000n, subsidyPerGiBEpoch: 7n, maxMisses: 2n });
    });

    it('has one variable per module parameter', () => {
      expect(Object.keys(DHOST_PARAMETER_ENV).sort()).to.deep.equal(Object.keys(DHOST_DEFAULTS).sort());
    });

    it('leaves unset and empty variables out', () => {
      expect(dhostParametersFromEnv({ DHOST_MIN_STAKE: '', PATH: '/bin' })).to.deep.equal({});
    });

    for (const bad of ['-1', '1e18', '0x10', '1.5', 'ten']) {
      it(`rejects '${bad}', naming the variable`, () => {
        expect(() => dhostParametersFromEnv({ DHOST_EVICTION_DELAY: bad })).to.throw(/DHOST_EVICTION_DELAY/);
      });
    }
  });
});
