import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { createDaemonApp } from './daemon-app';
import type { DaemonDeps } from './daemon-deps';
import { newSessionToken } from './guards/session-token';
import { createUploadJobs } from './upload-jobs';

/** A running user daemon. */
export interface RunningDaemon {
  /** `http://127.0.0.1:<port>/#session=<token>`: open it in a browser (the token never leaves the fragment). */
  url: string;
  port: number;
  token: string;
  /** Aborts running uploads (their deals are cancelled) and closes the server. */
  stop(): Promise<void>;
}

/**
 * Starts the user daemon on 127.0.0.1 only (`port` 0: an ephemeral port) with a fresh session
 * token, and returns the URL to open.
 *
 * @example
 * const daemon = await startDaemon(deps, { port: 0 });
 * console.log(`open ${daemon.url}`);
 * await daemon.stop();
 */
export async function startDaemon(deps: DaemonDeps, options: { port?: number; pageDir?: string } = {}): Promise<RunningDaemon> {
  const token = newSessionToken();
  const jobs = createUploadJobs(deps);
  let app: Hono | undefined;
  const server = serve({
    fetch: (req, env) => (app ? app.fetch(req, env) : new Response('starting', { status: 503 })),
    hostname: '127.0.0.1',
    port: options.port ?? 0,
  });
  await new Promise<void>((resolve, reject) => {
    if (server.listening) return resolve();
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  app = createDaemonApp(deps, { port, token, jobs, pageDir: options.pageDir });
  return {
    url: `http://127.0.0.1:${port}/#session=${token}`,
    port,
    token,
    async stop() {
      await jobs.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}
