import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/**
 * A request's body as bytes, and the signal that says the client hung up (when the body alone
 * may not).
 *
 * Served by @hono/node-server, the body is Node's own request stream: its chunks arrive as the
 * socket read them, where the web `Request.body` copies every chunk into a new buffer on the way
 * (`Readable.toWeb`): twice the memory in flight and a copy per 64 KiB. A client that hangs up makes
 * that stream fail, so no signal is needed. An early stop (a refused body) leaves the request
 * open, so that the refusal still reaches the client. Touching `c.req.raw.signal` or `.body`
 * would make the web stream, which reads the same socket: once one exists, or under
 * `app.request()` (no Node request), the web body and its signal are used.
 *
 * @example
 * const { body, signal } = requestBody(c);
 * await store.receive({ body, signal, maxBytes });
 */
export function requestBody(c: Context): { body: AsyncIterable<Uint8Array> | null; signal?: AbortSignal } {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  // @hono/node-server keeps the web request, once made, under a symbol named `requestCache`.
  const webRequestMade = Object.getOwnPropertySymbols(c.req.raw).some((s) => s.description === 'requestCache');
  if (incoming && typeof incoming.iterator === 'function' && !webRequestMade && !incoming.readableDidRead && incoming.listenerCount('data') === 0) {
    return { body: incoming.iterator({ destroyOnReturn: false }) };
  }
  return { body: c.req.raw.body, signal: c.req.raw.signal };
}
