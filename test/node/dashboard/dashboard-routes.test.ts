import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import hre from 'hardhat';
import { Hono } from 'hono';
import { hc } from 'hono/client';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNodeChainView, type NodeChainView } from '../../../node/dashboard/chain-view';
import { type DashboardApi, type DashboardJson, dashboardRoutes } from '../../../node/dashboard/dashboard-routes';
import type { NodeEnv } from '../../../node/env';
import { errorHandler, notFoundHandler } from '../../../node/middleware/error-handler';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import { createUsageHistory } from '../../../node/store/usage-history';
import { EMPTY_SHA256, signRequest } from '../../../protocol/signing';
import { errorBodySchema } from '../../../protocol/wire';
import { hardhatKey } from '../../../scripts/testkit/chain';
import { type MarketChain, startMarketChain } from '../../../scripts/testkit/node/market-chain';
import { scratchDir, shardTarget } from '../../../scripts/testkit/node/shard-requests';

const API_KEY = 'operator dashboard key';
const CHAIN_ID = 31337;
const MINUTE = 60_000;
const CAPACITY = 1 << 20;

/** Chain figures a fake view answers (the real one is exercised against a real chain below). */
const FIGURES: NonNullable<DashboardJson['chain']> = {
  stake: '100000000000000000000',
  lockedStake: '1500000000000000001',
  slots: 1,
  bytesHeld: '65536',
  proofsSubmitted: '3',
  proofsMissed: '0',
  rewards: { earned: '1000000000000000', subsidy: '0', claimable: '2000000000000000' },
  markerCredit: '0',
  readAt: new Date(0).toISOString(),
};

const fakeChain = (over: Partial<NodeChainView> = {}): NodeChainView => ({
  status: async () => FIGURES,
  events: async () => [],
  claim: async () => ({ claimed: [], total: '0', failed: [] }),
  ...over,
});

