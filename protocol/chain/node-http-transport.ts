import http from 'node:http';
import https from 'node:https';
import { custom, HttpRequestError, RpcRequestError, stringify, TimeoutError, type Transport } from 'viem';
import { InvalidInputError } from '../errors';

/** Largest JSON-RPC answer read, as viem's own HTTP transport allows: 10 MiB. */
export const MAX_RPC_RESPONSE_BYTES = 10 * 1024 * 1024;

/** Options of `nodeHttpTransport`. */
export interface NodeHttpTransportOptions {
  /** Per request, connecting and reading included. Default 10 s. */
  timeoutMs?: number;
  /** Retries of a failed request (viem's rules: network errors, 5xx, 429, internal RPC errors). Default 1. */
  retryCount?: number;
  /** Default `MAX_RPC_RESPONSE_BYTES`. */
  maxResponseBytes?: number;
  /** Connections (default Node's global agents, which keep connections alive). */
  agents?: { http?: http.Agent; https?: https.Agent };
}

/**
 * A viem transport for any standard JSON-RPC endpoint over `http:` or `https:`, sent with
 * `node:http` on kept-alive connections. It answers exactly as viem's `http()` transport does
 * (`RpcRequestError` with the node's code and data, so reverts decode to their custom errors;
 * `HttpRequestError` for a refused or broken exchange; `TimeoutError`), but never loads the
 * `fetch` implementation (undici), which costs a long-running process about 6.5 MiB of memory.
 * Credentials in the URL (`https://user:key@host/…`) are sent as basic authentication.
 *
 * @example
 * const publicClient = createPublicClient({ transport: nodeHttpTransport('http://127.0.0.1:8545') });
 * await publicClient.getChainId();
 */
export function nodeHttpTransport(url: string, options: NodeHttpTransportOptions = {}): Transport {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') {
    throw new InvalidInputError(`an RPC URL must be http: or https:, not ${target.protocol}`, { details: { protocol: target.protocol } });
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (target.username || target.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  const endpoint = target.toString();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxResponseBytes ?? MAX_RPC_RESPONSE_BYTES;
  let id = 0;

  const exchange = (body: string) =>
    new Promise<{ status: number; statusText: string; text: string }>((resolve, reject) => {
      const send = secure ? https.request : http.request;
      const outgoing = send(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
          agent: secure ? options.agents?.https : options.agents?.http,
          signal: AbortSignal.timeout(timeoutMs),
        },
        (res) => {
          const parts: Buffer[] = [];
          let total = 0;
          res.on('data', (part: Buffer) => {
            total += part.length;
            if (total > maxBytes) {
              res.destroy(new Error(`the answer is larger than ${maxBytes} bytes`));
              return;
            }
            parts.push(part);
          });
          res.on('error', reject);
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', text: Buffer.concat(parts, total).toString('utf8') }),
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  return custom(
    {
      async request({ method, params }: { method: string; params?: unknown }) {
        const call = { jsonrpc: '2.0', id: ++id, method, params };
        const body = stringify(call);
        let answer: Awaited<ReturnType<typeof exchange>>;
        try {
          answer = await exchange(body);
        } catch (cause) {
          if (cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError')) throw new TimeoutError({ body: call, url: endpoint });
          throw new HttpRequestError({ body: call, url: endpoint, details: cause instanceof Error ? cause.message : String(cause), cause: cause as Error });
        }
        let data: { result?: unknown; error?: { code: number; message: string; data?: unknown } } | undefined;
        try {
          data = JSON.parse(answer.text || '{}');
        } catch {
          data = undefined;
        }
        const rpcError = data && typeof data === 'object' && data.error && typeof data.error === 'object' && 'code' in data.error ? data.error : undefined;
        if (rpcError) throw new RpcRequestError({ body: call, error: rpcError, url: endpoint, status: answer.status });
        if (answer.status < 200 || answer.status > 299 || !data || typeof data !== 'object' || !('result' in data)) {
          throw new HttpRequestError({ body: call, url: endpoint, status: answer.status, details: answer.text.slice(0, 500) || answer.statusText });
        }
        return data.result;
      },
    },
    { key: 'http', name: 'HTTP JSON-RPC (node:http)', retryCount: options.retryCount ?? 1 },
  );
}
