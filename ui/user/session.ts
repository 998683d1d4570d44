import { hc } from 'hono/client';
import type { DaemonApi } from './daemon-api';

const KEY = 'dhost-session';

/**
 * The session token: from the URL fragment the daemon printed (`#session=…`, never sent in a
 * request line), kept in this tab's sessionStorage, and removed from the address bar at once.
 */
export function readSessionToken(): string | undefined {
  const match = /(?:^#|&)session=([A-Za-z0-9_-]{20,100})/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(KEY, match[1]);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(KEY) ?? undefined;
}

/** The daemon's typed client (Hono RPC) with the session header. */
export function daemonClient(token: string) {
  return hc<DaemonApi>(location.origin, { headers: { 'x-dhost-session': token } });
}

/** The typed client's type. */
export type DaemonClient = ReturnType<typeof daemonClient>;

/** A failed answer as a readable sentence. */
export async function failure(res: Response): Promise<Error> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    return new Error(`${body.error?.message ?? res.statusText} (${body.error?.code ?? res.status})`);
  } catch {
    return new Error(`the daemon answered ${res.status}`);
  }
}
