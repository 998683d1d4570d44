import { errorBodySchema } from '../../protocol/wire';
import { PeerRequestError } from '../errors';
import { type HttpAnswer, type HttpRequester, nodeHttpRequester } from './http-requester';

/** A peer's answer, body read in full. */
export interface PeerResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: Uint8Array;
}

/**
 * One HTTP request to a peer, body read in full (at most `maxBytes`), under a timeout that covers
 * the whole exchange. Uses the given `request` (by default `node:http` with keep-alive connections).
 * A 2xx answer is returned; anything else throws `PeerRequestError` with the HTTP status and the
 * node's error code (`{ error: { code } }`), or without status and code `NETWORK`, `TIMEOUT` or
 * `BAD_RESPONSE`. When the caller's `signal` aborts, its reason is thrown as is.
 *
 * @example
 * const res = await peerRequest({}, { endpoint: 'http://127.0.0.1:7001', method: 'GET', path: '/status', timeoutMs: 3000, maxBytes: 65536 });
 */
export async function peerRequest(
  deps: { request?: HttpRequester },
  params: {
    endpoint: string;
    method: 'GET' | 'PUT' | 'HEAD';
    path: string;
    headers?: Record<string, string>;
    body?: Uint8Array;
    timeoutMs: number;
    maxBytes: number;
    signal?: AbortSignal;
  },
): Promise<PeerResponse> {
  const request = deps.request ?? nodeHttpRequester();
  const base = params.endpoint.replace(/\/+$/, '');
  const fail = (peerCode: string, message: string, status?: number, cause?: unknown) =>
    new PeerRequestError({ endpoint: base, method: params.method, path: params.path, status, peerCode, message }, { cause });
  params.signal?.throwIfAborted();
  const timeout = AbortSignal.timeout(params.timeoutMs);
  const signal = params.signal ? AbortSignal.any([params.signal, timeout]) : timeout;
  const mapError = (cause: unknown): Error => {
    if (params.signal?.aborted) return params.signal.reason instanceof Error ? params.signal.reason : new Error(String(params.signal.reason));
    if (cause instanceof PeerRequestError) return cause;
    if (timeout.aborted) return fail('TIMEOUT', `no complete answer within ${params.timeoutMs} ms`, undefined, cause);
    return fail('NETWORK', cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause), undefined, cause);
  };
  try {
    const res = await request({ url: `${base}${params.path}`, method: params.method, headers: params.headers, body: params.body, signal });
    const body = await readLimited(res, params.maxBytes, () => fail('BAD_RESPONSE', `answer is larger than ${params.maxBytes} bytes`, res.status));
    if (res.status < 200 || res.status > 299) {
      let code = `HTTP_${res.status}`;
      let message = res.statusText || 'request refused';
      try {
        const parsed = errorBodySchema.safeParse(JSON.parse(Buffer.from(body).toString('utf8')));
        if (parsed.success) {
          code = parsed.data.error.code;
          message = parsed.data.error.message;
        }
      } catch {
        // not a JSON error body: keep the HTTP status as the code
      }
      throw fail(code, message, res.status);
    }
    return { status: res.status, headers: res.headers, body };
  } catch (cause) {
    throw mapError(cause);
  }
}

async function readLimited(res: HttpAnswer, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array> {
  const declared = Number(res.headers['content-length'] ?? Number.NaN);
  if (declared > maxBytes) {
    res.cancel();
    throw tooLarge();
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const value of res.body) {
    total += value.length;
    if (total > maxBytes) {
      res.cancel();
      throw tooLarge();
    }
    parts.push(value);
  }
  if (parts.length === 0) return new Uint8Array(0);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
}
