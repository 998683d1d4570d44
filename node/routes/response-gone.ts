import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';

/**
 * A signal that aborts when the client goes away before its response was written to the end, or
 * `undefined` when the app is not served by @hono/node-server (`app.request()`).
 *
 * A response body that holds something (an open file) must let go of it then. @hono/node-server
 * cancels a streamed body when the connection closes while it writes it, but not when the
 * connection was already closed before it began (a hedged download request that the client
 * cancelled while the node opened the file): that body would never be read nor cancelled. Reads
 * Node's own response (`c.env.outgoing`), so no web `Request` is made.
 *
 * @example
 * return c.body(fileBody(handle, { size, pieceBytes, signal: responseGone(c) }), 200, headers);
 */
export function responseGone(c: Context): AbortSignal | undefined {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (!outgoing || typeof outgoing.once !== 'function') return undefined;
  const gone = new AbortController();
  const reason = () => new Error('the client went away before the response was written');
  if (outgoing.destroyed && !outgoing.writableFinished) gone.abort(reason());
  else
    outgoing.once('close', () => {
      if (!outgoing.writableFinished) gone.abort(reason());
    });
  return gone.signal;
}
