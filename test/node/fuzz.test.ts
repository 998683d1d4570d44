import { expect } from 'chai';
import fc from 'fast-check';
import hre from 'hardhat';
import type { Hono } from 'hono';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNodeApp } from '../../node/app';
import type { NodeEnv } from '../../node/env';
import { type NodeStore, openNodeStore } from '../../node/store/open-node-store';
import { MANIFEST_INDEX, type ShardIndex } from '../../protocol/column';
import { type FileId, slotIdOf } from '../../protocol/ids';
import { errorBodySchema } from '../../protocol/wire';
import { hardhatKey } from '../../scripts/testkit/chain';
import {
  assignedShardPut,
  chainDealDeps,
  type DealWriter,
  fundOwners,
  type MarketChain,
  openTestDeal,
  startMarketChain,
} from '../../scripts/testkit/node/market-chain';
import { testToken } from '../../scripts/testkit/node/read-token';
import { scratchDir, shardTarget } from '../../scripts/testkit/node/shard-requests';
import { type StoreSnapshot, snapshotStore } from '../../scripts/testkit/node/store-snapshot';

/*
 * Random and malformed requests against a real app (real store, deals read from a real chain):
 * whatever arrives, the node never answers 5xx, every refusal is JSON `{ error: { code, message } }`,
 * a refused request leaves the store and the index as they were, nothing is logged as an internal
 * error, and the node still answers `/health` afterwards.
 */

const SLOTS = 4;
const MAX_SHARD = 4096;

