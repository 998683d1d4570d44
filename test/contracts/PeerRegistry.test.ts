import { loadFixture, time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import type { PeerRegistry } from '../../typechain-types';

const TOKEN = 10n ** 18n;
const MIN_STAKE = 1_000n * TOKEN;
const HEARTBEAT_TIMEOUT = 600n;
const EVICTION_DELAY = 3_600n;
const UNBONDING_DELAY = 86_400n;
const MAX_ENDPOINT_LENGTH = 64n;
const MAX_DELAY = 100n * 365n * 86_400n;
const CONFIG = {
  minStake: MIN_STAKE,
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  evictionDelay: EVICTION_DELAY,
  unbondingDelay: UNBONDING_DELAY,
  maxEndpointLength: MAX_ENDPOINT_LENGTH,
};
const MARKET_ROLE = ethers.id('MARKET_ROLE');
const MAX_STAKE = 2n ** 128n - 1n;
const ENDPOINT = 'https://peer.example.org:7001';
const CAPACITY = 1n << 40n;
const PRICE = 5n * TOKEN;

type Operator = Awaited<ReturnType<typeof ethers.getSigners>>[number];

describe('PeerRegistry', () => {
  async function deployRegistryFixture() {
    const [admin, market, stranger, recipient, ...operators] = await ethers.getSigners();
    const token = await ethers.deployContract('RewardToken', [admin.address, admin.address, 1_000_000n * TOKEN]);
    const factory = await ethers.getContractFactory('PeerRegistry');
    const registry = await factory.deploy(await token.getAddress(), CONFIG, admin.address);
    await registry.connect(admin).grantRole(MARKET_ROLE, market.address);
    for (const operator of operators.slice(0, 8)) {
      await token.connect(admin).transfer(operator.address, 10_000n * TOKEN);
      await token.connect(operator).approve(await registry.getAddress(), ethers.MaxUint256);
    }
    const [alice, bob, carol, dave, erin] = operators;
    return { token, factory, registry, admin, market, stranger, recipient, alice, bob, carol, dave, erin };
  }

  /** Registers `operator` with the default offer and `stake`, returning the block timestamp. */
  async function register(registry: PeerRegistry, operator: Operator, stake = MIN_STAKE, endpoint = ENDPOINT): Promise<bigint> {
    await registry.connect(operator).register(endpoint, CAPACITY, PRICE, stake);
    return BigInt(await time.latest());
  }

  async function aliceRegisteredFixture() {
    const base = await deployRegistryFixture();
    const registeredAt = await register(base.registry, base.alice, 2n * MIN_STAKE);
    return { ...base, registeredAt };
  }

  async function aliceExitingFixture() {
    const base = await aliceRegisteredFixture();
    await base.registry.connect(base.alice).beginExit();
    return { ...base, exitAt: BigInt(await time.latest()) };
  }

  async function pageOperators(registry: PeerRegistry, offset: bigint, limit: bigint): Promise<{ operators: string[]; next: bigint }> {
    const [page, next] = await registry.activePeers(offset, limit);
    return { operators: page.map((p) => p.operator), next };
  }

  /** The whole peer list in order. Callers keep every peer active first, which this checks. */
  async function allRegistered(registry: PeerRegistry): Promise<string[]> {
    const count = await registry.peerCount();
    const { operators, next } = await pageOperators(registry, 0n, count);
    expect(next).to.equal(count);
    expect(operators).to.have.length(Number(count), 'every listed peer should be active here');
    return operators;
  }

  describe('deployment', () => {
    it('stores the configuration, the token and the admin', async () => {
      const { registry, token, admin } = await loadFixture(deployRegistryFixture);
      const config = await registry.config();
      expect(config.minStake).to.equal(MIN_STAKE);
      expect(config.heartbeatTimeout).to.equal(HEARTBEAT_TIMEOUT);
      expect(config.evictionDelay).to.equal(EVICTION_DELAY);
      expect(config.unbondingDelay).to.equal(UNBONDING_DELAY);
      expect(config.maxEndpointLength).to.equal(MAX_ENDPOINT_LENGTH);
      expect(await registry.token()).to.equal(await token.getAddress());
      expect(await registry.hasRole(await registry.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await registry.MARKET_ROLE()).to.equal(MARKET_ROLE);
    });

    it('starts with no peers', async () => {
      const { registry } = await loadFixture(deployRegistryFixture);
      expect(await registry.peerCount()).to.equal(0n);
      const [page, next] = await registry.activePeers(0n, 10n);
      expect(page).to.have.length(0);
      expect(next).to.equal(0n);
    });

    describe('when the configuration is out of range', () => {
      const cases: [string, Partial<typeof CONFIG>][] = [
        ['minStake', { minStake: 0n }],
        ['heartbeatTimeout', { heartbeatTimeout: 0n }],
        ['heartbeatTimeout', { heartbeatTimeout: MAX_DELAY + 1n, evictionDelay: MAX_DELAY }],
        ['evictionDelay', { evictionDelay: HEARTBEAT_TIMEOUT - 1n }],
        ['evictionDelay', { evictionDelay: MAX_DELAY + 1n }],
        ['unbondingDelay', { unbondingDelay: MAX_DELAY + 1n }],
        ['maxEndpointLength', { maxEndpointLength: 0n }],
      ];
      for (const [field, change] of cases) {
        it(`reverts with InvalidConfig('${field}') for ${JSON.stringify(change, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`, async () => {
          const { factory, token, admin } = await loadFixture(deployRegistryFixture);
          await expect(factory.deploy(await token.getAddress(), { ...CONFIG, ...change }, admin.address))
            .to.be.revertedWithCustomError(factory, 'InvalidConfig')
            .withArgs(field);
        });
      }
    });

    describe('when the configuration sits on its bounds', () => {
      it('accepts an eviction delay equal to the heartbeat timeout, a zero unbonding delay and the longest delays', async () => {
        const { factory, token, admin } = await loadFixture(deployRegistryFixture);
        const tight = await factory.deploy(await token.getAddress(), { ...CONFIG, evictionDelay: HEARTBEAT_TIMEOUT, unbondingDelay: 0n }, admin.address);
        expect((await tight.config()).evictionDelay).to.equal(HEARTBEAT_TIMEOUT);
        const longest = { ...CONFIG, heartbeatTimeout: MAX_DELAY, evictionDelay: MAX_DELAY, unbondingDelay: MAX_DELAY };
        const loose = await factory.deploy(await token.getAddress(), longest, admin.address);
        expect((await loose.config()).unbondingDelay).to.equal(MAX_DELAY);
      });
    });

    it('reverts with ZeroAddress("token") when the token is unset', async () => {
      const { factory, admin } = await loadFixture(deployRegistryFixture);
      await expect(factory.deploy(ethers.ZeroAddress, CONFIG, admin.address))
        .to.be.revertedWithCustomError(factory, 'ZeroAddress')
        .withArgs('token');
    });

    it('reverts with ZeroAddress("admin") when the admin is unset', async () => {
      const { factory, token } = await loadFixture(deployRegistryFixture);
      await expect(factory.deploy(await token.getAddress(), CONFIG, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, 'ZeroAddress')
        .withArgs('admin');
    });
  });

  describe('register', () => {
    describe('when the offer and stake are valid', () => {
      it('records the peer with its offer, stake and the current time', async () => {
        const { registry, alice, registeredAt } = await loadFixture(aliceRegisteredFixture);
        const record = await registry.peer(alice.address);
        expect(record.operator).to.equal(alice.address);
        expect(record.endpoint).to.equal(ENDPOINT);
        expect(record.capacity).to.equal(CAPACITY);
        expect(record.pricePerGiBEpoch).to.equal(PRICE);
        expect(record.stake).to.equal(2n * MIN_STAKE);
        expect(record.lockedStake).to.equal(0n);
        expect(record.registeredAt).to.equal(registeredAt);
        expect(record.lastHeartbeat).to.equal(registeredAt);
        expect(record.exitRequestedAt).to.equal(0n);
      });

      it('makes the peer registered, active and listed', async () => {
        const { registry, alice } = await loadFixture(aliceRegisteredFixture);
        expect(await registry.isRegistered(alice.address)).to.equal(true);
        expect(await registry.isActive(alice.address)).to.equal(true);
        expect(await registry.peerCount()).to.equal(1n);
        expect((await pageOperators(registry, 0n, 10n)).operators).to.deep.equal([alice.address]);
      });

      it('pulls the stake from the operator into the registry', async () => {
        const { registry, token, alice } = await loadFixture(deployRegistryFixture);
        await expect(registry.connect(alice).register(ENDPOINT, CAPACITY, PRICE, MIN_STAKE)).to.changeTokenBalances(
          token,
          [alice, registry],
          [-MIN_STAKE, MIN_STAKE],
        );
      });

      it('emits PeerRegistered', async () => {
        const { registry, alice } = await loadFixture(deployRegistryFixture);
        await expect(registry.connect(alice).register(ENDPOINT, CAPACITY, PRICE, MIN_STAKE))
          .to.emit(registry, 'PeerRegistered')
          .withArgs(alice.address, ENDPOINT, CAPACITY, PRICE, MIN_STAKE);
      });

      it('accepts a stake of exactly minStake, an endpoint of exactly maxEndpointLength bytes and a zero price', async () => {
        const { registry, alice } = await loadFixture(deployRegistryFixture);
        const endpoint = `https://${'a'.repeat(Number(MAX_ENDPOINT_LENGTH) - 8)}`;
        await registry.connect(alice).register(endpoint, 1n, 0n, MIN_STAKE);
        expect((await registry.peer(alice.address)).endpoint).to.equal(endpoint);
      });

      it('counts the endpoint length in bytes, not characters', async () => {
        const { registry, alice, bob } = await loadFixture(deployRegistryFixture);
        // 32 two-byte characters make 64 bytes, accepted; 33 of them make 66 bytes.
        await registry.connect(alice).register('é'.repeat(32), CAPACITY, PRICE, MIN_STAKE);
        await expect(registry.connect(bob).register('é'.repeat(33), CAPACITY, PRICE, MIN_STAKE))
          .to.be.revertedWithCustomError(registry, 'EndpointInvalid')
          .withArgs(66n, MAX_ENDPOINT_LENGTH);
      });
    });

    describe('when the caller is already registered', () => {
      it('reverts with PeerAlreadyRegistered', async () => {
        const { registry, alice } = await loadFixture(aliceRegisteredFixture);
        await expect(registry.connect(alice).register(ENDPOINT, CAPACITY, PRICE, MIN_STAKE))
          .to.be.revertedWithCustomError(registry, 'PeerAlreadyRegistered')
          .withArgs(alice.address);
      });

      it('reverts with PeerAlreadyRegistered while the peer is exiting', async () => {
        const { registry, alice } = await loadFixture(aliceExitingFixture);
        await expect(registry.connect(alice).register(ENDPOINT, CAPACITY, PRICE, MIN_STAKE))
          .to.be.revertedWithCustomError(registry, 'PeerAlreadyRegistered')
          .withArgs(alice.address);
      });
    });

    describe('when the offer is invalid', () => {
      it('reverts with EndpointInvalid for an empty endpoint', async () => {
        const { registry, alice } = await loadFixture(deployRegistryFixture);
        await expect(registry.connect(alice).register('', CAPACITY, PRICE, MIN_STAKE))
          .to.be.revertedWithCustomError(registry, 'EndpointInvalid')
          .withArgs(0n, MAX_ENDPOINT_LENGTH);
      });

      it('reverts with EndpointInvalid for an endpoint one byte too long', async () => {
        const { registry, alice } = await loadFixture(deployRegistryFixture);
        await expect(registry.connect(alice).register('a'.repeat(Number(MAX_ENDPOINT_LENGTH) + 1), CAPACITY, PRICE, MIN_STAKE))
          .to.be.revertedWithCustomError(registry, 'EndpointInvalid')
          .withArgs(MAX_ENDPOINT_LENGTH + 1n, MAX_ENDPOINT_LENGTH);
      });

      it('reverts with CapacityZero for a zero capacity', async () => {
        const { registry, alice } = await loadFixture(deployRegistryFixture);
        await expect(registry.connect(alice).register(ENDPOINT, 0n, PRICE, MIN_STAKE)).to.be.revertedWithCustomError(registry, 'CapacityZero');
      });
    });

    describe('when the stake is larger than the registry stores', () => {
      it('reverts with StakeAboveMaximum for 2^128 wei', async () => {
        const { registry, alice } = await loadFixture(deployRegistryFixture);
        await expect(registry.connect(alice).register(ENDPOINT, CAPACITY, PRICE, MAX_STAKE + 1n))
          .to.be.revertedWithCustomError(registry, 'StakeAboveMaximum')
          .withArgs(MAX_STAKE + 1n, MAX_STAKE);
      });
    });

    describe('when the stake is not enough', () => {
      it('reverts with StakeBelowMinimum one wei below minStake', async () => {
        const { registry, alice } = await loadFixture(deployRegistryFixture);
        await expect(registry.connect(alice).register(ENDPOINT, CAPACITY, PRICE, MIN_STAKE - 1n))
          .to.be.revertedWithCustomError(registry, 'StakeBelowMinimum')
          .withArgs(MIN_STAKE - 1n, MIN_STAKE);
      });

      it('reverts with the token error when the allowance is missing', async () => {
        const { registry, token, stranger, admin } = await loadFixture(deployRegistryFixture);
        await token.connect(admin).transfer(stranger.address, MIN_STAKE);
        await expect(registry.connect(stranger).register(ENDPOINT, CAPACITY, PRICE, MIN_STAKE))
          .to.be.revertedWithCustomError(token, 'ERC20InsufficientAllowance')
          .withArgs(await registry.getAddress(), 0n, MIN_STAKE);
      });
    });
  });

  describe('updatePeer', () => {
    const NEW_ENDPOINT = 'https://moved.example.org';

    describe('when the peer is registered and not exiting', () => {
      it('replaces endpoint, capacity and price and emits PeerUpdated', async () => {
        const { registry, alice, registeredAt } = await loadFixture(aliceRegisteredFixture);
        await expect(registry.connect(alice).updatePeer(NEW_ENDPOINT, 7n, 0n))
          .to.emit(registry, 'PeerUpdated')
          .withArgs(alice.address, NEW_ENDPOINT, 7n, 0n);
        const record = await registry.peer(alice.address);
        expect([record.endpoint, record.capacity, record.pricePerGiBEpoch]).to.deep.equal([NEW_ENDPOINT, 7n, 0n]);
        expect(record.stake).to.equal(2n * MIN_STAKE);
        expect(record.registeredAt).to.equal(registeredAt);
      });

      it('reverts with EndpointInvalid for an empty endpoint', async () => {
        const { registry, alice } = await loadFixture(aliceRegisteredFixture);
        await expect(registry.connect(alice).updatePeer('', CAPACITY, PRICE))
          .to.be.revertedWithCustomError(registry, 'EndpointInvalid')
          .withArgs(0n, MAX_ENDPOINT_LENGTH);
      });

      it('reverts with EndpointInvalid for a too long endpoint', async () => {
        const { registry, alice } = await loadFixture(aliceRegisteredFixture);
        await expect(registry.connect(alice).updatePeer('a'.repeat(65), CAPACITY, PRICE))
          .to.be.revertedWithCustomError(registry, 'EndpointInvalid')
          .withArgs(65n, MAX_ENDPOINT_LENGTH);
      });

      it('reverts with CapacityZero for a zero capacity', async () => {
        const { registry, alice } = await loadFixture(aliceRegisteredFixture);
        await expect(registry.connect(alice).updatePeer(NEW_ENDPOINT, 0n, PRICE)).to.be.revertedWithCustomError(registry, 'CapacityZero');
      });
    });

    it('reverts with PeerNotRegistered for an unknown caller', async () => {
      const { registry, bob } = await loadFixture(aliceRegisteredFixture);
      await expect(registry.connect(bob).updatePeer(NEW_ENDPOINT, CAPACITY, PRICE))
        .to.be.revertedWithCustomError(registry, 'PeerNotRegistered')
        .withArgs(bob.address);
    });

    it('reverts with PeerIsExiting once the peer began its exit', async () => {
      const { registry, alice } = await loadFixture(aliceExitingFixture);
      await expect(registry.connect(alice).updatePeer(NEW_ENDPOINT, CAPACITY, PRICE))
        .to.be.revertedWithCustomError(registry, 'PeerIsExiting')
        .withArgs(alice.address);
    });
  });

  describe('addStake', () => {
    it('adds to the stake, pulls the tokens and emits StakeAdded with the new total', async () => {
      const { registry, token, alice } = await loadFixture(aliceRegisteredFixture);
      const tx = registry.connect(alice).addStake(300n);
      await expect(tx)
        .to.emit(registry, 'StakeAdded')
        .withArgs(alice.address, 300n, 2n * MIN_STAKE + 300n);
      await expect(tx).to.changeTokenBalances(token, [alice, registry], [-300n, 300n]);
      expect((await registry.peer(alice.address)).stake).to.equal(2n * MIN_STAKE + 300n);
    });

    it('reverts with ZeroAmount for zero', async () => {
      const { registry, alice } = await loadFixture(aliceRegisteredFixture);
      await expect(registry.connect(alice).addStake(0n)).to.be.revertedWithCustomError(registry, 'ZeroAmount');
    });

    it('reverts with PeerNotRegistered for an unknown caller', async () => {
      const { registry, bob } = await loadFixture(aliceRegisteredFixture);
      await expect(registry.connect(bob).addStake(1n)).to.be.revertedWithCustomError(registry, 'PeerNotRegistered').withArgs(bob.address);
    });

    it('reverts with PeerIsExiting once the peer began its exit', async () => {
      const { registry, alice } = await loadFixture(aliceExitingFixture);
      await expect(registry.connect(alice).addStake(1n)).to.be.revertedWithCustomError(registry, 'PeerIsExiting').withArgs(alice.address);
    });

    it('reverts with StakeAboveMaximum when the total would pass 2^128 - 1', async () => {
      const { registry, alice } = await loadFixture(aliceRegisteredFixture);
      const amount = MAX_STAKE - 2n * MIN_STAKE + 1n;
      await expect(registry.connect(alice).addStake(amount))
        .to.be.revertedWithCustomError(registry, 'StakeAboveMaximum')
        .withArgs(MAX_STAKE + 1n, MAX_STAKE);
    });
  });

  describe('heartbeat', () => {
    it('records the block time as lastHeartbeat and emits HeartbeatReceived', async () => {
      const { registry, alice, registeredAt } = await loadFixture(aliceRegisteredFixture);
      const at = registeredAt + 100n;
      await time.setNextBlockTimestamp(at);
      await expect(registry.connect(alice).heartbeat()).to.emit(registry, 'HeartbeatReceived').withArgs(alice.address, at);
      expect((await registry.peer(alice.address)).lastHeartbeat).to.equal(at);
    });

    it('reverts with PeerNotRegistered for an unknown caller', async () => {
      const { registry, bob } = await loadFixture(aliceRegisteredFixture);
      await expect(registry.connect(bob).heartbeat()).to.be.revertedWithCustomError(registry, 'PeerNotRegistered').withArgs(bob.address);
    });

    it('is still recorded once the peer began its exit (it serves its slots until withdrawal), but does not make it active', async () => {
      const { registry, alice } = await loadFixture(aliceExitingFixture);
      const at = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(at);
      await expect(registry.connect(alice).heartbeat()).to.emit(registry, 'HeartbeatReceived').withArgs(alice.address, at);
      expect((await registry.peer(alice.address)).lastHeartbeat).to.equal(at);
      expect(await registry.isActive(alice.address)).to.equal(false);
    });
  });

  describe('isActive', () => {
    describe('when the heartbeat ages', () => {
      it('is true exactly heartbeatTimeout seconds after the last heartbeat', async () => {
        const { registry, alice, registeredAt } = await loadFixture(aliceRegisteredFixture);
        await time.increaseTo(registeredAt + HEARTBEAT_TIMEOUT);
        expect(await registry.isActive(alice.address)).to.equal(true);
      });

      it('is false one second later, though the peer stays registered', async () => {
        const { registry, alice, registeredAt } = await loadFixture(aliceRegisteredFixture);
        await time.increaseTo(registeredAt + HEARTBEAT_TIMEOUT + 1n);
        expect(await registry.isActive(alice.address)).to.equal(false);
        expect(await registry.isRegistered(alice.address)).to.equal(true);
      });

      it('is true again after a new heartbeat', async () => {
        const { registry, alice, registeredAt } = await loadFixture(aliceRegisteredFixture);
        await time.increaseTo(registeredAt + HEARTBEAT_TIMEOUT + 1n);
        await registry.connect(alice).heartbeat();
        expect(await registry.isActive(alice.address)).to.equal(true);
      });
    });

    it('is false for an unknown address', async () => {
      const { registry, bob } = await loadFixture(aliceRegisteredFixture);
      expect(await registry.isActive(bob.address)).to.equal(false);
      expect(await registry.isRegistered(bob.address)).to.equal(false);
      expect((await registry.peer(bob.address)).operator).to.equal(ethers.ZeroAddress);
    });

    it('is false as soon as the peer begins its exit', async () => {
      const { registry, alice } = await loadFixture(aliceExitingFixture);
      expect(await registry.isActive(alice.address)).to.equal(false);
      expect(await registry.isRegistered(alice.address)).to.equal(true);
    });

    it('is false while the stake is below minStake after a slash, and true again after addStake', async () => {
      const { registry, market, recipient, alice } = await loadFixture(aliceRegisteredFixture);
      await registry.connect(market).lockStake(alice.address, MIN_STAKE + 1n);
      await registry.connect(market).slashStake(alice.address, MIN_STAKE + 1n, recipient.address);
      expect(await registry.isActive(alice.address)).to.equal(false);
      await registry.connect(alice).addStake(1n);
      expect(await registry.isActive(alice.address)).to.equal(true);
    });
  });

  describe('beginExit', () => {
    it('records the exit time and emits ExitBegun with the withdrawal time', async () => {
      const { registry, alice, registeredAt } = await loadFixture(aliceRegisteredFixture);
      const at = registeredAt + 10n;
      await time.setNextBlockTimestamp(at);
      await expect(registry.connect(alice).beginExit())
        .to.emit(registry, 'ExitBegun')
        .withArgs(alice.address, at + UNBONDING_DELAY);
      expect((await registry.peer(alice.address)).exitRequestedAt).to.equal(at);
    });

    it('keeps the peer in the list until it withdraws', async () => {
      const { registry } = await loadFixture(aliceExitingFixture);
      expect(await registry.peerCount()).to.equal(1n);
    });

    it('reverts with PeerNotRegistered for an unknown caller', async () => {
      const { registry, bob } = await loadFixture(aliceRegisteredFixture);
      await expect(registry.connect(bob).beginExit()).to.be.revertedWithCustomError(registry, 'PeerNotRegistered').withArgs(bob.address);
    });

    it('reverts with PeerIsExiting when called twice', async () => {
      const { registry, alice } = await loadFixture(aliceExitingFixture);
      await expect(registry.connect(alice).beginExit()).to.be.revertedWithCustomError(registry, 'PeerIsExiting').withArgs(alice.address);
    });
  });

  describe('withdrawStake', () => {
    describe('when the unbonding delay has passed and nothing is locked', () => {
      async function unbondedFixture() {
        const base = await aliceExitingFixture();
        await time.setNextBlockTimestamp(base.exitAt + UNBONDING_DELAY);
        return base;
      }

      it('pays out the whole stake exactly unbondingDelay seconds after the exit', async () => {
        const { registry, token, alice } = await loadFixture(unbondedFixture);
        await expect(registry.connect(alice).withdrawStake()).to.changeTokenBalances(token, [alice, registry], [2n * MIN_STAKE, -2n * MIN_STAKE]);
      });

      it('emits StakeWithdrawn', async () => {
        const { registry, alice } = await loadFixture(unbondedFixture);
        await expect(registry.connect(alice).withdrawStake())
          .to.emit(registry, 'StakeWithdrawn')
          .withArgs(alice.address, 2n * MIN_STAKE);
      });

      it('deletes the record and removes the peer from the list', async () => {
        const { registry, alice } = await loadFixture(unbondedFixture);
        await registry.connect(alice).withdrawStake();
        expect(await registry.isRegistered(alice.address)).to.equal(false);
        expect(await registry.peerCount()).to.equal(0n);
        const record = await registry.peer(alice.address);
        expect(record.operator).to.equal(ethers.ZeroAddress);
        expect(record.stake).to.equal(0n);
        expect(record.endpoint).to.equal('');
      });

      it('lets the operator register again afterwards, as a new peer', async () => {
        const { registry, alice } = await loadFixture(unbondedFixture);
        await registry.connect(alice).withdrawStake();
        const again = await register(registry, alice, MIN_STAKE, 'https://again.example.org');
        const record = await registry.peer(alice.address);
        expect(record.registeredAt).to.equal(again);
        expect(record.exitRequestedAt).to.equal(0n);
        expect(record.stake).to.equal(MIN_STAKE);
        expect(await registry.isActive(alice.address)).to.equal(true);
        expect(await registry.peerCount()).to.equal(1n);
      });
    });

    it('reverts with UnbondingNotOver one second before the unbonding delay has passed', async () => {
      const { registry, alice, exitAt } = await loadFixture(aliceExitingFixture);
      await time.setNextBlockTimestamp(exitAt + UNBONDING_DELAY - 1n);
      await expect(registry.connect(alice).withdrawStake())
        .to.be.revertedWithCustomError(registry, 'UnbondingNotOver')
        .withArgs(alice.address, exitAt + UNBONDING_DELAY);
    });

    it('reverts with PeerNotExiting when the peer has not begun its exit', async () => {
      const { registry, alice } = await loadFixture(aliceRegisteredFixture);
      await expect(registry.connect(alice).withdrawStake()).to.be.revertedWithCustomError(registry, 'PeerNotExiting').withArgs(alice.address);
    });

    it('reverts with PeerNotRegistered for an unknown caller', async () => {
      const { registry, bob } = await loadFixture(aliceRegisteredFixture);
      await expect(registry.connect(bob).withdrawStake()).to.be.revertedWithCustomError(registry, 'PeerNotRegistered').withArgs(bob.address);
    });

    describe('when part of the stake is locked', () => {
      async function lockedExitFixture() {
        const base = await aliceRegisteredFixture();
        await base.registry.connect(base.market).lockStake(base.alice.address, 400n);
        await base.registry.connect(base.alice).beginExit();
        await time.increase(UNBONDING_DELAY);
        return base;
      }

      it('reverts with StakeIsLocked', async () => {
        const { registry, alice } = await loadFixture(lockedExitFixture);
        await expect(registry.connect(alice).withdrawStake()).to.be.revertedWithCustomError(registry, 'StakeIsLocked').withArgs(alice.address, 400n);
      });

      it('pays out the whole stake once the market unlocked it', async () => {
        const { registry, token, market, alice } = await loadFixture(lockedExitFixture);
        await registry.connect(market).unlockStake(alice.address, 400n);
        await expect(registry.connect(alice).withdrawStake()).to.changeTokenBalance(token, alice, 2n * MIN_STAKE);
      });

      it('pays out what is left once the market slashed the locked part', async () => {
        const { registry, token, market, recipient, alice } = await loadFixture(lockedExitFixture);
        await registry.connect(market).slashStake(alice.address, 400n, recipient.address);
        await expect(registry.connect(alice).withdrawStake()).to.changeTokenBalance(token, alice, 2n * MIN_STAKE - 400n);
      });
    });

    it('pays nothing but still removes the peer when its whole stake was slashed', async () => {
      const { registry, token, market, recipient, alice } = await loadFixture(aliceRegisteredFixture);
      await registry.connect(market).lockStake(alice.address, 2n * MIN_STAKE);
      await registry.connect(market).slashStake(alice.address, 2n * MIN_STAKE, recipient.address);
      await registry.connect(alice).beginExit();
      await time.increase(UNBONDING_DELAY);
      const tx = registry.connect(alice).withdrawStake();
      await expect(tx).to.emit(registry, 'StakeWithdrawn').withArgs(alice.address, 0n);
      await expect(tx).to.changeTokenBalance(token, alice, 0n);
      expect(await registry.isRegistered(alice.address)).to.equal(false);
    });
  });

  describe('evict', () => {
    it('reverts with PeerStillAlive exactly evictionDelay seconds after the last heartbeat', async () => {
      const { registry, stranger, alice, registeredAt } = await loadFixture(aliceRegisteredFixture);
      await time.setNextBlockTimestamp(registeredAt + EVICTION_DELAY);
      await expect(registry.connect(stranger).evict(alice.address))
        .to.be.revertedWithCustomError(registry, 'PeerStillAlive')
        .withArgs(alice.address, registeredAt + EVICTION_DELAY + 1n);
    });

    it('counts from the latest heartbeat', async () => {
      const { registry, stranger, alice, registeredAt } = await loadFixture(aliceRegisteredFixture);
      await time.setNextBlockTimestamp(registeredAt + 1_000n);
      await registry.connect(alice).heartbeat();
      await time.setNextBlockTimestamp(registeredAt + EVICTION_DELAY + 1n);
      await expect(registry.connect(stranger).evict(alice.address))
        .to.be.revertedWithCustomError(registry, 'PeerStillAlive')
        .withArgs(alice.address, registeredAt + 1_000n + EVICTION_DELAY + 1n);
    });

    describe('when the heartbeat lapsed more than evictionDelay ago', () => {
      async function evictedFixture() {
        const base = await aliceRegisteredFixture();
        const evictedAt = base.registeredAt + EVICTION_DELAY + 1n;
        await time.setNextBlockTimestamp(evictedAt);
        const tx = await base.registry.connect(base.stranger).evict(base.alice.address);
        return { ...base, evictedAt, tx };
      }

      it('starts the exit one second after evictionDelay, on anyone’s call, and emits PeerEvicted', async () => {
        const { registry, stranger, alice, evictedAt, tx } = await loadFixture(evictedFixture);
        await expect(tx)
          .to.emit(registry, 'PeerEvicted')
          .withArgs(alice.address, stranger.address, evictedAt + UNBONDING_DELAY);
        expect((await registry.peer(alice.address)).exitRequestedAt).to.equal(evictedAt);
      });

      it('drops the peer out for good: inactive, and no heartbeat brings it back', async () => {
        const { registry, alice } = await loadFixture(evictedFixture);
        expect(await registry.isActive(alice.address)).to.equal(false);
        await registry.connect(alice).heartbeat();
        expect(await registry.isActive(alice.address)).to.equal(false);
      });

      it('reverts with PeerIsExiting when evicted again', async () => {
        const { registry, stranger, alice } = await loadFixture(evictedFixture);
        await expect(registry.connect(stranger).evict(alice.address)).to.be.revertedWithCustomError(registry, 'PeerIsExiting').withArgs(alice.address);
      });

      it('leaves the stake withdrawable by the operator after unbonding', async () => {
        const { registry, token, alice, evictedAt } = await loadFixture(evictedFixture);
        await time.setNextBlockTimestamp(evictedAt + UNBONDING_DELAY - 1n);
        await expect(registry.connect(alice).withdrawStake())
          .to.be.revertedWithCustomError(registry, 'UnbondingNotOver')
          .withArgs(alice.address, evictedAt + UNBONDING_DELAY);
        await expect(registry.connect(alice).withdrawStake()).to.changeTokenBalance(token, alice, 2n * MIN_STAKE);
      });
    });

    it('reverts with PeerNotRegistered for an unknown address', async () => {
      const { registry, stranger, bob } = await loadFixture(aliceRegisteredFixture);
      await expect(registry.connect(stranger).evict(bob.address)).to.be.revertedWithCustomError(registry, 'PeerNotRegistered').withArgs(bob.address);
    });

    it('reverts with PeerIsExiting for a peer that already began its exit', async () => {
      const { registry, stranger, alice } = await loadFixture(aliceExitingFixture);
      await time.increase(EVICTION_DELAY + 1n);
      await expect(registry.connect(stranger).evict(alice.address)).to.be.revertedWithCustomError(registry, 'PeerIsExiting').withArgs(alice.address);
    });
  });

  describe('market stake operations', () => {
    describe('when the caller lacks MARKET_ROLE', () => {
      it('lockStake reverts with AccessControlUnauthorizedAccount', async () => {
        const { registry, stranger, alice } = await loadFixture(aliceRegisteredFixture);
        await expect(registry.connect(stranger).lockStake(alice.address, 1n))
          .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
          .withArgs(stranger.address, MARKET_ROLE);
      });

      it('unlockStake reverts with AccessControlUnauthorizedAccount', async () => {
        const { registry, alice } = await loadFixture(aliceRegisteredFixture);
        await expect(registry.connect(alice).unlockStake(alice.address, 1n))
          .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
          .withArgs(alice.address, MARKET_ROLE);
      });

      it('slashStake reverts with AccessControlUnauthorizedAccount, even for the admin', async () => {
        const { registry, admin, alice, recipient } = await loadFixture(aliceRegisteredFixture);
        await expect(registry.connect(admin).slashStake(alice.address, 1n, recipient.address))
          .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
          .withArgs(admin.address, MARKET_ROLE);
      });

      it('penalizeStake reverts with AccessControlUnauthorizedAccount, even for the admin', async () => {
        const { registry, admin, alice, recipient } = await loadFixture(aliceRegisteredFixture);
        await expect(registry.connect(admin).penalizeStake(alice.address, 2n, recipient.address, 1n))
          .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
          .withArgs(admin.address, MARKET_ROLE);
      });

      it('only the admin can grant MARKET_ROLE', async () => {
        const { registry, stranger } = await loadFixture(aliceRegisteredFixture);
        await expect(registry.connect(stranger).grantRole(MARKET_ROLE, stranger.address))
          .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
          .withArgs(stranger.address, await registry.DEFAULT_ADMIN_ROLE());
      });
    });

    describe('lockStake', () => {
      it('locks stake cumulatively and emits StakeLocked with the locked total', async () => {
        const { registry, market, alice } = await loadFixture(aliceRegisteredFixture);
        await expect(registry.connect(market).lockStake(alice.address, 300n)).to.emit(registry, 'StakeLocked').withArgs(alice.address, 300n, 300n);
        await expect(registry.connect(market).lockStake(alice.address, 200n)).to.emit(registry, 'StakeLocked').withArgs(alice.address, 200n, 500n);
        const record = await registry.peer(alice.address);
        expect(record.lockedStake).to.equal(500n);
        expect(record.stake).to.equal(2n * MIN_STAKE);
      });

      it('moves no tokens', async () => {
        const { registry, token, market, alice } = await loadFixture(aliceRegisteredFixture);
        await expect(registry.connect(market).lockStake(alice.address, 300n)).to.changeTokenBalances(token, [alice, registry], [0n, 0n]);
      });

      it('can lock the whole stake, and not one wei more', async () => {
        const { registry, market, alice } = await loadFixture(aliceRegisteredFixture);
        await registry.connect(market).lockStake(alice.address, 2n * MIN_STAKE - 1n);
        await expect(registry.connect(market).lockStake(alice.address, 2n))
          .to.be.revertedWithCustomError(registry, 'InsufficientUnlockedStake')
          .withArgs(alice.address, 1n, 2n);
        await registry.connect(market).lockStake(alice.address, 1n);
        expect((await registry.peer(alice.address)).lockedStake).to.equal(2n * MIN_STAKE);
      });

      it('reverts with ZeroAmount for zero', async () => {
        const { registry, market, alice } = await loadFixture(aliceRegisteredFixture);
        await expect(registry.connect(market).lockStake(alice.address, 0n)).to.be.revertedWithCustomError(registry, 'ZeroAmount');
      });

      it('reverts with PeerNotRegistered for an unknown peer', async () => {
        const { registry, market, bob } = await loadFixture(aliceRegisteredFixture);
        await expect(registry.connect(market).lockStake(bob.address, 1n)).to.be.revertedWithCustomError(registry, 'PeerNotRegistered').withArgs(bob.address);
      });

      it('reverts with PeerIsExiting for an exiting peer, which takes no new commitments', async () => {
        const { registry, market, alice } = await loadFixture(aliceExitingFixture);
        await expect(registry.connect(market).lockStake(alice.address, 1n)).to.be.revertedWithCustomError(registry, 'PeerIsExiting').withArgs(alice.address);
      });
    });

    describe('when part of the stake is locked', () => {
      async function lockedFixture() {
        const base = await aliceRegisteredFixture();
        await base.registry.connect(base.market).lockStake(base.alice.address, 500n);
        return base;
      }

      describe('unlockStake', () => {
        it('releases locked stake and emits StakeUnlocked with the locked rest', async () => {
          const { registry, market, alice } = await loadFixture(lockedFixture);
          await expect(registry.connect(market).unlockStake(alice.address, 200n)).to.emit(registry, 'StakeUnlocked').withArgs(alice.address, 200n, 300n);
          const record = await registry.peer(alice.address);
          expect(record.lockedStake).to.equal(300n);
          expect(record.stake).to.equal(2n * MIN_STAKE);
        });

        it('can release all of it, and not one wei more', async () => {
          const { registry, market, alice } = await loadFixture(lockedFixture);
          await expect(registry.connect(market).unlockStake(alice.address, 501n))
            .to.be.revertedWithCustomError(registry, 'InsufficientLockedStake')
            .withArgs(alice.address, 500n, 501n);
          await registry.connect(market).unlockStake(alice.address, 500n);
          expect((await registry.peer(alice.address)).lockedStake).to.equal(0n);
        });

        it('works while the peer is exiting', async () => {
          const { registry, market, alice } = await loadFixture(lockedFixture);
          await registry.connect(alice).beginExit();
          await expect(registry.connect(market).unlockStake(alice.address, 500n)).to.emit(registry, 'StakeUnlocked').withArgs(alice.address, 500n, 0n);
        });

        it('reverts with ZeroAmount for zero', async () => {
          const { registry, market, alice } = await loadFixture(lockedFixture);
          await expect(registry.connect(market).unlockStake(alice.address, 0n)).to.be.revertedWithCustomError(registry, 'ZeroAmount');
        });

        it('reverts with PeerNotRegistered for an unknown peer', async () => {
          const { registry, market, bob } = await loadFixture(lockedFixture);
          await expect(registry.connect(market).unlockStake(bob.address, 1n))
            .to.be.revertedWithCustomError(registry, 'PeerNotRegistered')
            .withArgs(bob.address);
        });
      });

      describe('slashStake', () => {
        it('sends the slashed amount to the recipient', async () => {
          const { registry, token, market, recipient, alice } = await loadFixture(lockedFixture);
          await expect(registry.connect(market).slashStake(alice.address, 200n, recipient.address)).to.changeTokenBalances(
            token,
            [registry, recipient, alice],
            [-200n, 200n, 0n],
          );
        });

        it('reduces both stake and locked stake and emits StakeSlashed', async () => {
          const { registry, market, recipient, alice } = await loadFixture(lockedFixture);
          await expect(registry.connect(market).slashStake(alice.address, 200n, recipient.address))
            .to.emit(registry, 'StakeSlashed')
            .withArgs(alice.address, 200n, recipient.address);
          const record = await registry.peer(alice.address);
          expect(record.stake).to.equal(2n * MIN_STAKE - 200n);
          expect(record.lockedStake).to.equal(300n);
        });

        it('can slash all of the locked stake, and not one wei more', async () => {
          const { registry, market, recipient, alice } = await loadFixture(lockedFixture);
          await expect(registry.connect(market).slashStake(alice.address, 501n, recipient.address))
            .to.be.revertedWithCustomError(registry, 'InsufficientLockedStake')
            .withArgs(alice.address, 500n, 501n);
          await registry.connect(market).slashStake(alice.address, 500n, recipient.address);
          expect((await registry.peer(alice.address)).lockedStake).to.equal(0n);
        });

        it('works while the peer is exiting', async () => {
          const { registry, token, market, recipient, alice } = await loadFixture(lockedFixture);
          await registry.connect(alice).beginExit();
          await expect(registry.connect(market).slashStake(alice.address, 500n, recipient.address)).to.changeTokenBalance(token, recipient, 500n);
        });

        it('reverts with ZeroAmount for zero', async () => {
          const { registry, market, recipient, alice } = await loadFixture(lockedFixture);
          await expect(registry.connect(market).slashStake(alice.address, 0n, recipient.address)).to.be.revertedWithCustomError(registry, 'ZeroAmount');
        });

        it('reverts with ZeroAddress("recipient") for the zero address', async () => {
          const { registry, market, alice } = await loadFixture(lockedFixture);
          await expect(registry.connect(market).slashStake(alice.address, 1n, ethers.ZeroAddress))
            .to.be.revertedWithCustomError(registry, 'ZeroAddress')
            .withArgs('recipient');
        });

        it('reverts with PeerNotRegistered for an unknown peer', async () => {
          const { registry, market, recipient, bob } = await loadFixture(lockedFixture);
          await expect(registry.connect(market).slashStake(bob.address, 1n, recipient.address))
            .to.be.revertedWithCustomError(registry, 'PeerNotRegistered')
            .withArgs(bob.address);
        });
      });

      describe('penalizeStake', () => {
        it('takes the amount from stake and locked stake without moving a token', async () => {
          const { registry, token, market, recipient, alice } = await loadFixture(lockedFixture);
          await expect(registry.connect(market).penalizeStake(alice.address, 200n, recipient.address, 50n)).to.changeTokenBalances(
            token,
            [registry, recipient, alice, market],
            [0n, 0n, 0n, 0n],
          );
          const record = await registry.peer(alice.address);
          expect([record.stake, record.lockedStake]).to.deep.equal([2n * MIN_STAKE - 200n, 300n]);
        });

        it('credits the reward to the rewardee and forfeits the rest, owned by nobody', async () => {
          const { registry, market, recipient, alice } = await loadFixture(lockedFixture);
          await registry.connect(market).penalizeStake(alice.address, 200n, recipient.address, 50n);
          expect(await registry.creditOf(recipient.address)).to.equal(50n);
          expect(await registry.forfeitedStake()).to.equal(150n);
          await registry.connect(market).penalizeStake(alice.address, 100n, recipient.address, 100n);
          expect(await registry.creditOf(recipient.address)).to.equal(150n);
          expect(await registry.forfeitedStake()).to.equal(150n);
        });

        it('forfeits the whole amount for a zero reward, whatever the rewardee', async () => {
          const { registry, market, alice } = await loadFixture(lockedFixture);
          await registry.connect(market).penalizeStake(alice.address, 120n, ethers.ZeroAddress, 0n);
          expect(await registry.forfeitedStake()).to.equal(120n);
          expect(await registry.creditOf(ethers.ZeroAddress)).to.equal(0n);
          expect((await registry.peer(alice.address)).lockedStake).to.equal(380n);
        });

        it('can take all of the locked stake, and not one wei more', async () => {
          const { registry, market, recipient, alice } = await loadFixture(lockedFixture);
          await expect(registry.connect(market).penalizeStake(alice.address, 501n, recipient.address, 1n))
            .to.be.revertedWithCustomError(registry, 'InsufficientLockedStake')
            .withArgs(alice.address, 500n, 501n);
          await registry.connect(market).penalizeStake(alice.address, 500n, recipient.address, 1n);
          expect((await registry.peer(alice.address)).lockedStake).to.equal(0n);
        });

        it('works while the peer is exiting', async () => {
          const { registry, market, recipient, alice } = await loadFixture(lockedFixture);
          await registry.connect(alice).beginExit();
          await registry.connect(market).penalizeStake(alice.address, 500n, recipient.address, 10n);
          expect((await registry.peer(alice.address)).stake).to.equal(2n * MIN_STAKE - 500n);
        });

        it('reverts with ZeroAmount for zero', async () => {
          const { registry, market, recipient, alice } = await loadFixture(lockedFixture);
          await expect(registry.connect(market).penalizeStake(alice.address, 0n, recipient.address, 0n)).to.be.revertedWithCustomError(registry, 'ZeroAmount');
        });

        it('reverts with RewardExceedsAmount when the reward is larger than the penalty', async () => {
          const { registry, market, recipient, alice } = await loadFixture(lockedFixture);
          await expect(registry.connect(market).penalizeStake(alice.address, 100n, recipient.address, 101n))
            .to.be.revertedWithCustomError(registry, 'RewardExceedsAmount')
            .withArgs(101n, 100n);
        });

        it('reverts with ZeroAddress("rewardee") for a reward to the zero address', async () => {
          const { registry, market, alice } = await loadFixture(lockedFixture);
          await expect(registry.connect(market).penalizeStake(alice.address, 100n, ethers.ZeroAddress, 1n))
            .to.be.revertedWithCustomError(registry, 'ZeroAddress')
            .withArgs('rewardee');
        });

        it('reverts with InsufficientLockedStake for an unknown peer, which has nothing locked', async () => {
          const { registry, market, recipient, bob } = await loadFixture(lockedFixture);
          await expect(registry.connect(market).penalizeStake(bob.address, 1n, recipient.address, 0n))
            .to.be.revertedWithCustomError(registry, 'InsufficientLockedStake')
            .withArgs(bob.address, 0n, 1n);
        });
      });

      describe('withdrawCredit', () => {
        async function creditedFixture() {
          const base = await lockedFixture();
          await base.registry.connect(base.market).penalizeStake(base.alice.address, 300n, base.recipient.address, 120n);
          return base;
        }

        it('pays the caller its whole credit and emits CreditWithdrawn', async () => {
          const { registry, token, recipient } = await loadFixture(creditedFixture);
          const tx = registry.connect(recipient).withdrawCredit();
          await expect(tx).to.emit(registry, 'CreditWithdrawn').withArgs(recipient.address, 120n);
          await expect(tx).to.changeTokenBalances(token, [registry, recipient], [-120n, 120n]);
          expect(await registry.creditOf(recipient.address)).to.equal(0n);
        });

        it('reverts with NothingToWithdraw after the withdrawal, and pays a later credit again', async () => {
          const { registry, token, market, recipient, alice } = await loadFixture(creditedFixture);
          await registry.connect(recipient).withdrawCredit();
          await expect(registry.connect(recipient).withdrawCredit()).to.be.revertedWithCustomError(registry, 'NothingToWithdraw').withArgs(recipient.address);
          await registry.connect(market).penalizeStake(alice.address, 100n, recipient.address, 7n);
          expect(await registry.creditOf(recipient.address)).to.equal(7n);
          await expect(registry.connect(recipient).withdrawCredit()).to.changeTokenBalance(token, recipient, 7n);
        });

        it('reverts with NothingToWithdraw for an account never credited', async () => {
          const { registry, stranger } = await loadFixture(creditedFixture);
          await expect(registry.connect(stranger).withdrawCredit()).to.be.revertedWithCustomError(registry, 'NothingToWithdraw').withArgs(stranger.address);
        });

        it('leaves the forfeited stake in the registry: nobody can withdraw it', async () => {
          const { registry, token, recipient, alice } = await loadFixture(creditedFixture);
          await registry.connect(recipient).withdrawCredit();
          expect(await registry.forfeitedStake()).to.equal(180n);
          const stake = (await registry.peer(alice.address)).stake;
          expect(await token.balanceOf(await registry.getAddress())).to.equal(stake + 180n);
        });
      });
    });

    it('never lets unlocking or slashing take unlocked stake', async () => {
      const { registry, market, recipient, alice } = await loadFixture(aliceRegisteredFixture);
      await expect(registry.connect(market).unlockStake(alice.address, 1n))
        .to.be.revertedWithCustomError(registry, 'InsufficientLockedStake')
        .withArgs(alice.address, 0n, 1n);
      await expect(registry.connect(market).slashStake(alice.address, 1n, recipient.address))
        .to.be.revertedWithCustomError(registry, 'InsufficientLockedStake')
        .withArgs(alice.address, 0n, 1n);
    });
  });

  describe('activePeers', () => {
    /** Five peers: alice, bob, carol, dave, erin in list order; bob's heartbeat lapsed, dave is exiting. */
    async function mixedPeersFixture() {
      const base = await deployRegistryFixture();
      const { registry, alice, bob, carol, dave, erin } = base;
      for (const operator of [alice, bob, carol, dave, erin]) await register(registry, operator);
      await time.increase(HEARTBEAT_TIMEOUT);
      for (const operator of [alice, carol, dave, erin]) await registry.connect(operator).heartbeat();
      await registry.connect(dave).beginExit();
      return base;
    }

    it('returns only the active peers, with their full records', async () => {
      const { registry, alice, carol, erin } = await loadFixture(mixedPeersFixture);
      const [page, next] = await registry.activePeers(0n, 10n);
      expect(page.map((p) => p.operator)).to.deep.equal([alice.address, carol.address, erin.address]);
      expect(next).to.equal(5n);
      expect(page[1].endpoint).to.equal(ENDPOINT);
      expect(page[1].stake).to.equal(MIN_STAKE);
    });

    it('pages through the list, filtering each page, until next reaches peerCount', async () => {
      const { registry, alice, carol, erin } = await loadFixture(mixedPeersFixture);
      expect(await pageOperators(registry, 0n, 2n)).to.deep.equal({ operators: [alice.address], next: 2n });
      expect(await pageOperators(registry, 2n, 2n)).to.deep.equal({ operators: [carol.address], next: 4n });
      expect(await pageOperators(registry, 4n, 2n)).to.deep.equal({ operators: [erin.address], next: 5n });
    });

    it('can return an empty page before the end of the list', async () => {
      const { registry, bob, dave } = await loadFixture(mixedPeersFixture);
      expect((await registry.peer(bob.address)).operator).to.equal(bob.address);
      expect((await registry.peer(dave.address)).operator).to.equal(dave.address);
      expect(await pageOperators(registry, 1n, 1n)).to.deep.equal({ operators: [], next: 2n });
      expect(await pageOperators(registry, 3n, 1n)).to.deep.equal({ operators: [], next: 4n });
    });

    it('returns an empty page and next = peerCount for limit 0', async () => {
      const { registry } = await loadFixture(mixedPeersFixture);
      expect(await pageOperators(registry, 1n, 0n)).to.deep.equal({ operators: [], next: 5n });
    });

    it('returns an empty page and next = peerCount for an offset at or past the end', async () => {
      const { registry } = await loadFixture(mixedPeersFixture);
      expect(await pageOperators(registry, 5n, 10n)).to.deep.equal({ operators: [], next: 5n });
      expect(await pageOperators(registry, 1_000n, 10n)).to.deep.equal({ operators: [], next: 5n });
    });

    it('accepts the largest limit without overflowing', async () => {
      const { registry, carol, erin } = await loadFixture(mixedPeersFixture);
      expect(await pageOperators(registry, 2n, ethers.MaxUint256)).to.deep.equal({ operators: [carol.address, erin.address], next: 5n });
    });

    it('agrees with isActive for every peer', async () => {
      const { registry, alice, bob, carol, dave, erin } = await loadFixture(mixedPeersFixture);
      const listed = new Set((await pageOperators(registry, 0n, 5n)).operators);
      for (const operator of [alice, bob, carol, dave, erin]) {
        expect(listed.has(operator.address)).to.equal(await registry.isActive(operator.address));
      }
    });
  });

  describe('the peer list after withdrawals (swap-and-pop)', () => {
    /** Four peers registered in order: alice, bob, carol, dave. */
    async function fourPeersFixture() {
      const base = await deployRegistryFixture();
      const { registry, alice, bob, carol, dave } = base;
      for (const operator of [alice, bob, carol, dave]) await register(registry, operator);
      return base;
    }

    async function withdraw(registry: PeerRegistry, operator: Operator) {
      await registry.connect(operator).beginExit();
      await time.increase(UNBONDING_DELAY);
      await registry.connect(operator).withdrawStake();
    }

    async function keepAlive(registry: PeerRegistry, operators: Operator[]) {
      for (const operator of operators) await registry.connect(operator).heartbeat();
    }

    it('moves the last peer into the place of a withdrawn first one', async () => {
      const { registry, alice, bob, carol, dave } = await loadFixture(fourPeersFixture);
      await withdraw(registry, alice);
      await keepAlive(registry, [bob, carol, dave]);
      expect(await registry.peerCount()).to.equal(3n);
      expect(await allRegistered(registry)).to.deep.equal([dave.address, bob.address, carol.address]);
    });

    it('simply drops a withdrawn last peer', async () => {
      const { registry, alice, bob, carol, dave } = await loadFixture(fourPeersFixture);
      await withdraw(registry, dave);
      await keepAlive(registry, [alice, bob, carol]);
      expect(await allRegistered(registry)).to.deep.equal([alice.address, bob.address, carol.address]);
    });

    it('stays consistent through a sequence of withdrawals and re-registrations', async () => {
      const { registry, alice, bob, carol, dave, erin } = await loadFixture(fourPeersFixture);
      await withdraw(registry, bob); // [alice, dave, carol]
      await withdraw(registry, alice); // [carol, dave]
      await register(registry, erin); // [carol, dave, erin]
      await register(registry, alice); // [carol, dave, erin, alice]
      await withdraw(registry, dave); // [carol, alice, erin]
      await keepAlive(registry, [carol, alice, erin]);
      expect(await allRegistered(registry)).to.deep.equal([carol.address, alice.address, erin.address]);
      expect(await registry.peerCount()).to.equal(3n);
      for (const gone of [bob, dave]) expect(await registry.isRegistered(gone.address)).to.equal(false);
      // The moved peers can still withdraw from their new places.
      await withdraw(registry, alice);
      await withdraw(registry, carol);
      await registry.connect(erin).heartbeat();
      expect(await allRegistered(registry)).to.deep.equal([erin.address]);
      await withdraw(registry, erin);
      expect(await registry.peerCount()).to.equal(0n);
    });

    it('keeps the registry balance equal to the sum of the recorded stakes, credits and forfeited stake', async () => {
      const { registry, token, market, recipient, stranger, alice, bob, carol, dave } = await loadFixture(fourPeersFixture);
      await registry.connect(bob).addStake(123n);
      await registry.connect(market).lockStake(carol.address, 77n);
      await registry.connect(market).slashStake(carol.address, 50n, recipient.address);
      await registry.connect(market).lockStake(dave.address, 40n);
      await registry.connect(market).penalizeStake(dave.address, 30n, stranger.address, 10n);
      await registry.connect(market).penalizeStake(carol.address, 27n, recipient.address, 5n);
      await registry.connect(stranger).withdrawCredit();
      await withdraw(registry, alice);
      let sum = 0n;
      for (const operator of [alice, bob, carol, dave]) sum += (await registry.peer(operator.address)).stake;
      expect(sum).to.equal(3n * MIN_STAKE + 123n - 50n - 30n - 27n);
      const credits = (await registry.creditOf(recipient.address)) + (await registry.creditOf(stranger.address));
      expect([credits, await registry.forfeitedStake()]).to.deep.equal([5n, 42n]);
      expect(await token.balanceOf(await registry.getAddress())).to.equal(sum + credits + 42n);
    });
  });
});
