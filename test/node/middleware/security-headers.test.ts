import { expect } from 'chai';
import hre from 'hardhat';
import type { Hono } from 'hono';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNodeApp } from '../../../node/app';
import type { NodeEnv } from '../../../node/env';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import { shardPath } from '../../../protocol/column';
import { hardhatKey } from '../../../scripts/testkit/chain';
import {
  assignedShardPut,
  chainDealDeps,
  type DealWriter,
  fundOwners,
  type MarketChain,
  openTestDeal,
  startMarketChain,
} from '../../../scripts/testkit/node/market-chain';
import { ownerReadHeaders } from '../../../scripts/testkit/node/read-token';
import { randomShard, scratchDir, shardTarget } from '../../../scripts/testkit/node/shard-requests';

describe('node/middleware/security-headers: every answer is hardened', () => {
  const ownerKey = hardhatKey(40);
  const node = privateKeyToAccount(generatePrivateKey());
  let chain: MarketChain;
  let writer: DealWriter;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let nodeStore: NodeStore;
  let app: Hono<NodeEnv>;
  let stored: string;
  let readHeaders: Record<string, string>;

  before(async () => {
    chain = await startMarketChain(hre);
    await fundOwners(chain, [ownerKey]);
    writer = { chain, ownerKey, node: node.address };
    dir = await scratchDir();
    nodeStore = await openNodeStore({ dataDir: dir.path });
    app = createNodeApp({
      ...nodeStore,
      identity: { address: node.address, chainId: chain.chainId },
      limits: { capacityBytes: 1 << 20, maxShardBytes: 1 << 16 },
      ...chainDealDeps(chain),
      log: (line) => expect.fail(`unexpected log: ${line}`),
    });
    const dealId = await openTestDeal(chain, { ownerKey, slots: 1, bytesPerSlot: 4096n, durationEpochs: 4 });
    const target = shardTarget({ fileId: dealId, column: 0, index: 0 });
    const put = await assignedShardPut(writer, { target, body: randomShard(100) });
    expect((await app.request(put.path, put.init)).status).to.equal(201);
    stored = shardPath(target);
    readHeaders = await ownerReadHeaders(chain, { ownerKey, dealId });
  });
  after(async () => {
    nodeStore.close();
    await dir.remove();
    await chain.close();
  });

  function expectHardened(res: Response, corp: 'cross-origin' | 'same-origin') {
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(res.headers.get('referrer-policy')).to.equal('no-referrer');
    expect(res.headers.get('x-frame-options')).to.equal('DENY');
    expect(res.headers.get('content-security-policy')).to.equal("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers.get('cross-origin-resource-policy')).to.equal(corp);
  }

  describe('when a shard is read', () => {
    it('answers GET with the headers and cross-origin-resource-policy cross-origin', async () => {
      const res = await app.request(stored, { headers: readHeaders });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('application/octet-stream');
      expectHardened(res, 'cross-origin');
    });

    it('answers HEAD and an unknown shard the same way', async () => {
      expectHardened(await app.request(stored, { method: 'HEAD', headers: readHeaders }), 'cross-origin');
      const missing = await app.request(shardPath(shardTarget({ index: 3 })), { headers: readHeaders });
      expect(missing.status).to.equal(404);
      expectHardened(missing, 'cross-origin');
    });
  });

  describe('when anything else is answered', () => {
    for (const [title, path, init, status] of [
      ['health', () => '/health', {}, 200],
      ['status', () => '/status', {}, 200],
      ['a file listing', () => `/files/0x${'ab'.repeat(32)}`, {}, 200],
      ['an unknown route', () => '/nope', {}, 404],
      ['a malformed slot id', () => '/slots/0x12/commit', {}, 400],
      ['an unsigned write', () => stored, { method: 'PUT', body: 'x' }, 401],
      ['an operator route without credentials', () => '/operator/slots', {}, 401],
    ] as const) {
      it(`answers ${title} (${status}) with the headers and cross-origin-resource-policy same-origin`, async () => {
        const res = await app.request(path(), init);
        expect(res.status).to.equal(status);
        expectHardened(res, 'same-origin');
      });
    }
  });
});
