import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A server listening on an ephemeral loopback port. */
export interface LocalServer {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Drops every connection, kept-alive ones included, and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts `server` on 127.0.0.1 at a free port, for tests that need a real HTTP peer.
 *
 * @example
 * const local = await listenLocal(http.createServer((req, res) => res.end('ok')));
 * await fetch(local.url);
 * await local.close();
 */
export async function listenLocal(server: http.Server): Promise<LocalServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
