import { expect } from 'chai';
import hre from 'hardhat';
import type { Hono } from 'hono';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNodeApp } from '../../../node/app';
import type { NodeEnv } from '../../../node/env';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import { shardPath } from '../../../protocol/column';
import { errorBodySchema } from '../../../protocol/wire';
import { hardhatKey } from '../../../scripts/testkit/chain';
import { assignedShardPut, chainDealDeps, fundOwners, type MarketChain, openTestDeal, startMarketChain } from '../../../scripts/testkit/node/market-chain';
import { randomShard, scratchDir, shardTarget } from '../../../scripts/testkit/node/shard-requests';
import { snapshotStore } from '../../../scripts/testkit/node/store-snapshot';

const ORIGIN = 'https://some-page.example';

describe('node/middleware/cors: public reads from any origin, no cross-origin writes', () => {
  const ownerKey = hardhatKey(41);
  const node = privateKeyToAccount(generatePrivateKey());
  let chain: MarketChain;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let nodeStore: NodeStore;
  let app: Hono<NodeEnv>;
  const shard = shardPath(shardTarget({ index: 0 }));

  before(async () => {
    chain = await startMarketChain(hre);
    await fundOwners(chain, [ownerKey]);
  });
  after(async () => {
    await chain.close();
  });
  beforeEach(async () => {
    dir = await scratchDir();
    nodeStore = await openNodeStore({ dataDir: dir.path });
    app = createNodeApp({
      ...nodeStore,
      identity: { address: node.address, chainId: chain.chainId },
      limits: { capacityBytes: 1 << 20, maxShardBytes: 1 << 16 },
      ...chainDealDeps(chain),
      log: (line) => expect.fail(`unexpected log: ${line}`),
    });
  });
  afterEach(async () => {
    nodeStore.close();
    await dir.remove();
  });

  const preflight = (path: string, method: string) =>
    app.request(path, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': method } });

  describe('when a page reads a public route', () => {
    for (const path of [shard, `/files/0x${'cd'.repeat(32)}`, '/status', '/health']) {
      it(`answers GET and HEAD ${path.split('/')[1]} with access-control-allow-origin * and no credentials`, async () => {
        for (const method of ['GET', 'HEAD']) {
          const res = await app.request(path, { method, headers: { origin: ORIGIN } });
          expect(res.headers.get('access-control-allow-origin'), method).to.equal('*');
          expect(res.headers.get('access-control-allow-credentials'), method).to.equal(null);
        }
      });

      it(`allows the preflight of a GET of ${path.split('/')[1]} (204, GET and HEAD only)`, async () => {
        const res = await preflight(path, 'GET');
        expect(res.status).to.equal(204);
        expect(res.headers.get('access-control-allow-origin')).to.equal('*');
        expect(res.headers.get('access-control-allow-methods')).to.equal('GET, HEAD');
      });
    }

    it('exposes the shard hash and etag to the page', async () => {
      const res = await app.request(shard, { headers: { origin: ORIGIN } });
      const exposed = (res.headers.get('access-control-expose-headers') ?? '').split(/,\s*/);
      expect(exposed).to.include.members(['etag', 'x-dhost-content-sha256']);
    });
  });

  describe('when a page would write or reach a private route', () => {
    for (const [title, path, method] of [
      ['a shard PUT', shard, 'PUT'],
      ['a commit notice', `/slots/0x${'ef'.repeat(32)}/commit`, 'PUT'],
      ['a slot DELETE', `/slots/0x${'ef'.repeat(32)}`, 'DELETE'],
      ['an operator read', '/operator/slots', 'GET'],
      ['a POST', '/health', 'POST'],
    ] as const) {
      it(`refuses the preflight of ${title} with 403 CROSS_ORIGIN_REFUSED and no allowance`, async () => {
        const res = await preflight(path, method);
        expect(res.status).to.equal(403);
        expect(errorBodySchema.parse(await res.json()).error.code).to.equal('CROSS_ORIGIN_REFUSED');
        expect(res.headers.get('access-control-allow-origin')).to.equal(null);
        expect(res.headers.get('access-control-allow-methods')).to.equal(null);
      });
    }

    it('gives a write sent anyway no CORS allowance, and stores nothing for it', async () => {
      const dealId = await openTestDeal(chain, { ownerKey, slots: 1, bytesPerSlot: 4096n, durationEpochs: 4 });
      const target = shardTarget({ fileId: dealId, column: 0, index: 0 });
      const refused = await assignedShardPut({ chain, ownerKey, node: node.address }, { target, body: randomShard(10), contentSha256: '00'.repeat(32) });
      const res = await app.request(refused.path, { ...refused.init, headers: { ...refused.init.headers, origin: ORIGIN } });
      expect(res.status).to.equal(400);
      expect(res.headers.get('access-control-allow-origin')).to.equal(null);
      expect((await snapshotStore(nodeStore)).usage.shards).to.equal(0);

      const stored = await assignedShardPut({ chain, ownerKey, node: node.address }, { target, body: randomShard(10) });
      const ok = await app.request(stored.path, { ...stored.init, headers: { ...stored.init.headers, origin: ORIGIN } });
      expect(ok.status).to.equal(201);
      expect(ok.headers.get('access-control-allow-origin')).to.equal(null);
    });
  });
});
