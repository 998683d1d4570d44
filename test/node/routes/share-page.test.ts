import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Hono } from 'hono';
import type { NodeEnv } from '../../../node/env';
import { errorHandler, notFoundHandler } from '../../../node/middleware/error-handler';
import { isShardRead } from '../../../node/middleware/public-reads';
import { securityHeaders } from '../../../node/middleware/security-headers';
import { SHARE_PAGE_CSP, sharePageRoutes } from '../../../node/routes/share-page';

/** The node's middleware in front of the page and one JSON route, as node/app.ts puts them. */
function appFor(root: string): Hono<NodeEnv> {
  const app = new Hono<NodeEnv>();
  app.onError(errorHandler({ log: () => {} }));
  app.notFound(notFoundHandler());
  app.use('*', securityHeaders({ crossOrigin: isShardRead }));
  app.get('/health', (c) => c.json({ ok: true }));
  app.route('/', sharePageRoutes({ root }));
  return app;
}

describe('node/routes/share-page: the share page at /share/', () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-share-page-'));
    fs.mkdirSync(path.join(root, 'assets'));
    fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>share</title><script type="module" src="/share/assets/main-abc.js"></script>');
    fs.writeFileSync(path.join(root, 'assets', 'main-abc.js'), 'console.log(1);');
  });
  after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  describe('when the page is built', () => {
    it('serves index.html at /share/ with the page’s own CSP (script from self, connect to any http(s) origin, blob: images, never framed)', async () => {
      const res = await appFor(root).request('/share/');
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^text\/html/);
      expect(await res.text()).to.contain('<title>share</title>');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).to.equal(SHARE_PAGE_CSP);
      expect(csp).to.contain("default-src 'none'");
      expect(csp).to.contain("script-src 'self'");
      expect(csp).to.contain('connect-src http: https:');
      expect(csp).to.contain("img-src 'self' blob:");
      expect(csp).to.contain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).to.equal('DENY');
      expect(res.headers.get('cache-control')).to.equal('no-cache');
    });

    it('serves the hashed assets with the same CSP, cached for good', async () => {
      const res = await appFor(root).request('/share/assets/main-abc.js');
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/javascript/);
      expect(res.headers.get('content-security-policy')).to.equal(SHARE_PAGE_CSP);
      expect(res.headers.get('cache-control')).to.contain('immutable');
    });

    it('redirects /share to /share/ (so the page’s relative paths and fragment work)', async () => {
      const res = await appFor(root).request('/share');
      expect(res.status).to.equal(301);
      expect(res.headers.get('location')).to.equal('/share/');
    });

    it('answers a missing file or a path escape with the node’s JSON 404, and leaves other routes’ CSP alone', async () => {
      const app = appFor(root);
      for (const p of ['/share/assets/nope.js', '/share/../package.json', '/share/%2e%2e/package.json']) {
        const res = await app.request(p);
        expect(res.status, p).to.equal(404);
        expect(res.headers.get('content-security-policy'), p).to.equal("default-src 'none'; frame-ancestors 'none'");
      }
      const health = await app.request('/health');
      expect(health.headers.get('content-security-policy')).to.equal("default-src 'none'; frame-ancestors 'none'");
    });
  });

  describe('when the page is not built', () => {
    it('answers 503 JSON UI_NOT_BUILT', async () => {
      const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-share-empty-'));
      try {
        const res = await appFor(path.join(empty, 'missing')).request('/share/');
        expect(res.status).to.equal(503);
        expect(res.headers.get('content-type')).to.match(/application\/json/);
        expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('UI_NOT_BUILT');
      } finally {
        fs.rmSync(empty, { recursive: true, force: true });
      }
    });
  });
});
