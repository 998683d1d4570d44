import { expect } from 'chai';
import hre from 'hardhat';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNodeApp } from '../../../node/app';
import { countRequests, createRequestCounts } from '../../../node/status/request-counts';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import { shardPath } from '../../../protocol/column';
import { EMPTY_SHA256, signRequest } from '../../../protocol/signing';
import { errorBodySchema, nodeStatusSchema } from '../../../protocol/wire';
import { hardhatKey } from '../../../scripts/testkit/chain';
import { assignedShardPut, chainDealDeps, fundOwners, type MarketChain, openTestDeal, startMarketChain } from '../../../scripts/testkit/node/market-chain';
import { ownerReadHeaders } from '../../../scripts/testkit/node/read-token';
import { randomShard, scratchDir, shardTarget } from '../../../scripts/testkit/node/shard-requests';
import { snapshotStore } from '../../../scripts/testkit/node/store-snapshot';

const API_KEY = 'correct horse battery staple';

describe('operator routes', () => {
  const nodeKey = generatePrivateKey();
  const node = privateKeyToAccount(nodeKey);
  const stranger = privateKeyToAccount(generatePrivateKey());
  const uploaderKey = hardhatKey(36);
  let chain: MarketChain;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let nodeStore: NodeStore;
  /** Deals opened on chain for the targets written so far (one per file id). */
  const opened = new Set<string>();

  let requests: ReturnType<typeof createRequestCounts>;
  const appWith = (apiKey?: string) =>
    createNodeApp({
      ...nodeStore,
      identity: { address: node.address, chainId: chain.chainId },
      limits: { capacityBytes: 1 << 20, maxShardBytes: 1 << 16 },
      apiKey,
      signer: node,
      operatorView: {
        market: nodeStore.market,
        nonces: nodeStore.nonces,
        requests,
        config: () => ({ host: '127.0.0.1', rpcUrl: 'https://rpc.example.org/…', stake: 10n ** 18n }),
      },
      ...chainDealDeps(chain),
    });
  /** Headers of a GET signed by `account` for this node and chain (now, or at `timestamp`). */
  const signedBy = (account: typeof node, path: string, over: { timestamp?: number; method?: string; contentSha256?: string } = {}) =>
    signRequest(
      { account },
      {
        method: over.method ?? 'GET',
        pathAndQuery: path,
        contentSha256: over.contentSha256 ?? EMPTY_SHA256,
        node: node.address,
        chainId: chain.chainId,
        timestamp: over.timestamp,
      },
    );
  const storeShard = async (app: ReturnType<typeof appWith>, target = shardTarget(), size = 100) => {
    if (!opened.has(target.fileId)) {
      await openTestDeal(chain, { ownerKey: uploaderKey, dealId: target.fileId, slots: target.column + 1, bytesPerSlot: 1n << 16n, durationEpochs: 4 });
      opened.add(target.fileId);
    }
    const put = await assignedShardPut({ chain, ownerKey: uploaderKey, node: node.address }, { target, body: randomShard(size) });
    expect((await app.request(put.path, put.init)).status).to.equal(201);
    return target;
  };
  const code = async (res: Response) => errorBodySchema.parse(await res.json()).error.code;

  before(async () => {
    chain = await startMarketChain(hre);
    await fundOwners(chain, [uploaderKey]);
  });
  after(async () => {
    await chain.close();
  });
  beforeEach(async () => {
    requests = createRequestCounts();
    dir = await scratchDir();
    nodeStore = await openNodeStore({ dataDir: dir.path });
  });
  afterEach(async () => {
    nodeStore.close();
    await dir.remove();
  });

  describe('when the node has no API key', () => {
    it('answers a bearer token with 403 OPERATOR_DISABLED, and no credentials with 401 OPERATOR_KEY_MISSING', async () => {
      const app = appWith();
      const target = await storeShard(app);
      for (const res of [
        await app.request('/operator/slots', { headers: { authorization: 'Bearer anything' } }),
        await app.request(`/slots/${target.slotId}`, { method: 'DELETE', headers: { authorization: 'Bearer anything' } }),
      ]) {
        expect(res.status).to.equal(403);
        expect(await code(res)).to.equal('OPERATOR_DISABLED');
      }
      const bare = await app.request('/operator/slots');
      expect(bare.status).to.equal(401);
      expect(await code(bare)).to.equal('OPERATOR_KEY_MISSING');
      expect(nodeStore.index.usage().shards).to.equal(1);
    });

    it('still accepts requests signed by the operator key', async () => {
      const app = appWith();
      const target = await storeShard(app);
      const res = await app.request(`/slots/${target.slotId}`, {
        method: 'DELETE',
        headers: await signedBy(node, `/slots/${target.slotId}`, { method: 'DELETE' }),
      });
      expect(res.status).to.equal(200);
      expect(nodeStore.index.usage().shards).to.equal(0);
    });
  });

  describe('when a request is signed', () => {
    it('accepts the operator key on every operator route', async () => {
      const app = appWith(API_KEY);
      for (const path of ['/operator/slots', '/operator/status', '/operator/config', '/operator/metrics']) {
        const res = await app.request(path, { headers: await signedBy(node, path) });
        expect(res.status, path).to.equal(200);
      }
    });

    it('refuses another key with 403 NOT_OPERATOR, without touching the slot', async () => {
      const app = appWith(API_KEY);
      const target = await storeShard(app);
      const path = `/slots/${target.slotId}`;
      const res = await app.request(path, { method: 'DELETE', headers: await signedBy(stranger, path, { method: 'DELETE' }) });
      expect(res.status).to.equal(403);
      expect(await code(res)).to.equal('NOT_OPERATOR');
      expect(nodeStore.index.usage().shards).to.equal(1);
    });

    it('refuses a replay with 401 REPLAYED_SIGNATURE, also after the node restarts', async () => {
      const headers = await signedBy(node, '/operator/status');
      expect((await appWith(API_KEY).request('/operator/status', { headers })).status).to.equal(200);
      const again = await appWith(API_KEY).request('/operator/status', { headers });
      expect(again.status).to.equal(401);
      expect(await code(again)).to.equal('REPLAYED_SIGNATURE');
      nodeStore.close();
      nodeStore = await openNodeStore({ dataDir: dir.path });
      const afterRestart = await appWith(API_KEY).request('/operator/status', { headers });
      expect(afterRestart.status).to.equal(401);
      expect(await code(afterRestart)).to.equal('REPLAYED_SIGNATURE');
    });

    it('refuses a stale timestamp with 401 STALE_SIGNATURE', async () => {
      const timestamp = Math.floor(Date.now() / 1000) - 301;
      const res = await appWith(API_KEY).request('/operator/status', { headers: await signedBy(node, '/operator/status', { timestamp }) });
      expect(res.status).to.equal(401);
      expect(await code(res)).to.equal('STALE_SIGNATURE');
    });

    it('refuses a signature made for another path, method or a body with 401', async () => {
      const app = appWith(API_KEY);
      for (const [path, headers] of [
        ['/operator/config', await signedBy(node, '/operator/status')],
        ['/operator/status', await signedBy(node, '/operator/status', { method: 'DELETE' })],
        ['/operator/status', await signedBy(node, '/operator/status', { contentSha256: 'ab'.repeat(32) })],
      ] as const) {
        const res = await app.request(path, { headers });
        expect(res.status).to.equal(401);
        expect(await code(res)).to.equal('BAD_SIGNATURE');
      }
    });
  });

  describe('the operator views', () => {
    const asOperator = async (app: ReturnType<typeof appWith>, path: string) => app.request(path, { headers: { authorization: `Bearer ${API_KEY}` } });

    it('GET /operator/status reports everything /status does and what only the operator sees', async () => {
      const app = appWith(API_KEY);
      await storeShard(app, shardTarget(), 100);
      const details = (await (await asOperator(app, '/operator/status')).json()) as Record<string, unknown>;
      const status = nodeStatusSchema.parse(await (await app.request('/status')).json());
      const { signedAt: _a, signature: _s, uptimeSeconds: _u, ...unsigned } = status;
      expect(details).to.include(unsigned);
      expect(details.dataDir).to.include({ path: nodeStore.store.dataDir, usedBytes: 100, slots: 1, shards: 1 });
      expect(details.slotsByState).to.deep.equal({ committed: 0, filled: 0, mismatch: 0, failed: 0, done: 0 });
      expect(details.noncesRemembered).to.equal(1); // the shard write's nonce
      expect(details).to.include.keys('uptimeSeconds', 'startedAt', 'limits', 'hardening', 'signatures', 'auth');
    });

    it('GET /operator/config shows the effective settings and no secret', async () => {
      const app = appWith(API_KEY);
      const res = await asOperator(app, '/operator/config');
      const text = await res.text();
      expect(res.status).to.equal(200);
      expect(text).not.to.contain(API_KEY);
      expect(text.toLowerCase()).not.to.contain(nodeKey.slice(2).toLowerCase());
      const config = JSON.parse(text) as Record<string, unknown>;
      expect(config).to.include({ address: node.address, chainId: chain.chainId, apiKeyConfigured: true, statusSigned: true, stake: (10n ** 18n).toString() });
      expect(config).to.include.keys('limits', 'hardening', 'maxSignatureSkewSeconds', 'marketAddress', 'dataDir', 'rpcUrl');
    });

    it('GET /operator/metrics answers the Prometheus text format, request counts included', async () => {
      const app = appWith(API_KEY);
      await storeShard(app, shardTarget(), 100);
      const fetch = countRequests(app.fetch, requests);
      await fetch(new Request('http://node/status'));
      await fetch(new Request('http://node/nope/0x12'));
      const res = await fetch(new Request('http://node/operator/metrics', { headers: { authorization: `Bearer ${API_KEY}` } }));
      expect(res.headers.get('content-type')).to.equal('text/plain; version=0.0.4; charset=utf-8');
      const text = await res.text();
      expect(text.endsWith('\n')).to.equal(true);
      const samples = new Map<string, number>();
      for (const line of text.split('\n').filter((l) => l !== '')) {
        if (line.startsWith('#')) {
          expect(line).to.match(/^# (HELP|TYPE) dhost_[a-z_]+ .+$/);
          continue;
        }
        const match = /^(dhost_[a-z_]+(?:\{[^}]*\})?) (-?[0-9.e+]+)$/.exec(line);
        expect(match, line).not.to.equal(null);
        samples.set(match![1], Number(match![2]));
      }
      expect(samples.get('dhost_used_bytes')).to.equal(100);
      expect(samples.get('dhost_capacity_bytes')).to.equal(1 << 20);
      expect(samples.get('dhost_slots')).to.equal(1);
      expect(samples.get('dhost_shards')).to.equal(1);
      expect(samples.get('dhost_uptime_seconds')).to.be.a('number');
      expect(samples.get('dhost_market_slots{state="filled"}')).to.equal(0);
      expect(samples.get('dhost_http_requests_total{route="/status",method="GET",status="200"}')).to.equal(1);
      expect(samples.get('dhost_http_requests_total{route="other",method="GET",status="404"}')).to.equal(1);
    });
  });

  describe('when the node has an API key', () => {
    it('refuses a missing key with 401 OPERATOR_KEY_MISSING', async () => {
      const res = await appWith(API_KEY).request('/operator/slots');
      expect(res.status).to.equal(401);
      expect(await code(res)).to.equal('OPERATOR_KEY_MISSING');
    });

    it('refuses a wrong key (shorter, longer, or same length) with 401 OPERATOR_KEY_INVALID and deletes nothing', async () => {
      const app = appWith(API_KEY);
      const target = await storeShard(app);
      for (const key of ['x', `${API_KEY}x`, API_KEY.replace('c', 'k')]) {
        const res = await app.request(`/slots/${target.slotId}`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } });
        expect(res.status).to.equal(401);
        expect(await code(res)).to.equal('OPERATOR_KEY_INVALID');
      }
      expect(nodeStore.index.usage().shards).to.equal(1);
    });

    it('lists every slot with its shards and size for the right key', async () => {
      const app = appWith(API_KEY);
      const a = await storeShard(app, shardTarget({ index: 0 }), 100);
      await storeShard(app, { ...a, index: 1 }, 50);
      const b = await storeShard(app, shardTarget(), 10);
      const res = await app.request('/operator/slots', { headers: { authorization: `Bearer ${API_KEY}` } });
      expect(res.status).to.equal(200);
      const { slots } = (await res.json()) as { slots: { slotId: string; bytes: number; shards: unknown[] }[] };
      expect(slots.map((s) => [s.slotId, s.bytes, s.shards.length]).sort()).to.deep.equal(
        [
          [a.slotId, 150, 2],
          [b.slotId, 10, 1],
        ].sort(),
      );
    });

    it('drops a slot for the right key: its rows, then its files', async () => {
      const app = appWith(API_KEY);
      const keep = await storeShard(app);
      const drop = await storeShard(app, shardTarget({ index: 0 }), 100);
      await storeShard(app, { ...drop, index: 'manifest' }, 20);
      const res = await app.request(`/slots/${drop.slotId}`, { method: 'DELETE', headers: { authorization: `Bearer ${API_KEY}` } });
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ slotId: drop.slotId, deleted: true, shards: 2, bytes: 120 });
      // Reads need the deal owner's retrieval token.
      const read = async (target: typeof keep) =>
        app.request(shardPath(target), {
          headers: await ownerReadHeaders({ chainId: chain.chainId, market: chain.market }, { ownerKey: uploaderKey, dealId: target.fileId }),
        });
      expect((await read(drop)).status).to.equal(404);
      expect((await read(keep)).status).to.equal(200);
      const snap = await snapshotStore(nodeStore);
      expect(snap.usage).to.deep.equal({ bytes: 100, shards: 1, slots: 1 });
      expect(snap.files).to.have.length(1);
    });

    it('answers 404 SLOT_NOT_FOUND for an unknown slot', async () => {
      const res = await appWith(API_KEY).request(`/slots/${shardTarget().slotId}`, { method: 'DELETE', headers: { authorization: `Bearer ${API_KEY}` } });
      expect(res.status).to.equal(404);
      expect(await code(res)).to.equal('SLOT_NOT_FOUND');
    });

    it('lets the deal owner write a dropped slot afresh', async () => {
      const app = appWith(API_KEY);
      const target = await storeShard(app);
      await app.request(`/slots/${target.slotId}`, { method: 'DELETE', headers: { authorization: `Bearer ${API_KEY}` } });
      const put = await assignedShardPut({ chain, ownerKey: uploaderKey, node: node.address }, { target, body: randomShard(10) });
      expect((await app.request(put.path, put.init)).status).to.equal(201);
    });
  });
});