describe('operator dashboard routes', () => {
  const node = privateKeyToAccount(generatePrivateKey());
  const stranger = privateKeyToAccount(generatePrivateKey());
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let nodeStore: NodeStore;
  let clock: number;

  /** The routes mounted as the node app mounts them: behind its JSON error path. */
  const appWith = (over: { chain?: NodeChainView; uiDir?: string; apiKey?: string } = {}) => {
    const app = new Hono<NodeEnv>();
    app.onError(errorHandler({ log: () => {} }));
    app.notFound(notFoundHandler());
    app.route(
      '/',
      dashboardRoutes({
        index: nodeStore.index,
        limits: { capacityBytes: CAPACITY },
        history: nodeStore.usageHistory,
        chain: over.chain ?? fakeChain(),
        uiDir: over.uiDir ?? path.join(dir.path, 'no-ui'),
        apiKey: 'apiKey' in over ? over.apiKey : API_KEY,
        identity: { address: node.address, chainId: CHAIN_ID },
        nonces: nodeStore.nonces,
        maxSkewSeconds: 300,
        now: () => clock,
        startedAt: clock - 90_000,
      }),
    );
    return app;
  };
  const bearer = (key = API_KEY) => ({ authorization: `Bearer ${key}` });
  const signedBy = (account: typeof node, p: string, method = 'GET') =>
    signRequest(
      { account },
      { method, pathAndQuery: p, contentSha256: EMPTY_SHA256, node: node.address, chainId: CHAIN_ID, timestamp: Math.floor(clock / 1000) },
    );
  const code = async (res: Response) => errorBodySchema.parse(await res.json()).error.code;
  const storeShards = (sizes: number[]) => {
    const target = shardTarget();
    for (const [index, size] of sizes.entries()) {
      nodeStore.index.commitShard({
        slotId: target.slotId,
        fileId: target.fileId,
        column: target.column,
        owner: stranger.address,
        index,
        size,
        sha256: '00'.repeat(32),
        capacityBytes: CAPACITY,
        now: clock,
      });
    }
  };

  beforeEach(async () => {
    clock = Date.now();
    dir = await scratchDir();
    nodeStore = await openNodeStore({ dataDir: dir.path });
  });
  afterEach(async () => {
    nodeStore.close();
    await dir.remove();
  });

  describe('the operator guard', () => {
    it('refuses the figures and the claim without credentials (401 OPERATOR_KEY_MISSING)', async () => {
      const app = appWith();
      const get = await app.request('/operator/dashboard');
      expect(get.status).to.equal(401);
      expect(await code(get)).to.equal('OPERATOR_KEY_MISSING');
      const post = await app.request('/operator/claim', { method: 'POST' });
      expect(post.status).to.equal(401);
      expect(await code(post)).to.equal('OPERATOR_KEY_MISSING');
    });

    it('refuses a wrong API key with 401 OPERATOR_KEY_INVALID, and a bearer token on a node without a key with 403', async () => {
      const wrong = await appWith().request('/operator/dashboard', { headers: bearer('guess') });
      expect(wrong.status).to.equal(401);
      expect(await code(wrong)).to.equal('OPERATOR_KEY_INVALID');
      const disabled = await appWith({ apiKey: undefined }).request('/operator/dashboard', { headers: bearer() });
      expect(disabled.status).to.equal(403);
      expect(await code(disabled)).to.equal('OPERATOR_DISABLED');
    });

    it('accepts a request signed by the operator key, and refuses one signed by another key with 403 NOT_OPERATOR', async () => {
      const app = appWith();
      const ok = await app.request('/operator/dashboard', { headers: await signedBy(node, '/operator/dashboard') });
      expect(ok.status).to.equal(200);
      const claim = await app.request('/operator/claim', { method: 'POST', headers: await signedBy(node, '/operator/claim', 'POST') });
      expect(claim.status).to.equal(200);
      const other = await app.request('/operator/dashboard', { headers: await signedBy(stranger, '/operator/dashboard') });
      expect(other.status).to.equal(403);
      expect(await code(other)).to.equal('NOT_OPERATOR');
    });
  });

  describe('GET /operator/dashboard', () => {
    it('answers the index usage, uptime and the chain figures, typed through Hono’s client', async () => {
      storeShards([1000, 2345, 17]);
      const app = appWith();
      const api = hc<DashboardApi>('http://node.test', {
        fetch: (input: string | URL | Request, init?: RequestInit) => app.request(input, init),
        headers: bearer(),
      });
      const res = await api.operator.dashboard.$get();
      expect(res.status).to.equal(200);
      const body: DashboardJson = await res.json();
      const usage = nodeStore.index.usage();
      expect(body.storage).to.deep.equal({
        capacityBytes: CAPACITY,
        usedBytes: usage.bytes,
        freeBytes: CAPACITY - usage.bytes,
        shards: usage.shards,
        slots: usage.slots,
      });
      expect(body.storage.usedBytes).to.equal(3362);
      expect(body.uptimeSeconds).to.equal(90);
      expect(body.address).to.equal(node.address);
      expect(body.chainId).to.equal(CHAIN_ID);
      expect(body.chain).to.deep.equal(FIGURES);
      expect(body.chainError).to.equal(null);
      // Reading the figures sampled usage now.
      expect(body.history.points.at(-1)).to.deep.equal({ at: clock, usedBytes: 3362, capacityBytes: CAPACITY });
      expect(body.history.toMs - body.history.fromMs).to.equal(24 * 3600_000);
    });

    it('still answers the index figures when the chain cannot be read, with chain null and CHAIN_UNAVAILABLE', async () => {
      storeShards([10]);
      const chain = fakeChain({
        status: async () => {
          throw new Error('connection refused');
        },
      });
      const res = await appWith({ chain }).request('/operator/dashboard', { headers: bearer() });
      expect(res.status).to.equal(200);
      const body = (await res.json()) as DashboardJson;
      expect(body.storage.usedBytes).to.equal(10);
      expect(body.chain).to.equal(null);
      expect(body.chainError).to.deep.equal({ code: 'CHAIN_UNAVAILABLE', message: 'connection refused' });
      expect(body.events).to.deep.equal([]);
    });
  });

  describe('the usage history', () => {
    it('keeps at most one sample a minute, two days of them, and answers the last 24 h in a bounded number of points', () => {
      const db = new Database(':memory:');
      try {
        const history = createUsageHistory({ db });
        const start = Date.UTC(2026, 0, 1);
        expect(history.record({ at: start, usedBytes: 0, capacityBytes: 100 })).to.equal(true);
        expect(history.record({ at: start + MINUTE - 1, usedBytes: 1, capacityBytes: 100 })).to.equal(false);
        const minutes = 3 * 24 * 60;
        for (let m = 1; m <= minutes; m++) history.record({ at: start + m * MINUTE, usedBytes: m, capacityBytes: 100 });
        // Two days kept (the retention), not three.
        expect(history.count()).to.equal(2 * 24 * 60 + 1);
        const end = start + minutes * MINUTE;
        const day = history.since({ since: end - 24 * 3600_000, maxPoints: 240 });
        expect(day.length).to.be.at.most(240).and.at.least(200);
        expect(day.at(-1)).to.deep.equal({ at: end, usedBytes: minutes, capacityBytes: 100 });
        expect(day[0].at).to.be.at.least(end - 24 * 3600_000);
        for (let i = 1; i < day.length; i++) expect(day[i].at).to.be.greaterThan(day[i - 1].at);
        // Fewer samples than points: all of them.
        expect(history.since({ since: end - 10 * MINUTE, maxPoints: 240 })).to.have.length(11);
      } finally {
        db.close();
      }
    });

    it('answers at most the configured number of points through the dashboard', async () => {
      for (let m = 24 * 60; m >= 1; m -= 5) nodeStore.usageHistory.record({ at: clock - m * MINUTE, usedBytes: m, capacityBytes: CAPACITY });
      const res = await appWith().request('/operator/dashboard', { headers: bearer() });
      const body = (await res.json()) as DashboardJson;
      expect(body.history.points.length).to.be.at.most(240);
      expect(body.history.points.at(-1)?.at).to.equal(clock);
    });
  });

  describe('the page', () => {
    it('answers 503 UI_NOT_BUILT while there is no build', async () => {
      const res = await appWith().request('/dashboard/');
      expect(res.status).to.equal(503);
      expect(await code(res)).to.equal('UI_NOT_BUILT');
    });

    it('redirects /dashboard to /dashboard/ and serves the built files publicly, with a CSP that allows its own script', async () => {
      const uiDir = path.join(dir.path, 'ui');
      fs.mkdirSync(path.join(uiDir, 'assets'), { recursive: true });
      fs.writeFileSync(path.join(uiDir, 'index.html'), '<!doctype html><title>t</title>');
      fs.writeFileSync(path.join(uiDir, 'assets', 'main.js'), 'console.log(1)');
      const app = appWith({ uiDir });
      const redirect = await app.request('/dashboard');
      expect(redirect.status).to.equal(302);
      expect(redirect.headers.get('location')).to.equal('/dashboard/');
      const page = await app.request('/dashboard/');
      expect(page.status).to.equal(200);
      expect(page.headers.get('content-type')).to.match(/^text\/html/);
      expect(page.headers.get('content-security-policy')).to.include("script-src 'self'");
      expect(await page.text()).to.include('<title>t</title>');
      const script = await app.request('/dashboard/assets/main.js');
      expect(script.status).to.equal(200);
      expect((await app.request('/dashboard/assets/missing.js')).status).to.equal(404);
      expect((await app.request('/dashboard/../package.json')).status).to.equal(404);
    });
  });

  describe('POST /operator/claim against a real chain', () => {
    let chain: MarketChain;
    before(async () => {
      chain = await startMarketChain(hre);
    });
    after(async () => {
      await chain.close();
    });

    it('answers an empty list when the node holds nothing to claim, and reads its chain figures', async () => {
      const key = hardhatKey(37);
      const account = privateKeyToAccount(key);
      const view = createNodeChainView(
        { chain: { publicClient: chain.publicClient, walletClient: chain.wallet(key), account } },
        { market: chain.market, registry: chain.deployment.contracts.PeerRegistry, fromBlock: BigInt(chain.deployment.blockNumber) },
      );
      const app = appWith({ chain: view });
      const res = await app.request('/operator/claim', { method: 'POST', headers: bearer() });
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ claimed: [], total: '0', failed: [] });
      const figures = (await (await app.request('/operator/dashboard', { headers: bearer() })).json()) as DashboardJson;
      expect(figures.chainError).to.equal(null);
      expect(figures.chain).to.include({ stake: '0', proofsSubmitted: '0', proofsMissed: '0', slots: 0 });
      expect(figures.chain?.rewards).to.deep.equal({ earned: '0', subsidy: '0', claimable: '0' });
      expect(figures.events).to.deep.equal([]);
    });
  });
});
