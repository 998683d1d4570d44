import { expect } from 'chai';
import hre from 'hardhat';
import type { Hono } from 'hono';
import { type Hex, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNodeApp } from '../../../node/app';
import type { NodeEnv } from '../../../node/env';
import { createChainDeals } from '../../../node/market/chain-deals';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import { type ShardIndex, shardPath } from '../../../protocol/column';
import { type FileId, randomFileId, slotIdOf } from '../../../protocol/ids';
import { errorBodySchema, shardStoredSchema } from '../../../protocol/wire';
import { hardhatKey } from '../../../scripts/testkit/chain';
import { assignedShardPut, fundOwners, type MarketChain, openTestDeal, startMarketChain } from '../../../scripts/testkit/node/market-chain';
import { ownerReadHeaders } from '../../../scripts/testkit/node/read-token';
import { shardTarget as anyShardTarget, randomShard, scratchDir, sha256Hex } from '../../../scripts/testkit/node/shard-requests';
import { snapshotStore } from '../../../scripts/testkit/node/store-snapshot';

const CHAIN_ID = 31337;
const MAX_SHARD = 64 * 1024;
const CAPACITY = 256 * 1024;
const SLOTS = 8;

describe('node shard routes', () => {
  const nodeAccount = privateKeyToAccount(generatePrivateKey());
  const uploaderKey = hardhatKey(32);
  const otherKey = hardhatKey(33);
  const uploader = privateKeyToAccount(uploaderKey);
  const other = privateKeyToAccount(otherKey);
  let chain: MarketChain;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let nodeStore: NodeStore;
  let app: Hono<NodeEnv>;
  let logged: string[];
  /** A fresh deal of SLOTS slots per test; targets without a column take the next unused one. */
  let dealId: FileId;
  let nextColumn = 0;
  const shardTarget = (p: { column?: number; index?: ShardIndex } = {}) =>
    anyShardTarget({ fileId: dealId, column: p.column ?? nextColumn++ % SLOTS, index: p.index });

  const makeApp = (s: NodeStore, extra: Pick<Parameters<typeof createNodeApp>[0], 'onShardStored'> = {}) =>
    createNodeApp({
      ...s,
      ...extra,
      identity: { address: nodeAccount.address, chainId: CHAIN_ID },
      limits: { capacityBytes: CAPACITY, maxShardBytes: MAX_SHARD },
      deals: createChainDeals({ publicClient: chain.publicClient }, { market: chain.market }),
      marketAddress: chain.market,
      log: (line) => logged.push(line),
    });
  /** Who signs: the deal owner by default; a request made for another node or chain to build refusals. */
  const sign = (account = uploader, overrides: { node?: Hex; chainId?: number } = {}) => ({
    chain: { chainId: overrides.chainId ?? CHAIN_ID, market: chain.market },
    ownerKey: uploaderKey,
    node: overrides.node ?? nodeAccount.address,
    signerKey: account === other ? otherKey : uploaderKey,
  });
  const signedShardPut = (who: ReturnType<typeof sign>, params: Omit<Parameters<typeof assignedShardPut>[1], 'signerKey'>) =>
    assignedShardPut(who, { ...params, signerKey: who.signerKey });

  before(async () => {
    chain = await startMarketChain(hre);
    await fundOwners(chain, [uploaderKey]);
  });
  after(async () => {
    await chain.close();
  });
  beforeEach(async () => {
    logged = [];
    dir = await scratchDir();
    nodeStore = await openNodeStore({ dataDir: dir.path });
    app = makeApp(nodeStore);
    dealId = await openTestDeal(chain, { ownerKey: uploaderKey, slots: SLOTS, bytesPerSlot: 1n << 20n, durationEpochs: 10 });
    nextColumn = 0;
  });
  afterEach(async () => {
    nodeStore.close();
    await dir.remove();
    // Refusals are answered, not logged: only unexpected errors reach the log.
    expect(logged).to.deep.equal([]);
  });

  async function expectRefused(res: Response, status: number, code: string) {
    expect(res.status, await res.clone().text()).to.equal(status);
    const body = errorBodySchema.parse(await res.json());
    expect(body.error.code).to.equal(code);
    return body;
  }

  async function expectNothingStored() {
    const snap = await snapshotStore(nodeStore);
    expect(snap.tmp).to.deep.equal([]);
    expect(snap.files).to.deep.equal([]);
    expect(snap.usage).to.deep.equal({ bytes: 0, shards: 0, slots: 0 });
  }

  /** A read with the deal owner's bearer token (reads need one; test/node/middleware/read-access.test.ts covers refusals). */
  const read = async (path: string, init: RequestInit = {}) =>
    app.request(path, {
      ...init,
      headers: {
        ...(await ownerReadHeaders({ chainId: CHAIN_ID, market: chain.market }, { ownerKey: uploaderKey, dealId })),
        ...(init.headers as Record<string, string>),
      },
    });

  describe('when a signed shard is new', () => {
    it('stores it, answers 201 with its size and hash, and serves it back', async () => {
      const target = shardTarget({ column: 2, index: 5 });
      const body = randomShard(4096);
      const put = await signedShardPut(sign(), { target, body });
      const res = await app.request(put.path, put.init);
      expect(res.status).to.equal(201);
      expect(shardStoredSchema.parse(await res.json())).to.deep.equal({
        slotId: target.slotId,
        index: 5,
        size: 4096,
        sha256: sha256Hex(body),
        created: true,
      });

      const got = await read(shardPath(target));
      expect(got.status).to.equal(200);
      expect(got.headers.get('content-type')).to.equal('application/octet-stream');
      expect(got.headers.get('content-length')).to.equal('4096');
      expect(got.headers.get('x-dhost-content-sha256')).to.equal(sha256Hex(body));
      expect(got.headers.get('etag')).to.equal(`"${sha256Hex(body)}"`);
      expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(body))).to.equal(true);
    });

    it('stores the manifest under the index "manifest"', async () => {
      const target = shardTarget({ index: 'manifest' });
      const body = randomShard(300);
      const put = await signedShardPut(sign(), { target, body });
      const res = await app.request(put.path, put.init);
      expect(res.status).to.equal(201);
      expect(shardStoredSchema.parse(await res.json()).index).to.equal('manifest');
      const got = await read(shardPath(target));
      expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(body))).to.equal(true);
    });

    it('accepts a body sent without Content-Length (streamed)', async () => {
      const target = shardTarget();
      const body = randomShard(10_000);
      const put = await signedShardPut(sign(), { target, body, contentLength: null });
      const res = await app.request(put.path, put.init);
      expect(res.status).to.equal(201);
    });

    it('accepts an empty shard', async () => {
      const target = shardTarget();
      const put = await signedShardPut(sign(), { target, body: new Uint8Array(0) });
      const res = await app.request(put.path, put.init);
      expect(res.status).to.equal(201);
      expect((await read(shardPath(target))).headers.get('content-length')).to.equal('0');
    });

    it('answers HEAD with the headers and no body', async () => {
      const target = shardTarget();
      const body = randomShard(1000);
      const put = await signedShardPut(sign(), { target, body });
      await app.request(put.path, put.init);
      const head = await read(shardPath(target), { method: 'HEAD' });
      expect(head.status).to.equal(200);
      expect(head.headers.get('content-length')).to.equal('1000');
      expect(head.headers.get('x-dhost-content-sha256')).to.equal(sha256Hex(body));
      expect((await head.arrayBuffer()).byteLength).to.equal(0);
    });

    it('answers 304 to a GET whose If-None-Match is the ETag', async () => {
      const target = shardTarget();
      const body = randomShard(100);
      const put = await signedShardPut(sign(), { target, body });
      await app.request(put.path, put.init);
      const res = await read(shardPath(target), { headers: { 'if-none-match': `"${sha256Hex(body)}"` } });
      expect(res.status).to.equal(304);
    });
  });

  describe('when the same shard is sent again', () => {
    it('answers 200 with created false and stores it once', async () => {
      const target = shardTarget();
      const body = randomShard(2048);
      const first = await signedShardPut(sign(), { target, body });
      expect((await app.request(first.path, first.init)).status).to.equal(201);
      const again = await signedShardPut(sign(), { target, body });
      const res = await app.request(again.path, again.init);
      expect(res.status).to.equal(200);
      expect(shardStoredSchema.parse(await res.json()).created).to.equal(false);
      const snap = await snapshotStore(nodeStore);
      expect(snap.usage).to.deep.equal({ bytes: 2048, shards: 1, slots: 1 });
      expect(snap.tmp).to.deep.equal([]);
    });
  });

  describe('when a new shard is stored', () => {
    it('tells onShardStored once its row exists (the column’s tree is built as it arrives), and not of a retry or a refusal', async () => {
      const told: { slotId: string; index: ShardIndex; rowThen: boolean }[] = [];
      app = makeApp(nodeStore, {
        onShardStored: (slotId, index) => told.push({ slotId, index, rowThen: nodeStore.index.getShard(slotId, index) !== undefined }),
      });
      const target = shardTarget({ index: 3 });
      const body = randomShard(4096);
      for (let i = 0; i < 2; i++) {
        const put = await signedShardPut(sign(), { target, body });
        expect((await app.request(put.path, put.init)).status).to.equal(i === 0 ? 201 : 200);
      }
      const conflicting = await signedShardPut(sign(), { target, body: randomShard(4096) });
      expect((await app.request(conflicting.path, conflicting.init)).status).to.equal(409);
      expect(told).to.deep.equal([{ slotId: target.slotId, index: 3, rowThen: true }]);
    });
  });

  describe('when a shard with other content is sent to a stored index', () => {
    it('refuses with 409 and keeps the first content', async () => {
      const target = shardTarget();
      const body = randomShard(2048);
      const first = await signedShardPut(sign(), { target, body });
      await app.request(first.path, first.init);
      const conflicting = await signedShardPut(sign(), { target, body: randomShard(2048) });
      await expectRefused(await app.request(conflicting.path, conflicting.init), 409, 'SHARD_CONFLICT');
      const got = await read(shardPath(target));
      expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(body))).to.equal(true);
      expect((await snapshotStore(nodeStore)).tmp).to.deep.equal([]);
    });
  });

  describe('when another signer writes a slot of the deal', () => {
    it('refuses with 403 NOT_DEAL_OWNER and stores nothing', async () => {
      const target = shardTarget({ index: 0 });
      const first = await signedShardPut(sign(), { target, body: randomShard(100) });
      await app.request(first.path, first.init);
      const before = await snapshotStore(nodeStore);
      const intruder = await signedShardPut(sign(other), { target: { ...target, index: 1 }, body: randomShard(100) });
      await expectRefused(await app.request(intruder.path, intruder.init), 403, 'NOT_DEAL_OWNER');
      expect(await snapshotStore(nodeStore)).to.deep.equal(before);
    });
  });

  describe('when the node is full', () => {
    it('refuses from the declared length with 507 and stores nothing', async () => {
      const fill = async (index: number) => {
        const put = await signedShardPut(sign(), { target: shardTarget({ index }), body: randomShard(MAX_SHARD) });
        return app.request(put.path, put.init);
      };
      for (let i = 0; i < CAPACITY / MAX_SHARD; i++) expect((await fill(i)).status).to.equal(201);
      const before = await snapshotStore(nodeStore);
      await expectRefused(await fill(99), 507, 'CAPACITY_EXCEEDED');
      expect(await snapshotStore(nodeStore)).to.deep.equal(before);
    });

    it('refuses a streamed body at commit with 507 and stores nothing', async () => {
      for (let i = 0; i < CAPACITY / MAX_SHARD; i++) {
        const put = await signedShardPut(sign(), { target: shardTarget(), body: randomShard(MAX_SHARD) });
        expect((await app.request(put.path, put.init)).status).to.equal(201);
      }
      const before = await snapshotStore(nodeStore);
      const put = await signedShardPut(sign(), { target: shardTarget(), body: randomShard(1), contentLength: null });
      await expectRefused(await app.request(put.path, put.init), 507, 'CAPACITY_EXCEEDED');
      expect(await snapshotStore(nodeStore)).to.deep.equal(before);
    });
  });

  describe('when the body is too large', () => {
    it('refuses from Content-Length with 413 before reading it', async () => {
      const put = await signedShardPut(sign(), { target: shardTarget(), body: randomShard(MAX_SHARD + 1) });
      await expectRefused(await app.request(put.path, put.init), 413, 'SHARD_TOO_LARGE');
      await expectNothingStored();
    });

    it('refuses while streaming when no length was declared, with 413', async () => {
      const put = await signedShardPut(sign(), { target: shardTarget(), body: randomShard(MAX_SHARD + 1), contentLength: null });
      await expectRefused(await app.request(put.path, put.init), 413, 'SHARD_TOO_LARGE');
      await expectNothingStored();
    });

    it('refuses while streaming when the declared length is false, with 400 or 413', async () => {
      const put = await signedShardPut(sign(), { target: shardTarget(), body: randomShard(MAX_SHARD + 10), contentLength: 100 });
      const res = await app.request(put.path, put.init);
      expect([400, 413]).to.include(res.status);
      await expectNothingStored();
    });
  });

  describe('when the body is shorter than its Content-Length (truncated)', () => {
    it('refuses with 400 BODY_LENGTH_MISMATCH and stores nothing', async () => {
      const body = randomShard(1000);
      const put = await signedShardPut(sign(), { target: shardTarget(), body, contentLength: 2000 });
      await expectRefused(await app.request(put.path, put.init), 400, 'BODY_LENGTH_MISMATCH');
      await expectNothingStored();
    });
  });

  describe('when the body does not match the signed content hash', () => {
    it('refuses with 400 CONTENT_HASH_MISMATCH and stores nothing', async () => {
      const put = await signedShardPut(sign(), { target: shardTarget(), body: randomShard(1000), contentSha256: sha256Hex(randomShard(1000)) });
      await expectRefused(await app.request(put.path, put.init), 400, 'CONTENT_HASH_MISMATCH');
      await expectNothingStored();
    });
  });

  describe('when the signature is not acceptable', () => {
    const refusals: [string, () => Promise<RequestInit & { path: string }>, string][] = [
      ['missing', async () => ({ path: shardPath(shardTarget()), method: 'PUT', body: randomShard(10) }), 'MISSING_SIGNATURE'],
      [
        'malformed',
        async () => {
          const put = await signedShardPut(sign(), { target: shardTarget(), body: randomShard(10) });
          return { path: put.path, ...put.init, headers: { ...put.init.headers, 'x-dhost-signature': '0x1234' } };
        },
        'MALFORMED_SIGNATURE',
      ],
      [
        'made over another path',
        async () => {
          const target = shardTarget();
          const put = await signedShardPut(sign(), { target, body: randomShard(10), signedPath: shardPath({ ...target, index: 1 }) });
          return { path: put.path, ...put.init };
        },
        'BAD_SIGNATURE',
      ],
      [
        'made by another key than the claimed address',
        async () => {
          const put = await signedShardPut(sign(other), { target: shardTarget(), body: randomShard(10) });
          return { path: put.path, ...put.init, headers: { ...put.init.headers, 'x-dhost-address': uploader.address } };
        },
        'BAD_SIGNATURE',
      ],
      [
        'made for another node address',
        async () => {
          const put = await signedShardPut(sign(uploader, { node: other.address }), { target: shardTarget(), body: randomShard(10) });
          return { path: put.path, ...put.init };
        },
        'BAD_SIGNATURE',
      ],
      [
        'made for another chain id',
        async () => {
          const put = await signedShardPut(sign(uploader, { chainId: 1 }), { target: shardTarget(), body: randomShard(10) });
          return { path: put.path, ...put.init };
        },
        'BAD_SIGNATURE',
      ],
      [
        'stale (older than the skew window)',
        async () => {
          const put = await signedShardPut(sign(), { target: shardTarget(), body: randomShard(10), timestamp: Math.floor(Date.now() / 1000) - 301 });
          return { path: put.path, ...put.init };
        },
        'STALE_SIGNATURE',
      ],
      [
        'from the future (beyond the skew window)',
        async () => {
          // 310 s, not 301: the app reads the wall clock a moment after signing, and a second boundary
          // crossed in between would bring 301 s back inside the window (the exact edges are tested
          // with a fixed clock in test/protocol/signing.test.ts).
          const put = await signedShardPut(sign(), { target: shardTarget(), body: randomShard(10), timestamp: Math.floor(Date.now() / 1000) + 310 });
          return { path: put.path, ...put.init };
        },
        'STALE_SIGNATURE',
      ],
    ];
    for (const [title, build, code] of refusals) {
      it(`refuses a signature ${title} with 401 ${code} and stores nothing`, async () => {
        const { path, ...init } = await build();
        await expectRefused(await app.request(path, init), 401, code);
        await expectNothingStored();
      });
    }

    it('refuses a replayed nonce with 401 REPLAYED_SIGNATURE', async () => {
      const target = shardTarget();
      const body = randomShard(10);
      const put = await signedShardPut(sign(), { target, body });
      expect((await app.request(put.path, put.init)).status).to.equal(201);
      const before = await snapshotStore(nodeStore);
      await expectRefused(await app.request(put.path, put.init), 401, 'REPLAYED_SIGNATURE');
      expect(await snapshotStore(nodeStore)).to.deep.equal(before);
    });

    it('refuses a replayed nonce after the store is reopened', async () => {
      const put = await signedShardPut(sign(), { target: shardTarget(), body: randomShard(10) });
      expect((await app.request(put.path, put.init)).status).to.equal(201);
      nodeStore.close();
      nodeStore = await openNodeStore({ dataDir: dir.path });
      app = makeApp(nodeStore);
      await expectRefused(await app.request(put.path, put.init), 401, 'REPLAYED_SIGNATURE');
    });

    it('refuses a nonce whose first use failed later (the nonce is spent when the signature is accepted)', async () => {
      const nonce = toHex(randomShard(16));
      const target = shardTarget();
      const body = randomShard(10);
      const bad = await signedShardPut(sign(), { target, body, nonce, contentSha256: sha256Hex(randomShard(10)) });
      await expectRefused(await app.request(bad.path, bad.init), 400, 'CONTENT_HASH_MISMATCH');
      const retry = await signedShardPut(sign(), { target, body, nonce });
      await expectRefused(await app.request(retry.path, retry.init), 401, 'REPLAYED_SIGNATURE');
    });
  });

  describe('when the address is malformed', () => {
    const fileId = randomFileId();
    const slotId = slotIdOf(fileId, 0);
    const cases: [string, string][] = [
      ['a malformed slot id', `/slots/0x1234/shards/0?fileId=${fileId}&column=0`],
      ['an upper-case slot id', `/slots/${slotId.toUpperCase().replace('0X', '0x')}/shards/0?fileId=${fileId}&column=0`],
      ['a malformed shard index', `/slots/${slotId}/shards/01?fileId=${fileId}&column=0`],
      ['a negative shard index', `/slots/${slotId}/shards/-1?fileId=${fileId}&column=0`],
      ['a shard index beyond 2^31 - 1', `/slots/${slotId}/shards/2147483648?fileId=${fileId}&column=0`],
      ['a malformed file id', `/slots/${slotId}/shards/0?fileId=0xabc&column=0`],
      ['no file id', `/slots/${slotId}/shards/0?column=0`],
      ['no column', `/slots/${slotId}/shards/0?fileId=${fileId}`],
      ['a malformed column', `/slots/${slotId}/shards/0?fileId=${fileId}&column=x`],
      ['a column out of range', `/slots/${slotId}/shards/0?fileId=${fileId}&column=256`],
    ];
    for (const [title, path] of cases) {
      it(`refuses ${title} with 400 and stores nothing`, async () => {
        const put = await signedShardPut(sign(), { target: shardTarget(), body: randomShard(10), path });
        const res = await app.request(put.path, put.init);
        expect(res.status).to.equal(400);
        expect(errorBodySchema.parse(await res.json()).error.code).to.equal('INVALID_INPUT');
        await expectNothingStored();
      });
    }

    it('refuses a slot id that is not keccak(fileId, column) with 400 SLOT_ID_MISMATCH', async () => {
      const path = `/slots/${slotIdOf(fileId, 1)}/shards/0?fileId=${fileId}&column=0`;
      const put = await signedShardPut(sign(), { target: shardTarget(), body: randomShard(10), path });
      await expectRefused(await app.request(put.path, put.init), 400, 'SLOT_ID_MISMATCH');
      await expectNothingStored();
    });

    it('refuses a malformed Content-Length with 400', async () => {
      const put = await signedShardPut(sign(), { target: shardTarget(), body: randomShard(10) });
      put.init.headers['content-length'] = '1e3';
      await expectRefused(await app.request(put.path, put.init), 400, 'INVALID_INPUT');
      await expectNothingStored();
    });
  });

  describe('when a shard is read', () => {
    it('answers 404 JSON for an unknown shard', async () => {
      await expectRefused(await read(shardPath(shardTarget())), 404, 'SHARD_NOT_FOUND');
    });

    it('answers 404 for a file on disk that has no index row', async () => {
      const target = shardTarget();
      const put = await signedShardPut(sign(), { target, body: randomShard(10) });
      await app.request(put.path, put.init);
      nodeStore.index.deleteShard(target.slotId, target.index);
      await expectRefused(await read(shardPath(target)), 404, 'SHARD_NOT_FOUND');
    });

    it('answers 400 for a malformed slot id', async () => {
      await expectRefused(await app.request('/slots/zz/shards/0'), 400, 'INVALID_INPUT');
    });
  });

  describe('when a route is unknown', () => {
    it('answers 404 JSON', async () => {
      await expectRefused(await app.request('/nope'), 404, 'ROUTE_NOT_FOUND');
      await expectRefused(await app.request('/slots/x', { method: 'POST' }), 404, 'ROUTE_NOT_FOUND');
    });
  });

  describe('when shards of one slot arrive concurrently', () => {
    it('stores each of them once', async () => {
      const puts = await Promise.all(
        Array.from({ length: 12 }, async (_, i) => signedShardPut(sign(), { target: shardTarget({ column: 3, index: i }), body: randomShard(1000 + i) })),
      );
      const statuses = await Promise.all(puts.map(async (p) => (await app.request(p.path, p.init)).status));
      expect(statuses).to.deep.equal(Array(12).fill(201));
      expect(nodeStore.index.usage().shards).to.equal(12);
    });

    it('answers one conflicting write of the same index with 201 and the other with 409', async () => {
      const target = shardTarget();
      const a = await signedShardPut(sign(), { target, body: randomShard(5000) });
      const b = await signedShardPut(sign(), { target, body: randomShard(5000) });
      const statuses = await Promise.all([a, b].map(async (p) => (await app.request(p.path, p.init)).status));
      expect(statuses.sort()).to.deep.equal([201, 409]);
      const snap = await snapshotStore(nodeStore);
      expect(snap.usage.shards).to.equal(1);
      expect(snap.files).to.have.length(1);
      expect(snap.tmp).to.deep.equal([]);
    });
  });
});
