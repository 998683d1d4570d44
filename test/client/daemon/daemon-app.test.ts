import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import hre from 'hardhat';
import { chainPeerSource, masterFromPrivateKey, openKeystore } from '../../../client';
import { createDaemonApp } from '../../../client/daemon/daemon-app';
import type { DaemonDeps } from '../../../client/daemon/daemon-deps';
import { newSessionToken, SESSION_HEADER } from '../../../client/daemon/guards/session-token';
import { startTestNetwork, type TestNetwork } from '../../../scripts/testkit/network';

const PORT = 4848;
const ORIGIN = `http://127.0.0.1:${PORT}`;

describe('user daemon app (client/daemon)', function () {
  this.timeout(180_000);
  let net: TestNetwork;
  let home: string;
  let deps: DaemonDeps;
  let token: string;
  let app: ReturnType<typeof createDaemonApp>;
  /** Every answer seen, to check that none ever carried a CORS header. */
  const answers: Response[] = [];

  const call = async (pathAndQuery: string, init: RequestInit & { session?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    if (typeof init.body === 'string' && !headers.has('content-type')) headers.set('content-type', 'application/json');
    const session = init.session === undefined ? token : init.session;
    if (session !== null) headers.set(SESSION_HEADER, session);
    const res = await app.request(`${ORIGIN}${pathAndQuery}`, { ...init, headers });
    answers.push(res);
    return res;
  };
  const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  before(async () => {
    net = await startTestNetwork(hre, { peers: 6 });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-daemon-'));
    const { key, account } = await net.user();
    const mp = net.marketplaceFor(account);
    deps = {
      account,
      master: masterFromPrivateKey(key),
      keystore: openKeystore({ home }),
      chainId: net.chainId,
      publicClient: mp.publicClient,
      walletClient: mp.walletClient,
      contracts: { market: mp.market, token: mp.token, registry: mp.registry },
      peers: chainPeerSource({ publicClient: mp.publicClient, registry: mp.registry, market: mp.market }),
      publicEndpointsOnly: false,
      spoolDir: path.join(home, 'spool'),
      log: () => {},
    };
    token = newSessionToken();
    const pageDir = path.join(home, 'page');
    fs.mkdirSync(pageDir);
    fs.writeFileSync(path.join(pageDir, 'index.html'), '<!doctype html><title>dhost</title>');
    app = createDaemonApp(deps, { port: PORT, token, pageDir });
  });

  after(async () => {
    await net?.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  describe('when a request does not name the daemon as its Host', () => {
    it('refuses it with 403 HOST_REFUSED, API and page alike', async () => {
      for (const url of ['http://evil.example:4848/api/account', 'http://127.0.0.1:9999/', 'http://localhost.evil.example:4848/']) {
        const res = await app.request(url, { headers: { [SESSION_HEADER]: token } });
        answers.push(res);
        expect(res.status, url).to.equal(403);
        expect(await errorCode(res)).to.equal('HOST_REFUSED');
      }
    });

    it('answers localhost:<port> and 127.0.0.1:<port>', async () => {
      for (const origin of [ORIGIN, `http://localhost:${PORT}`]) {
        const res = await app.request(`${origin}/`);
        answers.push(res);
        expect(res.status).to.equal(200);
        expect(res.headers.get('content-type')).to.match(/^text\/html/);
      }
    });
  });

  describe('when the session token is missing or wrong', () => {
    it('answers every API route 401 SESSION_REQUIRED', async () => {
      for (const session of [null, '', 'x'.repeat(43), `${token}x`]) {
        for (const [method, route] of [
          ['GET', '/api/account'],
          ['GET', '/api/files'],
          ['POST', '/api/quote'],
          ['GET', '/api/nope'],
        ] as const) {
          const res = await call(route, { method, session, body: method === 'POST' ? '{}' : undefined });
          expect(res.status, `${method} ${route} with ${session}`).to.equal(401);
          expect(await errorCode(res)).to.equal('SESSION_REQUIRED');
        }
      }
    });
  });

  describe('when another origin tries to reach it', () => {
    it('refuses a cross-origin request with 403 ORIGIN_REFUSED, even with the token', async () => {
      const res = await call('/api/account', { headers: { origin: 'https://evil.example' } });
      expect(res.status).to.equal(403);
      expect(await errorCode(res)).to.equal('ORIGIN_REFUSED');
      const site = await call('/api/account', { headers: { 'sec-fetch-site': 'cross-site' } });
      expect(site.status).to.equal(403);
    });

    it('refuses every preflight with 403', async () => {
      const res = await call('/api/uploads', {
        method: 'OPTIONS',
        session: null,
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(res.status).to.equal(403);
      expect(await errorCode(res)).to.equal('ORIGIN_REFUSED');
    });

    it('accepts its own origin', async () => {
      const res = await call('/api/account', { headers: { origin: ORIGIN } });
      expect(res.status).to.equal(200);
    });
  });

  describe('with the session token', () => {
    it('GET /api/account: address, chain id, token and ETH balances', async () => {
      const res = await call('/api/account');
      expect(res.status).to.equal(200);
      const body = (await res.json()) as Record<string, unknown> & { token: Record<string, unknown> };
      expect(body.address).to.equal(deps.account.address);
      expect(body.chainId).to.equal(net.chainId);
      expect(BigInt(body.token.balance as string) > 0n).to.equal(true);
      expect(body.token.decimals).to.equal(18);
      expect(body.token.symbol).to.be.a('string');
      expect(BigInt(body.ethBalance as string) > 0n).to.equal(true);
    });

    it('POST /api/quote: the redundancy, slots, epochs and escrow before paying', async () => {
      const res = await call('/api/quote', { method: 'POST', body: JSON.stringify({ size: 3 * 1024 * 1024, name: 'a.bin', epochs: 10 }) });
      expect(res.status).to.equal(200);
      const q = (await res.json()) as Record<string, unknown>;
      expect(q.redundancy).to.equal('rs:4+2');
      expect(q.slots).to.equal(6);
      expect(q.epochs).to.equal(10);
      expect(BigInt(q.escrow as string)).to.equal(6n * 10n * BigInt(q.pricePerSlotEpoch as string));
    });

    it('GET /api/files: an empty list for a new account', async () => {
      const res = await call('/api/files');
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ files: [] });
    });

    it('GET /api/peers: every active peer with its reputation and live status', async () => {
      const res = await call('/api/peers');
      const { peers } = (await res.json()) as { peers: { endpoint: string; live: boolean; reputation: { proofsKept: number; proofsMissed: number } }[] };
      expect(peers).to.have.length(6);
      for (const p of peers) {
        expect(p.live, p.endpoint).to.equal(true);
        expect(p.reputation.proofsKept).to.be.a('number');
        expect(p.reputation.proofsMissed).to.be.a('number');
      }
    });

    it('sets the security headers on every answer', async () => {
      for (const res of [await call('/api/account'), await call('/'), await call('/api/account', { session: null })]) {
        expect(res.headers.get('content-security-policy')).to.contain("default-src 'self'").and.contain("frame-ancestors 'none'");
        expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
      }
    });
  });

  describe('when the input is wrong', () => {
    const cases: [string, string, RequestInit][] = [
      ['a negative size', '/api/quote', { method: 'POST', body: JSON.stringify({ size: -1 }) }],
      ['a bad redundancy', '/api/quote', { method: 'POST', body: JSON.stringify({ size: 10, redundancy: 'rs:banana' }) }],
      ['malformed JSON', '/api/quote', { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } }],
      ['an upload without a name', '/api/uploads?size=3', { method: 'POST', body: 'abc' }],
      ['an upload with a bad size', '/api/uploads?name=a&size=-3', { method: 'POST', body: 'abc' }],
      ['a malformed file id', '/api/files/0x12/content', {}],
      ['a share link without a lifetime', `/api/files/0x${'ab'.repeat(32)}/share`, { method: 'POST', body: JSON.stringify({}) }],
      ['an extension by zero epochs', `/api/files/0x${'ab'.repeat(32)}/extend`, { method: 'POST', body: JSON.stringify({ epochs: 0 }) }],
    ];
    for (const [what, route, init] of cases) {
      it(`answers 400 JSON to ${what}`, async () => {
        const res = await call(route, { ...init, headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });
        expect(res.status).to.equal(400);
        expect(res.headers.get('content-type')).to.match(/^application\/json/);
        const code = await errorCode(res);
        expect(code).to.equal('INVALID_INPUT');
      });
    }

    it('answers 400 to a JSON body sent without its content type (what a cross-site form could send)', async () => {
      const res = await call('/api/quote', { method: 'POST', body: new Blob([JSON.stringify({ size: 10 })]) });
      expect(res.status).to.equal(400);
    });

    it('answers 404 NOT_FOUND JSON to an unknown route', async () => {
      for (const [method, route] of [
        ['GET', '/api/nope'],
        ['POST', '/elsewhere'],
      ] as const) {
        const res = await call(route, { method });
        expect(res.status, route).to.equal(404);
        expect(await errorCode(res)).to.equal('NOT_FOUND');
      }
    });

    it('answers 404 FILE_NOT_FOUND for a file the account does not have', async () => {
      const res = await call(`/api/files/0x${'ab'.repeat(32)}/content`);
      expect(res.status).to.equal(404);
      expect(await errorCode(res)).to.equal('FILE_NOT_FOUND');
    });
  });

  describe('when an upload body does not match its declared size', () => {
    it('answers 400 UPLOAD_SIZE_MISMATCH and leaves no spooled file, shorter or longer', async () => {
      for (const body of ['short', 'much longer than ten bytes']) {
        const res = await call('/api/uploads?name=a.txt&size=10', { method: 'POST', body });
        expect(res.status).to.equal(400);
        expect(await errorCode(res)).to.equal('UPLOAD_SIZE_MISMATCH');
        expect(fs.existsSync(deps.spoolDir) ? fs.readdirSync(deps.spoolDir) : []).to.deep.equal([]);
      }
    });
  });

  describe('when a file is uploaded through the API', () => {
    const bytes = Buffer.from('hello from the dashboard daemon\n'.repeat(1000));
    let fileId: string;

    it('runs it in the background, reports progress, removes the spooled file, and records it', async () => {
      const started = await call(`/api/uploads?name=hello.txt&size=${bytes.length}&epochs=5`, { method: 'POST', body: bytes });
      expect(started.status).to.equal(202);
      const { id } = (await started.json()) as { id: string };
      let job: { phase: string; result: { fileId: string } | null; error: unknown } | undefined;
      for (let i = 0; i < 600; i++) {
        job = (await (await call(`/api/uploads/${id}`)).json()) as typeof job;
        if (job?.phase === 'done' || job?.phase === 'failed') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(job?.error).to.equal(null);
      expect(job?.phase).to.equal('done');
      fileId = job?.result?.fileId as string;
      expect(fs.readdirSync(deps.spoolDir)).to.deep.equal([]);
      expect((await deps.keystore.listUploads()).map((u) => u.fileId)).to.deep.equal([fileId]);
    });

    it('lists it with its size, redundancy, full health, expiry and cost', async () => {
      const { files } = (await (await call('/api/files')).json()) as { files: Record<string, unknown>[] };
      expect(files).to.have.length(1);
      const f = files[0] as { name: string; size: number; redundancy: string; health: unknown; deal: { epochsLeft: string; cost: string } };
      expect(f.name).to.equal('hello.txt');
      expect(f.size).to.equal(bytes.length);
      expect(f.redundancy).to.equal('rs:4+2');
      expect(f.health).to.deep.equal({ minHealthy: 6, columns: 6, dataColumns: 4 });
      expect(BigInt(f.deal.cost) > 0n).to.equal(true);
    });

    it('streams it back decrypted with its name', async () => {
      const res = await call(`/api/files/${fileId}/content`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-disposition')).to.contain('hello.txt');
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).to.equal(true);
    });

    it('makes a share link with its expiry and a web link on a holder', async () => {
      const res = await call(`/api/files/${fileId}/share`, { method: 'POST', body: JSON.stringify({ expiresInSeconds: 3600 }) });
      expect(res.status).to.equal(200);
      const s = (await res.json()) as { link: string; webLink: string; expiresAt: string };
      expect(s.link).to.match(/^dhost:\/\/(0x)?[0-9a-f]{64}\?t=[A-Za-z0-9_-]+#/);
      expect(s.webLink).to.match(/^http:\/\/127\.0\.0\.1:\d+\/share\/#dhost%3A%2F%2F/);
      expect(Date.parse(s.expiresAt) - Date.now()).to.be.within(3000_000, 3700_000);
    });

    it('extends, then cancels its deal', async () => {
      const before = (await (await call('/api/files')).json()) as { files: { deal: { endEpoch: string } }[] };
      const ext = await call(`/api/files/${fileId}/extend`, { method: 'POST', body: JSON.stringify({ epochs: 3 }) });
      expect(ext.status).to.equal(200);
      expect(BigInt(((await ext.json()) as { endEpoch: string }).endEpoch)).to.equal(BigInt(before.files[0].deal.endEpoch) + 3n);
      const cancel = await call(`/api/files/${fileId}/cancel`, { method: 'POST' });
      expect(cancel.status).to.equal(200);
      expect(((await cancel.json()) as { cancelled: boolean }).cancelled).to.equal(true);
    });
  });

  after(() => {
    for (const res of answers) {
      for (const name of res.headers.keys()) expect(name, `${res.url} ${name}`).not.to.match(/^access-control-/);
    }
  });
});
