import http from 'node:http';
import { expect } from 'chai';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { PeerRequestError } from '../../../client/errors';
import { putShard } from '../../../client/transport/put-shard';
import { peerRequest, retryAfterMs } from '../../../client/transport/request';
import { randomFileId, slotIdOf } from '../../../protocol/ids';
import { parseSignedHeaders, verifyRequest } from '../../../protocol/signing';
import { listenLocal } from '../../../scripts/testkit/local-server';

type Answer = { status: number; body?: unknown; retryAfter?: string };

/** A throwaway server that answers from a script (the last answer forever) and remembers what it was sent. */
async function scriptedServer(script: Answer[]) {
  const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer }> = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(parts) });
      const answer = script.length > 1 ? (script.shift() as Answer) : script[0];
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.retryAfter !== undefined ? { 'retry-after': answer.retryAfter } : {}) });
      res.end(JSON.stringify(answer.body ?? {}));
    });
  });
  const local = await listenLocal(server);
  return { endpoint: local.url, seen, close: local.close };
}

const busy = (retryAfter?: string): Answer => ({ status: 429, retryAfter, body: { error: { code: 'RATE_LIMITED', message: 'slow down' } } });
const ok: Answer = { status: 200, body: { ok: true } };

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('transport/request: waiting out 429', () => {
  let server: Awaited<ReturnType<typeof scriptedServer>> | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const get = (deps: Parameters<typeof peerRequest>[0] = {}, over: Partial<Parameters<typeof peerRequest>[1]> = {}) =>
    peerRequest({ random: () => 0, ...deps }, { endpoint: server!.endpoint, method: 'GET', path: '/status', timeoutMs: 10_000, maxBytes: 1024, ...over });

  describe('when the node asks to retry after 0 s and then answers', () => {
    it('retries and returns the answer', async () => {
      server = await scriptedServer([busy('0'), busy('0'), ok]);
      const res = await get();
      expect(res.status).to.equal(200);
      expect(server.seen).to.have.length(3);
    });

    it('accepts an HTTP date (in the past: no wait)', async () => {
      server = await scriptedServer([busy(new Date(Date.now() - 60_000).toUTCString()), ok]);
      expect((await get()).status).to.equal(200);
      expect(server.seen).to.have.length(2);
    });

    it('sends the same body again with a PUT', async () => {
      server = await scriptedServer([busy('0'), ok]);
      const body = new Uint8Array([9, 8, 7, 6, 5]);
      await get({}, { method: 'PUT', path: '/x', body });
      expect(server.seen.map((s) => [s.method, s.body.toString('hex')])).to.deep.equal([
        ['PUT', '0908070605'],
        ['PUT', '0908070605'],
      ]);
    });

    it('asks a header function for each attempt', async () => {
      server = await scriptedServer([busy('0'), busy('0'), ok]);
      const asked: number[] = [];
      await get(
        {},
        {
          headers: (attempt) => {
            asked.push(attempt);
            return { 'x-attempt': String(attempt) };
          },
        },
      );
      expect(asked).to.deep.equal([0, 1, 2]);
      expect(server.seen.map((s) => s.headers['x-attempt'])).to.deep.equal(['0', '1', '2']);
    });
  });

  describe('when the node stays busy', () => {
    it('throws the 429 as PeerRequestError after exactly 1 + 3 attempts', async () => {
      server = await scriptedServer([busy('0')]);
      const err = await rejection(get());
      expect(err).to.be.instanceOf(PeerRequestError);
      expect((err as PeerRequestError).status).to.equal(429);
      expect((err as PeerRequestError).peerCode).to.equal('RATE_LIMITED');
      expect(server.seen).to.have.length(4);
    });

    it('honours a smaller number of retries, and none with busy: false', async () => {
      server = await scriptedServer([busy('0')]);
      expect(((await rejection(get({}, { busy: { retries: 1 } }))) as PeerRequestError).status).to.equal(429);
      expect(server.seen).to.have.length(2);
      server.seen.length = 0;
      expect(((await rejection(get({}, { busy: false }))) as PeerRequestError).status).to.equal(429);
      expect(server.seen).to.have.length(1);
    });

    it('does not wait for a retry-after longer than the longest wait, or without retry-after', async () => {
      for (const answer of [busy('60'), busy(), busy('soon')]) {
        await server?.close();
        server = await scriptedServer([answer, ok]);
        const err = await rejection(get());
        expect((err as PeerRequestError).status).to.equal(429);
        expect(server.seen).to.have.length(1);
      }
    });

    it('does not wait past its timeout', async () => {
      server = await scriptedServer([busy('2'), ok]);
      const err = await rejection(get({}, { timeoutMs: 1_000 }));
      expect((err as PeerRequestError).status).to.equal(429);
      expect(server.seen).to.have.length(1);
    });
  });

  describe('when the caller aborts during the wait', () => {
    it('throws the abort reason and sends nothing more', async () => {
      server = await scriptedServer([busy('1'), ok]);
      const controller = new AbortController();
      const reason = new Error('user gave up');
      // The jitter is drawn just before the wait: abort there, so the abort lands in the wait.
      const err = await rejection(
        get(
          {
            random: () => {
              controller.abort(reason);
              return 0;
            },
          },
          { signal: controller.signal },
        ),
      );
      expect(err).to.equal(reason);
      expect(server.seen).to.have.length(1);
    });
  });

  describe('a signed PUT', () => {
    it('is signed afresh (new nonce) for the retry, and both signatures verify', async () => {
      const account = privateKeyToAccount(generatePrivateKey());
      const node = privateKeyToAccount(generatePrivateKey()).address;
      const fileId = randomFileId();
      server = await scriptedServer([
        busy('0'),
        {
          status: 201,
          body: { slotId: slotIdOf(fileId, 0), index: 0, size: 3, sha256: '039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81', created: true },
        },
      ]);
      const result = await putShard(
        { account, chainId: 31337 },
        { peer: { operator: node, endpoint: server.endpoint }, fileId, column: 0, index: 0, body: new Uint8Array([1, 2, 3]) },
      );
      expect(result.created).to.equal(true);
      expect(server.seen).to.have.length(2);
      const nonces = new Set<string>();
      for (const req of server.seen) {
        const signed = parseSignedHeaders((name) => req.headers[name] as string | undefined);
        nonces.add(signed.nonce);
        const signer = await verifyRequest({ now: Date.now }, { signed, method: 'PUT', pathAndQuery: req.url, node, chainId: 31337, maxSkewSeconds: 300 });
        expect(signer).to.equal(account.address);
      }
      expect(nonces.size).to.equal(2);
    });
  });

  describe('retryAfterMs', () => {
    it('reads seconds and HTTP dates, and nothing else', () => {
      const now = Date.parse('2026-01-01T00:00:00Z');
      expect(retryAfterMs('3', now)).to.equal(3000);
      expect(retryAfterMs(' 0 ', now)).to.equal(0);
      expect(retryAfterMs(new Date(now + 4_000).toUTCString(), now)).to.equal(4000);
      expect(retryAfterMs(new Date(now - 4_000).toUTCString(), now)).to.equal(0);
      expect(retryAfterMs(undefined, now)).to.equal(undefined);
      expect(retryAfterMs('-1', now)).to.equal(undefined);
    });
  });
});

