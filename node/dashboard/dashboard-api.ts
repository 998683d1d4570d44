import { type Env, Hono, type MiddlewareHandler } from 'hono';
import type { ClaimJson, DashboardJson } from './dashboard-json';

/**
 * The operator dashboard's typed JSON routes, behind `guard`:
 * - `GET /operator/dashboard` answers `figures()`;
 * - `POST /operator/claim` answers `claim()`.
 * Kept free of Node-only imports (it imports Hono and types only) so that the browser page can
 * derive its client from it with `hc<DashboardApi>`; `dashboardRoutes` supplies the real parts.
 *
 * @example
 * const api = dashboardApi({ guard, figures: async () => figures, claim: async () => ({ claimed: [], total: '0', failed: [] }) });
 */
export function dashboardApi<E extends Env>(deps: { guard: MiddlewareHandler<E>; figures: () => Promise<DashboardJson>; claim: () => Promise<ClaimJson> }) {
  return new Hono<E>()
    .get('/operator/dashboard', deps.guard, async (c) => c.json(await deps.figures(), 200))
    .post('/operator/claim', deps.guard, async (c) => c.json(await deps.claim(), 200));
}

/**
 * The dashboard's routes as Hono's RPC client sees them.
 *
 * @example
 * const api = hc<DashboardApi>(location.origin, { headers: { authorization: `Bearer ${key}` } });
 * const figures = await (await api.operator.dashboard.$get()).json();
 */
export type DashboardApi = ReturnType<typeof dashboardApi<Env>>;
