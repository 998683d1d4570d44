/** Answers counted per route template, method and HTTP status (bounded: route templates, not raw paths). */
export interface RequestCounts {
  /** Counts one answer. */
  record(params: { method: string; path: string; status: number }): void;
  /** Every counter, sorted by route, method and status. */
  snapshot(): { route: string; method: string; status: number; count: number }[];
}

const ROUTES: [RegExp, string][] = [
  [/^\/slots\/[^/]+\/shards\/[^/]+$/, '/slots/:slotId/shards/:index'],
  [/^\/slots\/[^/]+\/commit$/, '/slots/:slotId/commit'],
  [/^\/slots\/[^/]+$/, '/slots/:slotId'],
  [/^\/files\/[^/]+$/, '/files/:fileId'],
  [/^\/(status|health|operator\/(slots|status|config|metrics))$/, ''],
];
const METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH']);

/**
 * The route template a path is counted under: the node's own routes by template (ids replaced by
 * `:slotId`, `:index`, `:fileId`), anything else as `other`, so a scanner cannot grow the counters
 * without bound.
 *
 * @example
 * routeLabel('/slots/0xab…/shards/3'); // '/slots/:slotId/shards/:index'
 */
export function routeLabel(path: string): string {
  for (const [pattern, label] of ROUTES) if (pattern.test(path)) return label || path;
  return 'other';
}

/**
 * In-memory request counters (reset when the node restarts), for `/operator/metrics`.
 *
 * @example
 * const counts = createRequestCounts();
 * counts.record({ method: 'GET', path: '/status', status: 200 });
 */
export function createRequestCounts(): RequestCounts {
  const counts = new Map<string, { route: string; method: string; status: number; count: number }>();
  return {
    record: ({ method, path, status }) => {
      const route = routeLabel(path);
      const m = METHODS.has(method.toUpperCase()) ? method.toUpperCase() : 'OTHER';
      const key = `${route} ${m} ${status}`;
      const entry = counts.get(key);
      if (entry) entry.count++;
      else counts.set(key, { route, method: m, status, count: 1 });
    },
    snapshot: () =>
      [...counts.values()].map((e) => ({ ...e })).sort((a, b) => a.route.localeCompare(b.route) || a.method.localeCompare(b.method) || a.status - b.status),
  };
}

/**
 * Wraps a fetch handler (the node app's `fetch`) to count every answer, refusals by the rate
 * limiters and the upload cap included; a handler that throws is counted as 500.
 *
 * @example
 * const fetch = countRequests(app.fetch, counts);
 * serve({ fetch, port: 7001 });
 */
export function countRequests<A extends unknown[]>(
  fetch: (req: Request, ...rest: A) => Response | Promise<Response>,
  counts: Pick<RequestCounts, 'record'>,
): (req: Request, ...rest: A) => Promise<Response> {
  return async (req, ...rest) => {
    const path = new URL(req.url).pathname;
    try {
      const res = await fetch(req, ...rest);
      counts.record({ method: req.method, path, status: res.status });
      return res;
    } catch (error) {
      counts.record({ method: req.method, path, status: 500 });
      throw error;
    }
  };
}
