import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { seededRandom } from '../../../client/seeded-random';
import { type FaultProxy, startFaultProxy } from '../../../scripts/chaos/fault-proxy';

const BODY = Buffer.alloc(200_000, 7);

function get(port: number): Promise<{ status: number; bytes: number } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => {
        bytes += d.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
  });
}

describe('chaos fault proxy', () => {
  let server: http.Server;
  let target: number;
  let proxy: FaultProxy | undefined;

  before(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': BODY.length });
      res.end(BODY);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    target = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const start = (rates: { latency: number; reset: number; truncate: number }) =>
    startFaultProxy({ random: seededRandom(3) }, { port: 0, targetPort: target, rates: { ...rates, latencyMs: [5, 10] } });

  it('is a plain pipe while faults are off', async () => {
    proxy = await start({ latency: 0, reset: 1, truncate: 0 });
    expect(await get(proxy.port)).to.deep.equal({ status: 200, bytes: BODY.length });
    expect(proxy.counts()).to.deep.equal({ proxyLatency: 0, proxyReset: 0, proxyTruncate: 0 });
  });

  it('cuts an answer inside its declared body and counts the truncation', async () => {
    proxy = await start({ latency: 0, reset: 0, truncate: 1 });
    proxy.setFaults(true);
    const got = await get(proxy.port);
    expect('bytes' in got ? got.bytes : 0).to.be.below(BODY.length);
    expect(proxy.counts().proxyTruncate).to.equal(1);
  });

  it('resets connections and counts the resets', async () => {
    proxy = await start({ latency: 0, reset: 1, truncate: 0 });
    proxy.setFaults(true);
    for (let i = 0; i < 4; i++) {
      const got = await get(proxy.port);
      expect(got).not.to.deep.equal({ status: 200, bytes: BODY.length });
    }
    expect(proxy.counts().proxyReset).to.equal(4);
  });

  it('delays answers without changing them', async () => {
    proxy = await start({ latency: 1, reset: 0, truncate: 0 });
    proxy.setFaults(true);
    expect(await get(proxy.port)).to.deep.equal({ status: 200, bytes: BODY.length });
    expect(proxy.counts().proxyLatency).to.equal(1);
  });
});
