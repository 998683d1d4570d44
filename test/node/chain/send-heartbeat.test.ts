import { loadFixture, time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { privateKeyToAccount } from 'viem/accounts';
import { ensureRegistered } from '../../../node/chain/ensure-registered';
import { startHeartbeats } from '../../../node/chain/heartbeat';
import { connectNodeChain } from '../../../node/chain/node-chain';
import { sendHeartbeat } from '../../../node/chain/send-heartbeat';
import { ChainError } from '../../../protocol/errors';
import { deployDhost } from '../../../scripts/hardhat/deploy-dhost';
import { hardhatKey, startRpcServer } from '../../../scripts/testkit/chain';

describe('sendHeartbeat', () => {
  let rpc: Awaited<ReturnType<typeof startRpcServer>>;
  before(async () => {
    rpc = await startRpcServer(hre);
  });
  after(async () => {
    await rpc.close();
  });

  async function deployed() {
    const { deployment, rewardToken, peerRegistry } = await deployDhost(hre);
    const operatorKey = hardhatKey(2);
    await (await rewardToken.transfer(privateKeyToAccount(operatorKey).address, 5_000n * 10n ** 18n)).wait();
    return { deployment, peerRegistry, operatorKey };
  }
  async function setup(register: boolean) {
    const d = await loadFixture(deployed);
    const chain = await connectNodeChain({ rpcUrl: rpc.rpcUrl, privateKey: d.operatorKey, deployment: d.deployment });
    const registry = d.deployment.contracts.PeerRegistry;
    if (register) {
      await ensureRegistered(chain, {
        registry,
        token: d.deployment.contracts.RewardToken,
        endpoint: 'http://127.0.0.1:1',
        capacity: 1n << 20n,
        pricePerGiBEpoch: 1n,
      });
    }
    return { ...d, chain, registry };
  }

  describe('when the peer is registered', () => {
    it('records a heartbeat at the latest block time', async () => {
      const { chain, registry, peerRegistry } = await setup(true);
      await time.increase(500);
      await sendHeartbeat(chain, { registry });
      const peer = await peerRegistry.peer(chain.account.address);
      expect(peer.lastHeartbeat).to.equal(BigInt(await time.latest()));
    });

    it('keeps a lapsing peer active when run by the schedule', async () => {
      const { chain, registry, peerRegistry } = await setup(true);
      await time.increase(599);
      const beats: boolean[] = [];
      await new Promise<void>((resolve) => {
        const heartbeats = startHeartbeats(
          { sendHeartbeat: () => sendHeartbeat(chain, { registry }), log: () => {} },
          {
            intervalMs: 50,
            beatFirst: true,
            onBeat: (outcome) => {
              beats.push(outcome.ok);
              if (beats.length === 2) void heartbeats.stop().then(resolve);
            },
          },
        );
      });
      expect(beats).to.deep.equal([true, true]);
      await time.increase(100);
      expect(await peerRegistry.isActive(chain.account.address)).to.equal(true);
    });
  });

  describe('when the peer is not registered', () => {
    it('throws ChainError CONTRACT_REVERTED naming PeerNotRegistered', async () => {
      const { chain, registry } = await setup(false);
      const error = await sendHeartbeat(chain, { registry }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ChainError);
      expect((error as ChainError).code).to.equal('CONTRACT_REVERTED');
      expect((error as ChainError).message).to.match(/heartbeat reverted: PeerNotRegistered\(0x/);
    });
  });
});
