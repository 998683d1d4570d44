import http from 'node:http';
import https from 'node:https';

/** One HTTP exchange as the transport sees it: the answer's status, headers and body stream. */
export interface HttpAnswer {
  status: number;
  statusText: string;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  body: AsyncIterable<Uint8Array>;
  /** Stops reading the body and frees the connection. */
  cancel(): void;
}

/** What the transport needs from HTTP: send a request, get an answer (body streamed). */
export type HttpRequester = (req: {
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  signal?: AbortSignal;
}) => Promise<HttpAnswer>;

/**
 * An `HttpRequester` on `node:http`/`node:https`. Request bodies are written as they are (no copy,
 * unlike `fetch`, which clones every body), and connections are kept alive by Node's global agents
 * (keep-alive by default since Node 19) unless `agents` are given.
 *
 * @example
 * const request = nodeHttpRequester();
 * const answer = await request({ url: 'http://127.0.0.1:7001/status', method: 'GET' });
 */
export function nodeHttpRequester(options: { agents?: { http?: http.Agent; https?: https.Agent } } = {}): HttpRequester {
  return (req) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const url = new URL(req.url);
      const secure = url.protocol === 'https:';
      const headers: Record<string, string | number> = { ...req.headers };
      if (req.body) headers['content-length'] = req.body.length;
      const send = secure ? https.request : http.request;
      const outgoing = send(url, { method: req.method, headers, agent: secure ? options.agents?.https : options.agents?.http, signal: req.signal }, (res) => {
        const flat: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(res.headers)) flat[name] = Array.isArray(value) ? value.join(', ') : value;
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers: flat,
          body: res,
          cancel: () => res.destroy(),
        });
      });
      outgoing.on('error', reject);
      outgoing.end(req.body);
    });
}

/**
 * An `HttpRequester` on a WHATWG `fetch` (for runtimes without `node:http`, or a test that wraps
 * fetch).
 *
 * @example
 * const request = fetchRequester(globalThis.fetch);
 */
export function fetchRequester(doFetch: typeof fetch): HttpRequester {
  return async (req) => {
    const res = await doFetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body as NonNullable<Parameters<typeof fetch>[1]>['body'],
      signal: req.signal,
    });
    const headers: Record<string, string | undefined> = {};
    res.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const stream = res.body;
    return {
      status: res.status,
      statusText: res.statusText,
      headers,
      body: stream ? (stream as unknown as AsyncIterable<Uint8Array>) : (async function* () {})(),
      cancel: () => void stream?.cancel().catch(() => {}),
    };
  };
}
