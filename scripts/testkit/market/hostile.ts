import { ethers } from 'hardhat';
import type { MarketplaceHarness, PeerRegistry, ReentrantToken } from '../../../typechain-types';
import { type MarketFixture, REGISTRY_CONFIG, STAKE, TEST_CONFIG, type TestConfig, TOKEN } from './fixture';

/*
 * A market and registry deployed on a hostile ERC-20 (contracts/test/ReentrantToken.sol) whose next
 * transfer, once armed, calls back into a chosen contract: the reentrancy tests of the market and the
 * registry. Same accounts and funding as {deployMarket}.
 */

/** {MarketFixture} with the hostile token in place of the reward token. */
export interface HostileFixture extends Omit<MarketFixture, 'token'> {
  token: ReentrantToken;
}

/**
 * Deploys ReentrantToken, PeerRegistry and MarketplaceHarness on it (`overrides` on TEST_CONFIG);
 * funds 3 owners (approved), registers 6 peers with STAKE each. The token is not armed.
 *
 * @example
 * const f = await deployHostileMarket({ maxMisses: 1n });
 * await f.token.arm(await f.market.getAddress(), f.market.interface.encodeFunctionData('claim', [slotId]));
 */
export async function deployHostileMarket(overrides: Partial<TestConfig> = {}): Promise<HostileFixture> {
  const signers = await ethers.getSigners();
  const [admin] = signers;
  const owners = signers.slice(1, 4);
  const peers = signers.slice(4, 10);
  const others = signers.slice(10, 14);
  const config = { ...TEST_CONFIG, ...overrides };
  const token = await ethers.deployContract('ReentrantToken', [admin.address, 10n ** 9n * TOKEN]);
  const registry = (await ethers.deployContract('PeerRegistry', [await token.getAddress(), REGISTRY_CONFIG, admin.address])) as unknown as PeerRegistry;
  const market = (await ethers.deployContract('MarketplaceHarness', [
    await token.getAddress(),
    await registry.getAddress(),
    config,
    admin.address,
  ])) as unknown as MarketplaceHarness;
  const genesis = BigInt((await market.deploymentTransaction()?.getBlock())?.timestamp ?? 0);
  const marketAddress = await market.getAddress();
  await registry.connect(admin).grantRole(await registry.MARKET_ROLE(), marketAddress);
  for (const owner of owners) {
    await token.connect(admin).transfer(owner.address, 1_000_000n * TOKEN);
    await token.connect(owner).approve(marketAddress, ethers.MaxUint256);
  }
  for (const [i, peer] of peers.entries()) {
    await token.connect(admin).transfer(peer.address, STAKE);
    await token.connect(peer).approve(await registry.getAddress(), ethers.MaxUint256);
    await registry.connect(peer).register(`https://peer${i}.example.org`, 1n << 40n, TOKEN, STAKE);
  }
  return { token, registry, market, genesis, config, admin, owners, peers, others };
}

/** The revert data of OpenZeppelin's `ReentrancyGuardReentrantCall()`: what a refused reentry returns. */
export const REENTRANT_CALL = ethers.id('ReentrancyGuardReentrantCall()').slice(0, 10);
