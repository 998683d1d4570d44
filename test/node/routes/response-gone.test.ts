import fs from 'node:fs';
import { open } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { expect } from 'chai';
import { Hono } from 'hono';
import { fileBody } from '../../../node/routes/file-body';
import { responseGone } from '../../../node/routes/response-gone';

/** Resolves once `check()` is true, checking every 10 ms; fails after `ms`. */
async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('node/routes/response-gone', () => {
  let server: ServerType;
  let port: number;
  let dir: string;
  let file: string;
  const FILE_BYTES = 4 << 20;
  /** What the last request saw: the signal, whether the file it opened was closed, whether Node's response closed. */
  let seen: { signal?: AbortSignal; closed: boolean; responseClosed: boolean };
  /** Lets the `/late` handler go on (the test decides when). */
  let release: () => void = () => {};
  let arrived: () => void = () => {};

  const app = new Hono();
  const watchResponse = (c: Parameters<typeof responseGone>[0]) =>
    (c.env as { outgoing: http.ServerResponse }).outgoing.once('close', () => {
      seen.responseClosed = true;
    });
  const serveFile = async (c: Parameters<typeof responseGone>[0]) => {
    const handle = await open(file, 'r');
    const close = handle.close.bind(handle);
    Object.assign(handle, {
      close: () => {
        seen.closed = true;
        return close();
      },
    });
    seen.signal = responseGone(c);
    return c.body(fileBody(handle, { size: FILE_BYTES, pieceBytes: 256 * 1024, signal: seen.signal }), 200, {
      'content-length': String(FILE_BYTES),
    });
  };
  app.get('/file', (c) => {
    watchResponse(c);
    return serveFile(c);
  });
  // Waits, after the request arrived, until the test lets it go on: the client may leave meanwhile.
  app.get('/late', async (c) => {
    watchResponse(c);
    arrived();
    await new Promise<void>((r) => {
      release = r;
    });
    return serveFile(c);
  });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-response-gone-'));
    file = path.join(dir, 'shard');
    fs.writeFileSync(file, Buffer.alloc(FILE_BYTES, 7));
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    port = (server.address() as AddressInfo).port;
  });
  beforeEach(() => {
    seen = { closed: false, responseClosed: false };
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('does not abort for a response written to the end', async () => {
    const bytes = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/file', agent: false }, (res) => {
          let n = 0;
          res.on('data', (d: Buffer) => {
            n += d.length;
          });
          res.on('end', () => resolve(n));
        })
        .on('error', reject);
    });
    expect(bytes).to.equal(FILE_BYTES);
    await until(() => seen.closed && seen.responseClosed);
    expect(seen.signal?.aborted).to.equal(false);
  });

  it('aborts, and the file is closed, when the client leaves in the middle of the body', async () => {
    await new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/file', agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
    });
    await until(() => seen.signal?.aborted === true && seen.closed);
  });

  it('aborts, and the file is closed, when the client left before the response began (never read, never cancelled by the server)', async () => {
    const came = new Promise<void>((r) => {
      arrived = r;
    });
    const req = http.get({ host: '127.0.0.1', port, path: '/late', agent: false });
    req.on('error', () => {});
    await came;
    req.destroy();
    // The server sees the connection close before the handler answers.
    await until(() => seen.responseClosed);
    release();
    await until(() => seen.closed);
    expect(seen.signal?.aborted).to.equal(true);
  });

  it('is undefined under app.request(), where there is no Node response', async () => {
    const local = new Hono();
    let signal: AbortSignal | undefined | null = null;
    local.get('/', (c) => {
      signal = responseGone(c);
      return c.text('ok');
    });
    await local.request('/');
    expect(signal).to.equal(undefined);
  });
});
