import { errorBodySchema } from '../../protocol/wire';
import { PeerRequestError } from '../errors';
import { type HttpAnswer, type HttpRequester, nodeHttpRequester } from './http-requester';

/** A peer's answer, body read in full. */
export interface PeerResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: Uint8Array;
}

/** How `peerRequest` waits out a 429 that says `retry-after`. */
export interface BusyRetry {
  /** Retries after the first attempt; default 3 (so at most 4 requests). */
  retries: number;
  /** Longest wait the client accepts; a `retry-after` beyond it is not waited for (the 429 is thrown). Default 5000 ms. */
  maxWaitMs: number;
  /** Up to this much is added at random to each wait, so that refused clients do not come back together. Default 250 ms. */
  jitterMs: number;
}

/** The default `BusyRetry`: three retries, waits of at most 5 s, up to 250 ms of jitter. */
export const busyRetryDefaults: BusyRetry = { retries: 3, maxWaitMs: 5_000, jitterMs: 250 };

/**
 * Milliseconds a `retry-after` header asks to wait: whole seconds or an HTTP date (past dates give
 * 0); `undefined` when the header is absent or neither.
 *
 * @example
 * retryAfterMs('2', Date.now()); // 2000
 * retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', Date.now()); // 0 (in the past)
 */
export function retryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (/^[0-9]+$/.test(value)) return Number(value) * 1000;
  // An HTTP date names its day and month (`Wed, 21 Oct 2015 07:28:00 GMT`); `Date.parse` alone would take `-1`.
  const at = /[a-z]/i.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const done = () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * One HTTP request to a peer, body read in full (at most `maxBytes`), under a timeout that covers
 * the whole exchange, waits included. Uses the given `request` (by default `node:http` with
 * keep-alive connections). A 2xx answer is returned; anything else throws `PeerRequestError` with
 * the HTTP status and the node's error code (`{ error: { code } }`), or without status and code
 * `NETWORK`, `TIMEOUT` or `BAD_RESPONSE`. When the caller's `signal` aborts, its reason is thrown
 * as is.
 *
 * A 429 with `retry-after` (seconds or an HTTP date) is sent again after that delay plus jitter,
 * up to `busy.retries` times (default `busyRetryDefaults`; `busy: false` never retries); a delay
 * longer than `busy.maxWaitMs`, or than the time left before the timeout, is not waited for. Then
 * the 429 is thrown as any refusal. `headers` may be a function, called before every attempt: a
 * signed request must be signed afresh (new nonce), or the node refuses the retry as a replay.
 *
 * @example
 * const res = await peerRequest({}, { endpoint: 'http://127.0.0.1:7001', method: 'GET', path: '/status', timeoutMs: 3000, maxBytes: 65536 });
 */
export async function peerRequest(
  deps: { request?: HttpRequester; random?: () => number; clock?: () => number },
  params: {
    endpoint: string;
    method: 'GET' | 'PUT' | 'HEAD';
    path: string;
    /** Headers, or a function giving them for each attempt (0 first). */
    headers?: Record<string, string> | ((attempt: number) => Record<string, string> | Promise<Record<string, string>>);
    body?: Uint8Array;
    timeoutMs: number;
    maxBytes: number;
    signal?: AbortSignal;
    busy?: Partial<BusyRetry> | false;
    /**
     * A buffer to read an answer into when its declared length fits (the body is then a view of
     * it; a longer one gets a new buffer). It is the caller's again once the promise settles.
     */
    into?: Uint8Array;
  },
): Promise<PeerResponse> {
  const request = deps.request ?? nodeHttpRequester();
  const random = deps.random ?? Math.random;
  const now = deps.clock ?? Date.now;
  const busy: BusyRetry | undefined = params.busy === false ? undefined : { ...busyRetryDefaults, ...params.busy };
  const base = params.endpoint.replace(/\/+$/, '');
  const fail = (peerCode: string, message: string, status?: number, cause?: unknown) =>
    new PeerRequestError({ endpoint: base, method: params.method, path: params.path, status, peerCode, message }, { cause });
  params.signal?.throwIfAborted();
  const deadline = now() + params.timeoutMs;
  const timeout = AbortSignal.timeout(params.timeoutMs);
  const signal = params.signal ? AbortSignal.any([params.signal, timeout]) : timeout;
  const mapError = (cause: unknown): Error => {
    if (params.signal?.aborted) return params.signal.reason instanceof Error ? params.signal.reason : new Error(String(params.signal.reason));
    if (cause instanceof PeerRequestError) return cause;
    if (timeout.aborted) return fail('TIMEOUT', `no complete answer within ${params.timeoutMs} ms`, undefined, cause);
    return fail('NETWORK', cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause), undefined, cause);
  };
  try {
    for (let attempt = 0; ; attempt++) {
      const headers = typeof params.headers === 'function' ? await params.headers(attempt) : params.headers;
      const res = await request({ url: `${base}${params.path}`, method: params.method, headers, body: params.body, signal });
      const body = await readLimited(
        res,
        params.maxBytes,
        () => fail('BAD_RESPONSE', `answer is larger than ${params.maxBytes} bytes`, res.status),
        (message) => fail('BAD_RESPONSE', message, res.status),
        params.into,
      );
      if (res.status >= 200 && res.status <= 299) return { status: res.status, headers: res.headers, body };
      if (res.status === 429 && busy && attempt < busy.retries) {
        const asked = retryAfterMs(res.headers['retry-after'], now());
        if (asked !== undefined && asked <= busy.maxWaitMs) {
          const delay = asked + random() * busy.jitterMs;
          if (now() + delay < deadline) {
            await wait(delay, signal);
            continue;
          }
        }
      }
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
  } catch (cause) {
    throw mapError(cause);
  }
}

async function readLimited(
  res: HttpAnswer,
  maxBytes: number,
  tooLarge: () => Error,
  badLength: (message: string) => Error,
  given?: Uint8Array,
): Promise<Uint8Array> {
  const declared = Number(res.headers['content-length'] ?? Number.NaN);
  if (declared > maxBytes) {
    res.cancel();
    throw tooLarge();
  }
  // With a declared length (a shard always has one) the body goes straight into one buffer of
  // that size (the caller's when it fits): no list of socket reads kept alive, no second copy by a concat.
  const into =
    Number.isSafeInteger(declared) && declared > 0
      ? given && declared <= given.length
        ? declared === given.length
          ? given
          : given.subarray(0, declared)
        : Buffer.allocUnsafe(declared)
      : undefined;
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const value of res.body) {
    if (total + value.length > maxBytes || (into && total + value.length > into.length)) {
      res.cancel();
      if (total + value.length > maxBytes) throw tooLarge();
      throw badLength(`answer is longer than its content-length of ${declared} bytes`);
    }
    if (into) into.set(value, total);
    else parts.push(value);
    total += value.length;
  }
  if (into) {
    if (total !== into.length) throw badLength(`answer has ${total} bytes but its content-length says ${declared}`);
    return into;
  }
  if (parts.length === 0) return new Uint8Array(0);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
}
