import { Hono } from 'hono';
import { uiDir } from '../../protocol/package-root';
import type { Manifest } from '../manifest';
import type { DaemonDeps } from './daemon-deps';
import { DaemonError } from './daemon-error';
import { daemonErrorHandler } from './error-handler';
import { hostCheck } from './guards/host-check';
import { originCheck } from './guards/origin-check';
import { securityHeaders } from './guards/security-headers';
import { sessionToken } from './guards/session-token';
import { accountRoute } from './routes/account';
import { cancelFileRoute } from './routes/cancel-file';
import { extendFileRoute } from './routes/extend-file';
import { fileContentRoute } from './routes/file-content';
import { filesRoute } from './routes/files';
import { peersRoute } from './routes/peers';
import { quoteRoute } from './routes/quote';
import { shareFileRoute } from './routes/share-file';
import { uploadsRoute } from './routes/uploads';
import { staticPage } from './static-page';
import { createUploadJobs, type UploadJobs } from './upload-jobs';

/** How the daemon app is set up. */
export interface DaemonAppOptions {
  /** The port it listens on: only `127.0.0.1:<port>` and `localhost:<port>` are answered. */
  port: number;
  /** The session token every `/api` request must carry in `x-dhost-session`. */
  token: string;
  /** Where the built page is. Default `uiDir('user')` (dist/ui/user). */
  pageDir?: string;
  /** The uploads registry. Default: a new one over `deps`. */
  jobs?: UploadJobs;
}

/** The API routes, under `/api` (what the page's typed client is built from). */
function apiRoutes(deps: DaemonDeps, jobs: UploadJobs, manifests: Map<string, Manifest>) {
  return new Hono()
    .basePath('/api')
    .route('/', accountRoute(deps))
    .route('/', quoteRoute(deps))
    .route('/', uploadsRoute(deps, jobs))
    .route('/', filesRoute(deps, manifests))
    .route('/', fileContentRoute(deps))
    .route('/', shareFileRoute(deps))
    .route('/', extendFileRoute(deps))
    .route('/', cancelFileRoute(deps))
    .route('/', peersRoute(deps));
}

/** The daemon's API as Hono's RPC client (`hc<DaemonApi>`) sees it. */
export type DaemonApi = ReturnType<typeof apiRoutes>;

/**
 * The user daemon's HTTP app: the dashboard page at `/` and the JSON API under `/api` (account,
 * quote, uploads with progress, files with health and expiry, download, share, extend, cancel,
 * peers), all through the SDK with the user's keys, which never leave this process. No web page
 * can drive it: it answers only its own Host (`HOST_REFUSED`), refuses other origins and every
 * preflight (`ORIGIN_REFUSED`) and never sends a CORS header, and every `/api` request needs the
 * session token (`SESSION_REQUIRED`). Security headers (CSP `default-src 'self'`, no framing,
 * nosniff) on every answer; one JSON error path.
 *
 * @example
 * const app = createDaemonApp(deps, { port: 4848, token: newSessionToken() });
 * const res = await app.request('http://127.0.0.1:4848/api/account', { headers: { 'x-dhost-session': token } });
 */
export function createDaemonApp(deps: DaemonDeps, options: DaemonAppOptions) {
  const jobs = options.jobs ?? createUploadJobs(deps);
  const app = new Hono();
  app.onError(daemonErrorHandler({ log: deps.log ?? ((line) => console.error(line)) }));
  app.use('*', securityHeaders(), hostCheck({ port: options.port }), originCheck({ port: options.port }));
  app.use('/api/*', sessionToken({ token: options.token }));
  app.route('/', apiRoutes(deps, jobs, new Map()));
  app.all('/api/*', () => {
    throw new DaemonError('NOT_FOUND', 'no such API route');
  });
  app.get('*', staticPage({ root: options.pageDir ?? uiDir('user') }));
  app.notFound(() => {
    throw new DaemonError('NOT_FOUND', 'not found');
  });
  return app;
}
