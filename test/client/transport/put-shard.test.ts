import http from 'node:http';
import { expect } from 'chai';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { PeerRequestError } from '../../../client/errors';
import { getStatus } from '../../../client/transport/get-status';
import { putShard } from '../../../client/transport/put-shard';
import { randomFileId, slotIdOf } from '../../../protocol/ids';
import { parseSignedHeaders, verifyRequest } from '../../../protocol/signing';
import { listenLocal } from '../../../scripts/testkit/local-server';

type Answer = { status: number; body?: unknown; hang?: boolean };

/** A throwaway server that answers from a script and remembers what it was sent. */
async function scriptedServer(script: Answer[]) {
  const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer }> = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(parts) });
      const answer = script.shift() ?? { status: 500 };
      if (answer.hang) return;
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body ?? {}));
    });
  });
  const local = await listenLocal(server);
  return { endpoint: local.url, seen, close: local.close };
}

describe('transport/put-shard', () => {
  const account = privateKeyToAccount(generatePrivateKey());
  const node = privateKeyToAccount(generatePrivateKey()).address;
  const fileId = randomFileId();
  const body = new Uint8Array([1, 2, 3, 4]);
  const receipt = (created: boolean) => ({
    slotId: slotIdOf(fileId, 1),
    index: 0,
    size: 4,
    sha256: '9f64a747e1b97f131fabb6b447296c9b6f0201e79fb3c5356e6c77e89b6a806a',
    created,
  });
  let server: Awaited<ReturnType<typeof scriptedServer>> | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  describe('when the node stores the shard', () => {
    it('sends a PUT signed for that node and chain over the exact path and body', async () => {
      server = await scriptedServer([{ status: 201, body: receipt(true) }]);
      const result = await putShard({ account, chainId: 31337 }, { peer: { operator: node, endpoint: server.endpoint }, fileId, column: 1, index: 0, body });
      expect(result.created).to.equal(true);
      const [req] = server.seen;
      expect(req.method).to.equal('PUT');
      expect(req.url).to.equal(`/slots/${slotIdOf(fileId, 1)}/shards/0?fileId=${fileId}&column=1`);
      expect(req.body.equals(Buffer.from(body))).to.equal(true);
      const signed = parseSignedHeaders((name) => req.headers[name] as string | undefined);
      const signer = await verifyRequest(
        { now: () => Date.now() },
        { signed, method: 'PUT', pathAndQuery: req.url, node, chainId: 31337, maxSkewSeconds: 300 },
      );
      expect(signer).to.equal(account.address);
    });
  });

  describe('when the node fails transiently', () => {
    it('retries once with a fresh nonce after a 500', async () => {
      server = await scriptedServer([
        { status: 500, body: { error: { code: 'INTERNAL', message: 'boom' } } },
        { status: 200, body: receipt(false) },
      ]);
      const result = await putShard({ account, chainId: 31337 }, { peer: { operator: node, endpoint: server.endpoint }, fileId, column: 1, index: 0, body });
      expect(result.created).to.equal(false);
      expect(server.seen).to.have.length(2);
      expect(server.seen[0].headers['x-dhost-nonce']).not.to.equal(server.seen[1].headers['x-dhost-nonce']);
    });

    it('gives up after the retry with PeerRequestError naming status and code', async () => {
      server = await scriptedServer([
        { status: 503, body: { error: { code: 'BUSY', message: 'later' } } },
        { status: 503, body: { error: { code: 'BUSY', message: 'later' } } },
      ]);
      const err = await putShard({ account, chainId: 31337 }, { peer: { operator: node, endpoint: server.endpoint }, fileId, column: 1, index: 0, body }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(PeerRequestError);
      expect((err as PeerRequestError).status).to.equal(503);
      expect((err as PeerRequestError).peerCode).to.equal('BUSY');
      expect(server.seen).to.have.length(2);
    });

    it('treats a node that does not answer in time as a TIMEOUT', async () => {
      server = await scriptedServer([
        { status: 200, hang: true },
        { status: 200, hang: true },
      ]);
      const err = await putShard(
        { account, chainId: 31337 },
        { peer: { operator: node, endpoint: server.endpoint }, fileId, column: 1, index: 0, body, timeoutMs: 100 },
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(PeerRequestError);
      expect((err as PeerRequestError).peerCode).to.equal('TIMEOUT');
    });
  });

  describe('when the node refuses the shard', () => {
    for (const [status, code] of [
      [403, 'SLOT_OWNED'],
      [409, 'CONFLICT'],
      [413, 'TOO_LARGE'],
      [507, 'FULL'],
    ] as const) {
      it(`does not retry a ${status} and reports ${code}`, async () => {
        server = await scriptedServer([{ status, body: { error: { code, message: 'no' } } }]);
        await expect(
          putShard({ account, chainId: 31337 }, { peer: { operator: node, endpoint: server.endpoint }, fileId, column: 1, index: 0, body }),
        ).to.be.rejectedWith(PeerRequestError, code);
        expect(server.seen).to.have.length(1);
      });
    }

    it('refuses a receipt for other bytes', async () => {
      server = await scriptedServer([{ status: 201, body: { ...receipt(true), sha256: '00'.repeat(32) } }]);
      await expect(
        putShard({ account, chainId: 31337 }, { peer: { operator: node, endpoint: server.endpoint }, fileId, column: 1, index: 0, body }),
      ).to.be.rejectedWith(/other bytes/);
    });
  });

  describe('when nothing listens at the endpoint', () => {
    it('fails with a NETWORK PeerRequestError after the retry', async () => {
      const closed = await scriptedServer([]);
      await closed.close();
      await expect(
        putShard({ account, chainId: 31337 }, { peer: { operator: node, endpoint: closed.endpoint }, fileId, column: 1, index: 0, body }),
      ).to.be.rejectedWith(PeerRequestError, 'NETWORK');
    });
  });

  describe('when a status answer is not a node status', () => {
    it('fails with BAD_RESPONSE', async () => {
      server = await scriptedServer([{ status: 200, body: { hello: 'world' } }]);
      await expect(getStatus({}, { endpoint: server.endpoint })).to.be.rejectedWith(PeerRequestError, 'BAD_RESPONSE');
    });
  });
});
