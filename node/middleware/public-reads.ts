/*
 * Which requests are public reads: the only ones a web page on another origin may make. Shards need
 * a retrieval token (a signed URL works from any page, as the token is the authority, not the
 * origin); `/files/:id`, `/slots/:id/commit`, `/deals/:id/holders`, `/status` and `/health` reveal nothing a holder of the
 * handle could not learn from the chain, so any origin may read them; everything else (writes,
 * operator routes) stays same-origin.
 */

const SHARD_PATH = /^\/slots\/[^/]+\/shards\/[^/]+$/;
const PUBLIC_PATHS = [SHARD_PATH, /^\/slots\/[^/]+\/commit$/, /^\/files\/[^/]+$/, /^\/deals\/[^/]+\/holders$/, /^\/status$/, /^\/health$/];

const isRead = (method: string) => method === 'GET' || method === 'HEAD';

/**
 * True for a GET or HEAD of a shard, `/files/:id`, `/slots/:id/commit`, `/deals/:id/holders`, `/status` or `/health`.
 *
 * @example
 * isPublicRead('GET', '/status'); // true
 * isPublicRead('PUT', '/slots/0x…/shards/0'); // false
 */
export function isPublicRead(method: string, path: string): boolean {
  return isRead(method.toUpperCase()) && PUBLIC_PATHS.some((p) => p.test(path));
}

/**
 * True for a GET or HEAD of a shard (`/slots/:slotId/shards/:index`).
 *
 * @example
 * isShardRead('HEAD', '/slots/0x…/shards/manifest'); // true
 */
export function isShardRead(method: string, path: string): boolean {
  return isRead(method.toUpperCase()) && SHARD_PATH.test(path);
}
