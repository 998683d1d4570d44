import { Hono } from 'hono';
import type { NodeEnv } from '../env';

/**
 * `GET /health`: `{ ok: true }` while the process serves HTTP (for load balancers and the devnet).
 *
 * @example
 * app.route('/', healthRoutes());
 */
export function healthRoutes(): Hono<NodeEnv> {
  const app = new Hono<NodeEnv>();
  app.get('/health', (c) => c.json({ ok: true }));
  return app;
}
