import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { expect } from 'chai';
import { Hono } from 'hono';
import { requestBody } from '../../../node/routes/request-body';

/** Sends `body` in `pieces` chunks (chunked encoding, no Content-Length) and returns the status and the parsed JSON answer. */
function put(port: number, path: string, body: Buffer, pieces = 8): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'PUT' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    const step = Math.ceil(body.length / pieces);
    for (let at = 0; at < body.length; at += step) req.write(body.subarray(at, at + step));
    req.end();
  });
}

describe('node/routes/request-body', () => {
  let server: ServerType;
  let port: number;
  const app = new Hono();
  app.put('/sum', async (c) => {
    const { body, signal } = requestBody(c);
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of body ?? []) {
      hash.update(chunk);
      bytes += chunk.byteLength;
    }
    return c.json({ bytes, sha256: hash.digest('hex'), web: body instanceof ReadableStream, signal: signal !== undefined });
  });
  // Reads one chunk, then refuses the rest, as a store refuses an oversized shard.
  app.put('/refuse', async (c) => {
    const { body } = requestBody(c);
    for await (const _ of body ?? []) break;
    return c.json({ error: { code: 'SHARD_TOO_LARGE', message: 'too large' } }, 413);
  });
  // Something touched the web request first: its stream now reads the socket.
  app.put('/after-signal', async (c) => {
    c.req.raw.signal;
    const { body } = requestBody(c);
    const hash = createHash('sha256');
    for await (const chunk of body ?? []) hash.update(chunk);
    return c.json({ sha256: hash.digest('hex'), web: body instanceof ReadableStream });
  });

  before(async () => {
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("reads Node's own request stream on a real server, every byte in order", async () => {
    const body = randomBytes(3 * 1024 * 1024 + 17);
    const { status, json } = await put(port, '/sum', body, 50);
    expect(status).to.equal(200);
    expect(json).to.deep.equal({ bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), web: false, signal: false });
  });

  it('still sends its refusal when it stops reading a large body early', async () => {
    const { status, json } = await put(port, '/refuse', randomBytes(8 * 1024 * 1024), 64);
    expect(status).to.equal(413);
    expect(json).to.deep.equal({ error: { code: 'SHARD_TOO_LARGE', message: 'too large' } });
    // The server goes on answering.
    const again = await put(port, '/sum', Buffer.from('after'), 1);
    expect(again.json.bytes).to.equal(5);
  });

  it('uses the web body once the web request exists, so two readers never share the socket', async () => {
    const body = randomBytes(1024 * 1024);
    const { json } = await put(port, '/after-signal', body, 16);
    expect(json).to.deep.equal({ sha256: createHash('sha256').update(body).digest('hex'), web: true });
  });

  it('uses the web body and its signal under app.request()', async () => {
    const res = await app.request('/sum', { method: 'PUT', body: new Uint8Array([1, 2, 3]) });
    expect(await res.json()).to.deep.include({ bytes: 3, web: true, signal: true });
  });
});
