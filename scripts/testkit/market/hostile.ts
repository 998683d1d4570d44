import { ethers } from 'hardhat';
import type { ReentrantToken } from '../../../typechain-types';
import { deployMarketOn, type MarketFixture, type TestConfig, TOKEN } from './fixture';

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
  const [admin] = await ethers.getSigners();
  const token = (await ethers.deployContract('ReentrantToken', [admin.address, 10n ** 9n * TOKEN])) as unknown as ReentrantToken;
  return deployMarketOn(token, overrides);
}

/** The revert data of OpenZeppelin's `ReentrancyGuardReentrantCall()`: what a refused reentry returns. */
export const REENTRANT_CALL = ethers.id('ReentrancyGuardReentrantCall()').slice(0, 10);
