import type { LocalAccount } from 'viem';
import type { z } from 'zod';
import { defaults } from '../../protocol/config';
import { signRequest } from '../../protocol/signing';
import { PeerRequestError } from '../errors';
import type { HttpRequester } from './http-requester';
import type { PeerTarget } from './put-shard';
import { peerRequest } from './request';

/**
 * One signed `PUT` to a peer whose answer is JSON of `schema`: signed for that node and chain with a
 * fresh nonce per request sent (a 429 with `retry-after` is waited out by `peerRequest` and signed
 * again), retried `retries` times (1 by default) on a transient failure (no answer, timeout, 5xx
 * other than 507), never on a refusal. An answer that is not `schema` is a
 * `PeerRequestError` `BAD_RESPONSE` naming `what`. Returns the parsed answer and the HTTP status.
 *
 * @example
 * const { answer, status } = await signedPut({ account, chainId }, { peer, path, body, contentSha256, contentType: 'application/json', schema, what: 'a commit receipt' });
 */
export async function signedPut<S extends z.ZodType>(
  deps: { account: Pick<LocalAccount, 'signMessage' | 'address'>; chainId: number; request?: HttpRequester },
  params: {
    peer: PeerTarget;
    path: string;
    body: Uint8Array;
    contentSha256: string;
    contentType: string;
    schema: S;
    what: string;
    headers?: Record<string, string>;
    retries?: number;
    timeoutMs?: number;
    signal?: AbortSignal;
  },
): Promise<{ answer: z.infer<S>; status: number }> {
  const retries = params.retries ?? 1;
  // Signed afresh for every request sent, the 429 retries inside `peerRequest` included: the node
  // remembers every nonce it verified, so a re-sent signature would be refused as a replay.
  const sign = async () => ({
    ...params.headers,
    ...(await signRequest(
      { account: deps.account },
      { method: 'PUT', pathAndQuery: params.path, contentSha256: params.contentSha256, node: params.peer.operator, chainId: deps.chainId },
    )),
    'content-type': params.contentType,
  });
  for (let attempt = 0; ; attempt += 1) {
    try {
      const res = await peerRequest(
        { request: deps.request },
        {
          endpoint: params.peer.endpoint,
          method: 'PUT',
          path: params.path,
          headers: sign,
          body: params.body,
          timeoutMs: params.timeoutMs ?? defaults.requestTimeoutMs,
          maxBytes: 64 * 1024,
          signal: params.signal,
        },
      );
      let parsed: z.ZodSafeParseResult<z.infer<S>> | undefined;
      try {
        parsed = params.schema.safeParse(JSON.parse(Buffer.from(res.body).toString('utf8')));
      } catch {
        // not JSON: handled below
      }
      if (!parsed?.success) {
        throw new PeerRequestError({
          endpoint: params.peer.endpoint,
          method: 'PUT',
          path: params.path,
          status: res.status,
          peerCode: 'BAD_RESPONSE',
          message: `answer is not ${params.what}`,
        });
      }
      return { answer: parsed.data, status: res.status };
    } catch (err) {
      if (err instanceof PeerRequestError && err.transient && attempt < retries) continue;
      throw err;
    }
  }
}
