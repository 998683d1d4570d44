import fs from 'node:fs';
import path from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type MiddlewareHandler } from 'hono';
import type { ErrorBody } from '../../protocol/wire';
import type { NodeEnv } from '../env';

/**
 * The share page's own CSP, replacing the node's `default-src 'none'` for its files only: its
 * script and style from this node, `connect-src` any http(s) origin (the holders of a deal are
 * other nodes), Blob URLs for the decrypted file, nothing else; never framed.
 */
export const SHARE_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src http: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Serves the share page (built by `vite build -c ui/vite.config.mts --mode share` into `root`,
 * normally `uiDir('share')`) at `/share/`, with `SHARE_PAGE_CSP`; `/share` redirects to `/share/`.
 * The page opens `<node>/share/#<dhost link>` in any browser (client/share-link.ts
 * `formatWebShareLink`); the fragment never reaches the node. Without a build, 503 JSON
 * `UI_NOT_BUILT`. `index.html` is revalidated on every visit, hashed assets are cached for good.
 *
 * @example
 * app.route('/', sharePageRoutes({ root: uiDir('share') }));
 */
export function sharePageRoutes(deps: { root: string }): Hono<NodeEnv> {
  const app = new Hono<NodeEnv>();
  let files: MiddlewareHandler<NodeEnv> | undefined;
  const built = () => fs.existsSync(path.join(deps.root, 'index.html'));

  app.get('/share', (c) => c.redirect('/share/', 301));
  app.on(['GET', 'HEAD'], '/share/*', async (c, next) => {
    if (!built()) {
      const body: ErrorBody = {
        error: { code: 'UI_NOT_BUILT', message: 'the share page is not built on this node (npx vite build -c ui/vite.config.mts --mode share)' },
      };
      return c.json(body, 503);
    }
    // Only the page's own files get its CSP; anything else falls through to the node's JSON 404.
    if (!isPageFile(deps.root, c.req.path.replace(/^\/share/, ''))) return next();
    // Replaces the CSP the security headers set before (c.header overwrites).
    c.header('content-security-policy', SHARE_PAGE_CSP);
    c.header('cache-control', c.req.path.startsWith('/share/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    files ??= serveStatic<NodeEnv>({ root: deps.root, rewriteRequestPath: (p) => p.replace(/^\/share/, '') || '/' });
    return files(c, next);
  });
  return app;
}

/** True when `rel` (under the page's root, `/`-separated, no `..`) names a file or a folder with an index.html. */
function isPageFile(root: string, rel: string): boolean {
  if (rel.split('/').some((part) => part === '..' || part.includes('\\'))) return false;
  const target = path.join(root, rel);
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (stat?.isDirectory()) return fs.existsSync(path.join(target, 'index.html'));
  return stat?.isFile() === true;
}
