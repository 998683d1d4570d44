import fs from 'node:fs/promises';
import net from 'node:net';
import { loadFixture } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { privateKeyToAccount } from 'viem/accounts';
import { PeerExitingError } from '../../node/errors';
import { type NodeOptions, startNode } from '../../node/start-node';
import { openNodeStore } from '../../node/store/open-node-store';
import { shardPath } from '../../protocol/column';
import { ChainError } from '../../protocol/errors';
import { nodeStatusSchema, shardStoredSchema } from '../../protocol/wire';
import { deployDhost } from '../../scripts/hardhat/deploy-dhost';
import { hardhatKey, startRpcServer } from '../../scripts/testkit/chain';
import { assignedShardPut, type MarketChain, marketChainOf, openTestDeal } from '../../scripts/testkit/node/market-chain';
import { ownerReadHeaders } from '../../scripts/testkit/node/read-token';
import { randomShard, scratchDir, sha256Hex, shardTarget } from '../../scripts/testkit/node/shard-requests';
import { snapshotStore } from '../../scripts/testkit/node/store-snapshot';

describe('startNode', () => {
  const operatorKey = hardhatKey(3);
  const operator = privateKeyToAccount(operatorKey);
  const uploaderKey = hardhatKey(9);
  const uploader = privateKeyToAccount(uploaderKey);
  let rpc: Awaited<ReturnType<typeof startRpcServer>>;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let logged: string[];

  before(async () => {
    rpc = await startRpcServer(hre);
  });
  after(async () => {
    await rpc.close();
  });
  beforeEach(async () => {
    dir = await scratchDir();
    logged = [];
  });
  afterEach(async () => {
    await dir.remove();
  });

  async function deployed() {
    const { deployment, rewardToken, peerRegistry } = await deployDhost(hre);
    await (await rewardToken.transfer(operator.address, 5_000n * 10n ** 18n)).wait();
    await (await rewardToken.transfer(uploader.address, 5_000n * 10n ** 18n)).wait();
    return { deployment, peerRegistry };
  }
  async function options(): Promise<NodeOptions & { peerRegistry: Awaited<ReturnType<typeof deployed>>['peerRegistry']; chain: MarketChain }> {
    const { deployment, peerRegistry } = await loadFixture(deployed);
    return {
      chain: marketChainOf({ rpcUrl: rpc.rpcUrl, deployment, close: async () => {} }),
      dataDir: dir.path,
      port: 0,
      capacityBytes: 1 << 24,
      maxShardBytes: 1 << 20,
      privateKey: operatorKey,
      rpcUrl: rpc.rpcUrl,
      deployment,
      log: (line) => logged.push(line),
      peerRegistry,
    };
  }

  describe('when the chain and data directory are fresh', () => {
    it('registers, serves a signed PUT then GET over HTTP, and keeps the shard across a restart', async () => {
      const opts = await options();
      const node = await startNode(opts);
      const dealId = await openTestDeal(opts.chain, { ownerKey: uploaderKey, slots: 2, bytesPerSlot: 1n << 20n, durationEpochs: 4 });
      const target = shardTarget({ fileId: dealId, column: 1, index: 0 });
      const body = randomShard(300_000);
      try {
        expect(node.address).to.equal(operator.address);
        expect(node.chainId).to.equal(31337);
        const peer = await opts.peerRegistry.peer(operator.address);
        expect(peer.endpoint).to.equal(node.url);
        expect(await opts.peerRegistry.isActive(operator.address)).to.equal(true);

        const put = await assignedShardPut({ chain: opts.chain, ownerKey: uploaderKey, node: node.address }, { target, body });
        const res = await fetch(`${node.url}${put.path}`, put.init);
        expect(res.status).to.equal(201);
        expect(shardStoredSchema.parse(await res.json())).to.include({ size: 300_000, sha256: sha256Hex(body), created: true });

        const got = await fetch(`${node.url}${shardPath(target)}`, { headers: await ownerReadHeaders(opts.chain, { ownerKey: uploaderKey, dealId }) });
        expect(got.status).to.equal(200);
        expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(body))).to.equal(true);

        const status = nodeStatusSchema.parse(await (await fetch(`${node.url}/status`)).json());
        expect(status).to.include({ address: operator.address, chainId: 31337, usedBytes: 300_000, shards: 1, slots: 1 });
      } finally {
        await node.stop();
      }

      const again = await startNode({ ...opts, port: node.port });
      try {
        expect(logged.some((l) => /unchanged in the registry/.test(l))).to.equal(true);
        const got = await fetch(`${again.url}${shardPath(target)}`, { headers: await ownerReadHeaders(opts.chain, { ownerKey: uploaderKey, dealId }) });
        expect(got.status).to.equal(200);
        expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(body))).to.equal(true);
      } finally {
        await again.stop();
      }
    });
  });

  describe('when a client sends fewer bytes than its Content-Length and hangs up', () => {
    it('keeps neither a temporary file nor an index row', async () => {
      const opts = await options();
      const node = await startNode(opts);
      try {
        const dealId = await openTestDeal(opts.chain, { ownerKey: uploaderKey, slots: 1, bytesPerSlot: 1n << 20n, durationEpochs: 4 });
        const target = shardTarget({ fileId: dealId });
        const body = randomShard(50_000);
        const put = await assignedShardPut({ chain: opts.chain, ownerKey: uploaderKey, node: node.address }, { target, body, contentLength: 100_000 });
        await new Promise<void>((resolve, reject) => {
          const socket = net.connect(node.port, '127.0.0.1', () => {
            const head = [
              `PUT ${put.path} HTTP/1.1`,
              `host: 127.0.0.1:${node.port}`,
              ...Object.entries(put.init.headers).map(([k, v]) => `${k}: ${v}`),
              '',
              '',
            ];
            socket.write(head.join('\r\n'));
            socket.write(body, () => {
              socket.destroy();
              resolve();
            });
          });
          socket.on('error', reject);
        });
        const status = nodeStatusSchema.parse(await (await fetch(`${node.url}/status`)).json());
        expect(status.shards).to.equal(0);
      } finally {
        // stop() waits for running handlers, so the hung-up upload has been cleaned up by now.
        await node.stop();
      }
      expect(await fs.readdir(`${dir.path}/tmp`)).to.deep.equal([]);
      const reopened = await openNodeStore({ dataDir: dir.path });
      try {
        const snap = await snapshotStore(reopened);
        expect(snap.files).to.deep.equal([]);
        expect(snap.usage.shards).to.equal(0);
      } finally {
        reopened.close();
      }
    });
  });

  describe('when the RPC serves another chain than the deployment', () => {
    it('refuses with ChainError CHAIN_MISMATCH', async () => {
      const opts = await options();
      const error = await startNode({ ...opts, deployment: { ...opts.deployment, chainId: 1 } }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ChainError);
      expect((error as ChainError).code).to.equal('CHAIN_MISMATCH');
    });
  });

  describe("when the deployment's contracts have no code at the RPC (a deployment for another network)", () => {
    it('refuses with ChainError DEPLOYMENT_MISSING naming the contract', async () => {
      const opts = await options();
      const empty = privateKeyToAccount(hardhatKey(45)).address;
      const error = await startNode({ ...opts, deployment: { ...opts.deployment, contracts: { ...opts.deployment.contracts, PeerRegistry: empty } } }).catch(
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(ChainError);
      expect((error as ChainError).code).to.equal('DEPLOYMENT_MISSING');
      expect((error as ChainError).message).to.contain('PeerRegistry');
    });
  });

  describe('when the deployment has no Marketplace', () => {
    it('refuses with ChainError DEPLOYMENT_MALFORMED', async () => {
      const opts = await options();
      const { Marketplace: _market, ...contracts } = opts.deployment.contracts;
      const error = await startNode({ ...opts, deployment: { ...opts.deployment, contracts: contracts as typeof opts.deployment.contracts } }).catch(
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(ChainError);
      expect((error as ChainError).code).to.equal('DEPLOYMENT_MALFORMED');
    });
  });

  describe('when the operator has begun to exit', () => {
    it('refuses to start with PeerExitingError and leaves nothing listening', async () => {
      const opts = await options();
      const node = await startNode(opts);
      const port = node.port;
      await node.stop();
      const signer = await hre.ethers.getSigner(operator.address);
      await (await opts.peerRegistry.connect(signer).beginExit()).wait();
      await expect(startNode({ ...opts, port })).to.be.rejectedWith(PeerExitingError);
      await expect(fetch(`http://127.0.0.1:${port}/health`)).to.be.rejected;
    });
  });

  describe('when the start-up is aborted', () => {
    it('rejects and leaves nothing open', async () => {
      const opts = await options();
      const controller = new AbortController();
      controller.abort();
      await expect(startNode(opts, controller.signal)).to.be.rejected;
      const reopened = await openNodeStore({ dataDir: dir.path });
      reopened.close();
    });
  });
});
