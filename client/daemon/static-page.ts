import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Handler } from 'hono';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/**
 * Serves the built page from `root` (`dist/ui/user`): a file below it, or `index.html` for `/`
 * and any path without a file. Nothing outside `root` is reachable (`..` is resolved first). When
 * the page was never built, a short text says how to build it.
 *
 * @example
 * app.get('*', staticPage({ root: uiDir('user') }));
 */
export function staticPage(options: { root: string }): Handler {
  const root = path.resolve(options.root);
  return async function staticPageHandler(c) {
    const wanted = path.resolve(root, `.${decodeURIComponent(c.req.path)}`);
    let file = wanted.startsWith(`${root}${path.sep}`) ? wanted : path.join(root, 'index.html');
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) file = path.join(root, 'index.html');
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      return c.text('the dashboard page is not built: npx vite build -c ui/vite.config.mts --mode user', 503);
    }
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    const immutable = file.includes(`${path.sep}assets${path.sep}`);
    return c.body(new Uint8Array(bytes), 200, { 'content-type': type, 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' });
  };
}