describe('transport/request: reading an answer body', () => {
  /** A requester that answers 200 with `chunks` as the body and `contentLength` as its header. */
  const answering = (chunks: Uint8Array[], contentLength?: number) => {
    let cancelled = false;
    const request = async () => ({
      status: 200,
      statusText: 'OK',
      headers: contentLength === undefined ? {} : { 'content-length': String(contentLength) },
      body: (async function* () {
        yield* chunks;
      })(),
      cancel: () => {
        cancelled = true;
      },
    });
    return { request, cancelled: () => cancelled };
  };
  const read = (request: ReturnType<typeof answering>['request'], maxBytes = 2 << 20) =>
    peerRequest({ request }, { endpoint: 'http://127.0.0.1:1', method: 'GET', path: '/x', timeoutMs: 10_000, maxBytes });
  const pieces = Array.from({ length: 20 }, (_, i) => new Uint8Array(65_536).fill(i));
  const whole = Buffer.concat(pieces);

  it('puts a body with a content-length together byte for byte from many socket reads', async () => {
    const { body } = await read(answering(pieces, whole.length).request);
    expect(Buffer.from(body).equals(whole)).to.equal(true);
  });

  it('puts a body without a content-length together too', async () => {
    const { body } = await read(answering(pieces).request);
    expect(Buffer.from(body).equals(whole)).to.equal(true);
  });

  it('refuses a body longer than its content-length, and stops reading it', async () => {
    const answer = answering(pieces, whole.length - 1);
    const err = await rejection(read(answer.request));
    expect(err).to.be.instanceOf(PeerRequestError);
    expect((err as PeerRequestError).details).to.include({ peerCode: 'BAD_RESPONSE' });
    expect((err as Error).message).to.match(/longer than its content-length/);
    expect(answer.cancelled()).to.equal(true);
  });

  it('refuses a body shorter than its content-length', async () => {
    const err = await rejection(read(answering(pieces, whole.length + 1).request));
    expect((err as PeerRequestError).details).to.include({ peerCode: 'BAD_RESPONSE' });
    expect((err as Error).message).to.match(/has 1310720 bytes but its content-length says 1310721/);
  });

  it('refuses a body larger than maxBytes, declared or not', async () => {
    for (const declared of [whole.length, undefined]) {
      const answer = answering(pieces, declared);
      const err = await rejection(read(answer.request, whole.length - 1));
      expect((err as Error).message).to.match(/larger than 1310719 bytes/);
    }
  });

  it('reads a body into the caller’s buffer when its declared length is the buffer’s, and into a new one when it is longer', async () => {
    const given = Buffer.alloc(whole.length);
    const { body } = await peerRequest(
      { request: answering(pieces, whole.length).request },
      { endpoint: 'http://127.0.0.1:1', method: 'GET', path: '/x', timeoutMs: 10_000, maxBytes: 2 << 20, into: given },
    );
    expect(body).to.equal(given);
    expect(given.equals(whole)).to.equal(true);
    const small = Buffer.alloc(1024, 7);
    const other = await peerRequest(
      { request: answering(pieces, whole.length).request },
      { endpoint: 'http://127.0.0.1:1', method: 'GET', path: '/x', timeoutMs: 10_000, maxBytes: 2 << 20, into: small },
    );
    expect(other.body).to.not.equal(small);
    expect(Buffer.from(other.body).equals(whole)).to.equal(true);
    expect(small.every((b) => b === 7)).to.equal(true);
  });
});
