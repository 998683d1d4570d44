import { loadFixture, setBalance } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { privateKeyToAccount } from 'viem/accounts';
import { ensureRegistered } from '../../../node/chain/ensure-registered';
import { connectNodeChain } from '../../../node/chain/node-chain';
import { PeerExitingError, StakeUnavailableError } from '../../../node/errors';
import { ChainError } from '../../../protocol/errors';
import { deployDhost } from '../../../scripts/hardhat/deploy-dhost';
import { hardhatKey, startRpcServer } from '../../../scripts/testkit/chain';

const TOKEN = 10n ** 18n;

describe('ensureRegistered', () => {
  let rpc: Awaited<ReturnType<typeof startRpcServer>>;
  before(async () => {
    rpc = await startRpcServer(hre);
  });
  after(async () => {
    await rpc.close();
  });

  async function deployed() {
    const { deployment, rewardToken, peerRegistry } = await deployDhost(hre);
    const operatorKey = hardhatKey(1);
    const operator = privateKeyToAccount(operatorKey).address;
    await (await rewardToken.transfer(operator, 5_000n * TOKEN)).wait();
    return { deployment, rewardToken, peerRegistry, operatorKey, operator };
  }
  async function setup() {
    const d = await loadFixture(deployed);
    const chain = await connectNodeChain({ rpcUrl: rpc.rpcUrl, privateKey: d.operatorKey, deployment: d.deployment });
    const offer = {
      registry: d.deployment.contracts.PeerRegistry,
      token: d.deployment.contracts.RewardToken,
      endpoint: 'http://127.0.0.1:7001',
      capacity: 1n << 30n,
      pricePerGiBEpoch: 10n ** 15n,
    };
    return { ...d, chain, offer };
  }

  describe('when the operator is not registered', () => {
    it('approves and stakes the minimum stake and registers the offer', async () => {
      const { chain, offer, peerRegistry, rewardToken, operator } = await setup();
      const minStake = (await peerRegistry.config()).minStake;
      const { action, peer } = await ensureRegistered(chain, offer);
      expect(action).to.equal('registered');
      expect(peer).to.include({ operator, endpoint: offer.endpoint, capacity: offer.capacity, pricePerGiBEpoch: offer.pricePerGiBEpoch, stake: minStake });
      expect(await peerRegistry.isActive(operator)).to.equal(true);
      expect(await rewardToken.balanceOf(operator)).to.equal(5_000n * TOKEN - minStake);
    });

    it('stakes the amount asked for', async () => {
      const { chain, offer } = await setup();
      const { peer } = await ensureRegistered(chain, { ...offer, stake: 2_000n * TOKEN });
      expect(peer.stake).to.equal(2_000n * TOKEN);
    });

    it('refuses with StakeUnavailableError when the operator lacks the tokens, sending nothing', async () => {
      const { chain, offer } = await setup();
      const before = await chain.publicClient.getBlockNumber();
      await expect(ensureRegistered(chain, { ...offer, stake: 6_000n * TOKEN })).to.be.rejectedWith(StakeUnavailableError, /must stake/);
      expect(await chain.publicClient.getBlockNumber()).to.equal(before);
    });

    it('decodes a revert into ChainError CONTRACT_REVERTED naming the custom error', async () => {
      const { chain, offer } = await setup();
      const error = await ensureRegistered(chain, { ...offer, stake: 1n }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ChainError);
      expect((error as ChainError).code).to.equal('CONTRACT_REVERTED');
      expect((error as ChainError).message).to.match(/register reverted: StakeBelowMinimum\(1, /);
    });
  });

  describe('when the operator is registered with the same offer', () => {
    it('sends no transaction', async () => {
      const { chain, offer } = await setup();
      await ensureRegistered(chain, offer);
      const before = await chain.publicClient.getBlockNumber();
      const { action } = await ensureRegistered(chain, offer);
      expect(action).to.equal('unchanged');
      expect(await chain.publicClient.getBlockNumber()).to.equal(before);
    });
  });

  describe('when the operator is registered with another endpoint, capacity or price', () => {
    it('updates the offer on chain', async () => {
      const { chain, offer, peerRegistry, operator } = await setup();
      await ensureRegistered(chain, offer);
      for (const change of [{ endpoint: 'https://node.example.org' }, { capacity: 5n << 30n }, { pricePerGiBEpoch: 7n }]) {
        const wanted = { ...offer, ...change };
        const { action } = await ensureRegistered(chain, wanted);
        expect(action).to.equal('updated');
        const peer = await peerRegistry.peer(operator);
        expect([peer.endpoint, peer.capacity, peer.pricePerGiBEpoch]).to.deep.equal([wanted.endpoint, wanted.capacity, wanted.pricePerGiBEpoch]);
        Object.assign(offer, wanted);
      }
    });
  });

  describe('when the operator has begun to exit', () => {
    it('refuses with PeerExitingError once it holds no slots', async () => {
      const { chain, offer, peerRegistry } = await setup();
      await ensureRegistered(chain, offer);
      const signer = await hre.ethers.getSigner(chain.account.address);
      await (await peerRegistry.connect(signer).beginExit()).wait();
      await expect(ensureRegistered(chain, offer)).to.be.rejectedWith(PeerExitingError, /begun to exit/);
    });

    it('starts while it still holds slots (stake locked), to serve them, sending nothing even for another offer', async () => {
      const { chain, offer, peerRegistry, deployment } = await setup();
      await ensureRegistered(chain, offer);
      // Stand in for the market: lock part of the stake, as a fill does.
      const market = deployment.contracts.Marketplace;
      await setBalance(market, TOKEN);
      const asMarket = peerRegistry.connect(await hre.ethers.getImpersonatedSigner(market));
      await (await asMarket.lockStake(chain.account.address, TOKEN)).wait();
      const signer = await hre.ethers.getSigner(chain.account.address);
      await (await peerRegistry.connect(signer).beginExit()).wait();
      const nonce = await chain.publicClient.getTransactionCount({ address: chain.account.address });
      const lines: string[] = [];
      const { action, peer } = await ensureRegistered(chain, { ...offer, capacity: 2n << 30n, log: (l) => lines.push(l) });
      expect(action).to.equal('exiting');
      expect(peer.capacity).to.equal(offer.capacity);
      expect(await chain.publicClient.getTransactionCount({ address: chain.account.address })).to.equal(nonce);
      expect(lines.join('\n')).to.contain('is exiting: serving and proving the slots it holds');
    });
  });
});