describe('node fuzz: malformed requests are refused cleanly', function () {
  this.timeout(120_000);
  const ownerKey = hardhatKey(47);
  const strangerKey = hardhatKey(48);
  const node = privateKeyToAccount(generatePrivateKey());
  let chain: MarketChain;
  let writer: DealWriter;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let nodeStore: NodeStore;
  let app: Hono<NodeEnv>;
  let dealId: FileId;
  let otherDeal: FileId;
  let logged: string[];

  before(async () => {
    chain = await startMarketChain(hre);
    await fundOwners(chain, [ownerKey]);
    writer = { chain, ownerKey, node: node.address };
    logged = [];
    dir = await scratchDir();
    nodeStore = await openNodeStore({ dataDir: dir.path });
    app = createNodeApp({
      ...nodeStore,
      identity: { address: node.address, chainId: chain.chainId },
      limits: { capacityBytes: 1 << 20, maxShardBytes: MAX_SHARD },
      ...chainDealDeps(chain),
      apiKey: 'operator-secret',
      log: (line) => logged.push(line),
    });
    dealId = await openTestDeal(chain, { ownerKey, slots: SLOTS, bytesPerSlot: 64n * 1024n, durationEpochs: 10 });
    otherDeal = await openTestDeal(chain, { ownerKey, slots: SLOTS, bytesPerSlot: 64n * 1024n, durationEpochs: 10 });
    // One shard that token reads can reach: column 0, index 0.
    const put = await assignedShardPut(writer, { target: shardTarget({ fileId: dealId, column: 0, index: 0 }), body: new Uint8Array(100).fill(7) });
    expect((await app.request(put.path, put.init)).status).to.equal(201);
  });
  after(async () => {
    nodeStore.close();
    await dir.remove();
    await chain.close();
  });

  /** Sends a request and checks what every answer must satisfy; returns the status. */
  async function sendChecked(path: string, init: RequestInit, before: StoreSnapshot): Promise<number> {
    const res = await app.request(path, init);
    const text = await res.text();
    const what = `${init.method ?? 'GET'} ${path} → ${res.status} ${text.slice(0, 200)}`;
    expect(res.status, what).to.be.below(500);
    const method = (init.method ?? 'GET').toUpperCase();
    if (res.status >= 400 && method !== 'HEAD') {
      expect(res.headers.get('content-type') ?? '', what).to.match(/^application\/json/);
      errorBodySchema.parse(JSON.parse(text));
    }
    expect(res.headers.get('x-content-type-options'), what).to.equal('nosniff');
    if (res.status >= 300 || method !== 'PUT') expect(await snapshotStore(nodeStore), what).to.deep.equal(before);
    expect(logged, what).to.deep.equal([]);
    return res.status;
  }

  // ---- building blocks -------------------------------------------------------------------------

  const hex = (min: number, max: number) =>
    fc.array(fc.constantFrom(...'0123456789abcdef'), { minLength: min, maxLength: max }).map((digits) => digits.join(''));
  const idLike = fc.oneof(
    hex(64, 64).map((h) => `0x${h}`),
    hex(64, 64).map((h) => `0x${h.toUpperCase()}`),
    hex(65, 200).map((h) => `0x${h}`),
    hex(0, 63).map((h) => `0x${h}`),
    hex(64, 64),
    fc.constantFrom('0x', '', '..', '%2e%2e', '.', '%2F', '%00', '%zz', '..%2f..%2fetc%2fpasswd', 'manifest'),
    fc.string({ unit: 'grapheme', maxLength: 40 }).map(encodeURIComponent),
    fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent),
  );
  const slotIdOfDeal = fc.integer({ min: 0, max: SLOTS + 2 }).map((column) => slotIdOf(dealId, Math.min(column, 255)));
  const indexLike = fc.oneof(
    fc.nat({ max: 20 }).map(String),
    fc.constantFrom('manifest', 'MANIFEST', '-1', '1e3', '0x1', '00', '99999999999999999999', '%2e%2e', ''),
    fc.string({ unit: 'grapheme', maxLength: 12 }).map(encodeURIComponent),
  );
  const queryLike = fc.option(
    fc.record({
      fileId: fc.oneof(
        fc.constant(() => dealId as string),
        idLike.map((v) => () => v),
      ),
      column: fc.oneof(fc.nat({ max: 300 }).map(String), fc.constantFrom('-1', '01', 'x', '1.5', '')),
    }),
    { nil: undefined },
  );
  const pathLike = fc.oneof(
    fc.tuple(fc.oneof(idLike, slotIdOfDeal), indexLike, queryLike).map(([slot, index, q]) => () => {
      const query = q ? `?fileId=${q.fileId()}&column=${q.column}` : '';
      return `/slots/${slot}/shards/${index}${query}`;
    }),
    fc.tuple(fc.oneof(idLike, slotIdOfDeal), queryLike).map(
      ([slot, q]) =>
        () =>
          `/slots/${slot}/commit${q ? `?fileId=${q.fileId()}&column=${q.column}` : ''}`,
    ),
    idLike.map((id) => () => `/files/${id}`),
    idLike.map((id) => () => `/slots/${id}`),
    fc
      .constantFrom('/status', '/health', '/operator/slots', '/', '//', '/slots//shards/0', '/./health', '/health/', '/%2e%2e/health', '/slots/../health')
      .map((p) => () => p),
    fc
      .array(fc.oneof(idLike, fc.constantFrom('slots', 'shards', 'files', 'commit', 'operator', '..', '.', '')), { minLength: 1, maxLength: 6 })
      .map((segments) => () => `/${segments.join('/')}`),
  );
  const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }).map((v) => v.trim());
  const headersLike = fc.dictionary(
    fc.oneof(
      fc.constantFrom(
        'content-length',
        'content-type',
        'origin',
        'access-control-request-method',
        'authorization',
        'if-none-match',
        'x-dhost-signature',
        'x-dhost-timestamp',
        'x-dhost-nonce',
        'x-dhost-content-sha256',
        'x-dhost-assignment',
        'x-dhost-token',
        'transfer-encoding',
      ),
      fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
    ),
    fc.oneof(
      headerValue,
      fc.constantFrom('0', '-1', '99999999999999999', '1e9', 'PUT', 'GET', 'Bearer operator-secret', 'Bearer x', `0x${'ab'.repeat(65)}`, '*', 'null'),
    ),
    { maxKeys: 5 },
  );
  const methodLike = fc.constantFrom('GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH', 'FOO', 'get', 'put');

  // ---- properties ------------------------------------------------------------------------------

  it('answers random requests (methods, paths, headers, bodies) without a 5xx, with JSON refusals, changing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        methodLike,
        pathLike,
        headersLike,
        fc.option(fc.uint8Array({ maxLength: 2048 }), { nil: undefined }),
        async (method, path, headers, body) => {
          const before = await snapshotStore(nodeStore);
          const upper = method.toUpperCase();
          const init: RequestInit = { method, headers: { ...headers }, ...(body && upper !== 'GET' && upper !== 'HEAD' ? { body } : {}) };
          const status = await sendChecked(path(), init, before);
          // Unsigned requests never store anything.
          if (upper === 'PUT') expect(status).to.not.be.oneOf([200, 201]);
        },
      ),
      { numRuns: 2500 },
    );
  });

  const mutation = fc.constantFrom(
    'none',
    'longer-length',
    'shorter-length',
    'huge-length',
    'no-length',
    'other-hash',
    'other-path',
    'other-signer',
    'no-assignment',
    'other-column-assignment',
    'stale',
    'replay',
    'oversize',
    'uppercase-slot',
    'errored-stream',
  );

  it('answers signed writes, tampered or replayed, without a 5xx; refused ones change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutation,
        fc.integer({ min: 0, max: SLOTS - 1 }),
        fc.oneof(fc.nat({ max: 15 }), fc.constant(MANIFEST_INDEX)) as fc.Arbitrary<ShardIndex>,
        fc.uint8Array({ minLength: 1, maxLength: 1024 }),
        async (kind, column, index, body) => {
          const target = shardTarget({ fileId: dealId, column, index });
          const put = await assignedShardPut(writer, {
            target,
            body: kind === 'oversize' ? new Uint8Array(MAX_SHARD + 1) : body,
            ...(kind === 'longer-length' ? { contentLength: body.byteLength + 7 } : {}),
            ...(kind === 'shorter-length' ? { contentLength: body.byteLength - 1 } : {}),
            ...(kind === 'huge-length' ? { contentLength: 2 ** 52 } : {}),
            ...(kind === 'no-length' ? { contentLength: null } : {}),
            ...(kind === 'other-hash' ? { contentSha256: 'ab'.repeat(32) } : {}),
            ...(kind === 'other-path' ? { signedPath: `/slots/${target.slotId}/shards/999?fileId=${dealId}&column=${column}` } : {}),
            ...(kind === 'other-signer' ? { signerKey: strangerKey } : {}),
            ...(kind === 'no-assignment' ? { assignment: null } : {}),
            ...(kind === 'other-column-assignment' ? { assignment: { column: (column + 1) % SLOTS } } : {}),
            ...(kind === 'stale' ? { timestamp: Math.floor(Date.now() / 1000) - 3600 } : {}),
            ...(kind === 'uppercase-slot'
              ? { path: `/slots/0x${target.slotId.slice(2).toUpperCase()}/shards/${index}?fileId=${dealId}&column=${column}` }
              : {}),
          });
          const send = (): RequestInit => {
            if (kind !== 'errored-stream') return put.init;
            // A client that hangs up mid-body.
            const stream = new ReadableStream<Uint8Array>({
              start(controller) {
                controller.enqueue(body.subarray(0, Math.floor(body.byteLength / 2)));
                controller.error(new Error('client hung up'));
              },
            });
            return { ...put.init, body: stream, duplex: 'half' } as RequestInit;
          };
          const before = await snapshotStore(nodeStore);
          const status = await sendChecked(put.path, send(), before);
          // Only intact requests may be stored (a streamed body without a length is intact).
          if (!['none', 'replay', 'no-length'].includes(kind)) expect(status, kind).to.not.be.oneOf([200, 201]);
          if (kind === 'replay' || kind === 'none') {
            // The same signed request again: its nonce is spent whatever the first answer was.
            const again = await snapshotStore(nodeStore);
            expect(await sendChecked(put.path, put.init, again)).to.equal(401);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  const tokenKind = fc.constantFrom(
    'valid',
    'other-deal',
    'other-column',
    'expired',
    'future',
    'stranger',
    'other-chain',
    'grantee-unsigned',
    'flipped-byte',
    'truncated',
    'garbage',
  );

  it('answers shard reads with valid, foreign, expired, tampered and garbage tokens without a 5xx; only a valid one reads', async () => {
    const now = BigInt(Math.floor(Date.now() / 1000));
    // "In the future" for the node means ahead of both its clock and the chain's (other suites move chain time).
    const chainNow = (await chain.publicClient.getBlock({ blockTag: 'latest' })).timestamp;
    const later = chainNow > now ? chainNow : now;
    await fc.assert(
      fc.asyncProperty(tokenKind, fc.boolean(), fc.nat({ max: 265 }), fc.string({ maxLength: 300 }), async (kind, inQuery, at, junk) => {
        const issue = (p: Partial<Parameters<typeof testToken>[1]> = {}, domain = { chainId: chain.chainId, market: chain.market }) =>
          testToken(domain, { issuerKey: ownerKey, dealId, ...p }).then((t) => t.text);
        let text: string;
        if (kind === 'valid') text = await issue();
        else if (kind === 'other-deal') text = await issue({ dealId: otherDeal });
        else if (kind === 'other-column') text = await issue({ columns: [1, 2] });
        else if (kind === 'expired') text = await issue({ issuedAt: now - 7_200n, expiresAt: now - 3_600n });
        else if (kind === 'future') text = await issue({ issuedAt: later + 7_200n, expiresAt: later + 9_000n });
        else if (kind === 'stranger') text = await issue({ issuerKey: strangerKey });
        else if (kind === 'other-chain') text = await issue({}, { chainId: 1, market: chain.market });
        else if (kind === 'grantee-unsigned') text = await issue({ grantee: privateKeyToAccount(strangerKey).address });
        else if (kind === 'flipped-byte') {
          const chars = (await issue()).split('');
          chars[at] = chars[at] === 'A' ? 'B' : 'A';
          text = chars.join('');
        } else if (kind === 'truncated') text = (await issue()).slice(0, at);
        else text = encodeURIComponent(junk);
        const target = shardTarget({ fileId: dealId, column: 0, index: 0 });
        const base = `/slots/${target.slotId}/shards/0?fileId=${dealId}&column=0`;
        const path = inQuery ? `${base}&token=${text}` : base;
        const init: RequestInit = inQuery ? {} : { headers: { 'x-dhost-token': text } };
        const status = await sendChecked(path, init, await snapshotStore(nodeStore));
        if (kind === 'valid') expect(status).to.equal(200);
        else expect(status, kind).to.be.within(400, 499);
      }),
      { numRuns: 300 },
    );
  });

  it('still answers /health after the onslaught', async () => {
    const res = await app.request('/health');
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ ok: true });
    expect(logged).to.deep.equal([]);
  });
});
