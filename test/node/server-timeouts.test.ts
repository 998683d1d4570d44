import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import hre from 'hardhat';
import { privateKeyToAccount } from 'viem/accounts';
import { type RunningNode, startNode } from '../../node/start-node';
import { openNodeStore } from '../../node/store/open-node-store';
import { hardhatKey } from '../../scripts/testkit/chain';
import { assignedShardPut, eventually, fundOwners, type MarketChain, openTestDeal, startMarketChain } from '../../scripts/testkit/node/market-chain';
import { randomShard, scratchDir, shardTarget } from '../../scripts/testkit/node/shard-requests';
import { snapshotStore } from '../../scripts/testkit/node/store-snapshot';

/** The most a test waits for the node to hang up: far above the timeouts set here, so only a node that never closes fails. */
const CLOSE_BOUND_MS = 20_000;

/** Opens a raw connection, sends `data` and resolves with what came back once the server closed it (rejects after the bound). */
function sendAndAwaitClose(port: number, data: string | Uint8Array): Promise<{ received: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const bound = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the node kept the connection open for ${CLOSE_BOUND_MS} ms`));
    }, CLOSE_BOUND_MS);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(bound);
      resolve({ received: Buffer.concat(chunks).toString('latin1') });
    });
    socket.write(data);
  });
}

describe('node server timeouts: slow clients are cut off', () => {
  const operatorKey = hardhatKey(45);
  const ownerKey = hardhatKey(46);
  let chain: MarketChain;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let node: RunningNode;

  before(async () => {
    chain = await startMarketChain(hre);
    await fundOwners(chain, [operatorKey, ownerKey]);
  });
  after(async () => {
    await chain.close();
  });
  beforeEach(async () => {
    dir = await scratchDir();
    node = await startNode({
      dataDir: dir.path,
      port: 0,
      capacityBytes: 1 << 24,
      maxShardBytes: 1 << 20,
      privateKey: operatorKey,
      rpcUrl: chain.rpcUrl,
      deployment: chain.deployment,
      serverTimeouts: { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 300, connectionsCheckingIntervalMs: 50 },
      log: () => undefined,
    });
  });
  afterEach(async () => {
    await node.stop();
    await dir.remove();
  });

  describe('when a client sends its headers and never finishes them', () => {
    it('closes the connection without answering the request', async () => {
      const { received } = await sendAndAwaitClose(node.port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      expect(received).not.to.match(/^HTTP\/1\.1 2/);
      // The node still serves prompt clients, with its security and CORS headers over real HTTP too.
      for (const method of ['GET', 'HEAD']) {
        const res = await fetch(`${node.url}/health`, { method, headers: { origin: 'https://page.example' } });
        expect(res.status, method).to.equal(200);
        expect(res.headers.get('x-content-type-options'), method).to.equal('nosniff');
        expect(res.headers.get('access-control-allow-origin'), method).to.equal('*');
      }
    });
  });

  describe('when a client stops sending an upload’s body', () => {
    it('closes the connection and keeps nothing of the upload', async () => {
      const dealId = await openTestDeal(chain, { ownerKey, slots: 1, bytesPerSlot: 1n << 20n, durationEpochs: 4 });
      const body = randomShard(10_000);
      const put = await assignedShardPut(
        { chain, ownerKey, node: privateKeyToAccount(operatorKey).address },
        { target: shardTarget({ fileId: dealId, column: 0, index: 0 }), body },
      );
      const head = [`PUT ${put.path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(put.init.headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
      const { received } = await sendAndAwaitClose(node.port, Buffer.concat([Buffer.from(head, 'latin1'), body.subarray(0, 4000)]));
      expect(received).not.to.match(/^HTTP\/1\.1 2/);
      // The node removes the partial upload itself (not only recovery at the next start).
      await eventually('the partial upload is removed', async () => ((await fs.readdir(path.join(dir.path, 'tmp'))).length === 0 ? true : undefined));

      await node.stop();
      const reopened = await openNodeStore({ dataDir: dir.path });
      try {
        expect(reopened.recovery.tmpRemoved).to.equal(0);
        const snap = await snapshotStore(reopened);
        expect(snap.usage).to.deep.equal({ bytes: 0, shards: 0, slots: 0 });
        expect(snap.files).to.deep.equal([]);
        expect(snap.tmp).to.deep.equal([]);
      } finally {
        reopened.close();
      }
    });
  });
});
