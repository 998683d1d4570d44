import { Hono } from 'hono';
import type { Manifest } from '../../manifest';
import type { DaemonDeps } from '../daemon-deps';
import { listFiles } from '../list-files';

/**
 * `GET /files`: the user's files (`listFiles`): name, size, redundancy, health, expiry with a
 * warning, cost.
 *
 * @example
 * new Hono().route('/api', filesRoute(deps, new Map()));
 */
export function filesRoute(deps: DaemonDeps, manifests: Map<string, Manifest>) {
  return new Hono().get('/files', async (c) => c.json({ files: await listFiles(deps, { manifests, signal: c.req.raw.signal }) }));
}
