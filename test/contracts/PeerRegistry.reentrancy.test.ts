import { loadFixture, time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { REGISTRY_CONFIG, TOKEN } from '../../scripts/testkit/market/fixture';
import { REENTRANT_CALL } from '../../scripts/testkit/market/hostile';
import type { PeerRegistry } from '../../typechain-types';

const STAKE = 2_000n * TOKEN;

/*
 * Every PeerRegistry function that moves tokens, run on a token whose transfer calls back into the
 * registry before it moves anything: the reentrant call is refused by the transient guard and the
 * outer call moves exactly what it owes.
 */
describe('PeerRegistry: reentrancy through a hostile token', () => {
  async function hostileRegistryFixture() {
    const [admin, market, recipient, alice, bob] = await ethers.getSigners();
    const token = await ethers.deployContract('ReentrantToken', [admin.address, 1_000_000n * TOKEN]);
    const registry = (await ethers.deployContract('PeerRegistry', [await token.getAddress(), REGISTRY_CONFIG, admin.address])) as unknown as PeerRegistry;
    await registry.connect(admin).grantRole(await registry.MARKET_ROLE(), market.address);
    for (const operator of [alice, bob]) {
      await token.connect(admin).transfer(operator.address, 10_000n * TOKEN);
      await token.connect(operator).approve(await registry.getAddress(), ethers.MaxUint256);
    }
    await registry.connect(alice).register('https://alice.example.org', 1n << 40n, TOKEN, STAKE);
    const registryAddress = await registry.getAddress();
    const arm = (data: string) => token.arm(registryAddress, data);
    const expectRefused = async () => {
      expect(await token.armed()).to.equal(false, 'the hostile transfer should have happened');
      expect(await token.lastReentry()).to.deep.equal([false, REENTRANT_CALL]);
    };
    return { token, registry, admin, market, recipient, alice, bob, arm, expectRefused };
  }

  it('register: refuses a reentrant register during the stake pull; one record, one stake', async () => {
    const f = await loadFixture(hostileRegistryFixture);
    await f.arm(f.registry.interface.encodeFunctionData('register', ['https://x.example.org', 1n, 0n, STAKE]));
    await expect(f.registry.connect(f.bob).register('https://bob.example.org', 1n << 40n, TOKEN, STAKE))
      .to.emit(f.token, 'Reentered')
      .withArgs(await f.registry.getAddress(), false, REENTRANT_CALL);
    await f.expectRefused();
    expect(await f.registry.peerCount()).to.equal(2n);
    expect(await f.token.balanceOf(await f.registry.getAddress())).to.equal(2n * STAKE);
  });

  it('addStake: refuses a reentrant addStake during the pull; the stake grows once', async () => {
    const f = await loadFixture(hostileRegistryFixture);
    await f.arm(f.registry.interface.encodeFunctionData('addStake', [1n]));
    await expect(f.registry.connect(f.alice).addStake(TOKEN)).to.changeTokenBalance(f.token, f.registry, TOKEN);
    await f.expectRefused();
    expect((await f.registry.peer(f.alice.address)).stake).to.equal(STAKE + TOKEN);
  });

  it('withdrawStake: refuses a reentrant withdrawStake and pays the stake exactly once', async () => {
    const f = await loadFixture(hostileRegistryFixture);
    await f.registry.connect(f.alice).beginExit();
    await time.increase(REGISTRY_CONFIG.unbondingDelay);
    await f.arm(f.registry.interface.encodeFunctionData('withdrawStake'));
    await expect(f.registry.connect(f.alice).withdrawStake()).to.changeTokenBalances(f.token, [f.alice, f.registry], [STAKE, -STAKE]);
    await f.expectRefused();
    await expect(f.registry.connect(f.alice).withdrawStake()).to.be.revertedWithCustomError(f.registry, 'PeerNotRegistered').withArgs(f.alice.address);
  });

  it('withdrawCredit: refuses a reentrant withdrawCredit and pays the credit exactly once', async () => {
    const f = await loadFixture(hostileRegistryFixture);
    await f.registry.connect(f.market).lockStake(f.alice.address, 100n);
    await f.registry.connect(f.market).penalizeStake(f.alice.address, 100n, f.recipient.address, 40n);
    await f.arm(f.registry.interface.encodeFunctionData('withdrawCredit'));
    await expect(f.registry.connect(f.recipient).withdrawCredit()).to.changeTokenBalances(f.token, [f.recipient, f.registry], [40n, -40n]);
    await f.expectRefused();
    expect(await f.registry.creditOf(f.recipient.address)).to.equal(0n);
  });

  it('slashStake: refuses a reentrant registry call during the transfer and sends exactly the slash', async () => {
    const f = await loadFixture(hostileRegistryFixture);
    await f.registry.connect(f.market).lockStake(f.alice.address, 500n);
    await f.arm(f.registry.interface.encodeFunctionData('withdrawCredit'));
    await expect(f.registry.connect(f.market).slashStake(f.alice.address, 300n, f.recipient.address)).to.changeTokenBalances(
      f.token,
      [f.recipient, f.registry],
      [300n, -300n],
    );
    await f.expectRefused();
    const peer = await f.registry.peer(f.alice.address);
    expect([peer.stake, peer.lockedStake]).to.deep.equal([STAKE - 300n, 200n]);
  });

  it('slashStake: refuses reentry even from a MARKET_ROLE holder (the token itself here), so one payout cannot nest another', async () => {
    const f = await loadFixture(hostileRegistryFixture);
    await f.registry.connect(f.admin).grantRole(await f.registry.MARKET_ROLE(), await f.token.getAddress());
    await f.registry.connect(f.market).lockStake(f.alice.address, 500n);
    await f.arm(f.registry.interface.encodeFunctionData('slashStake', [f.alice.address, 200n, f.recipient.address]));
    await expect(f.registry.connect(f.market).slashStake(f.alice.address, 300n, f.recipient.address)).to.changeTokenBalance(f.token, f.recipient, 300n);
    await f.expectRefused();
    expect((await f.registry.peer(f.alice.address)).lockedStake).to.equal(200n);
  });
});
