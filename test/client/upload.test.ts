import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { download } from '../../client/download';
import { downloadToFile } from '../../client/download-to-file';
import { ChunksLostError, FileChangedError, NoColumnsFoundError, NoSparePeerError, NotEnoughPeersError, StripesLostError } from '../../client/errors';
import { bytesSource, type FileSource } from '../../client/file-source';
import { formatHandle, parseHandle } from '../../client/handle';
import { deriveFileKey, masterFromPrivateKey } from '../../client/keys';
import { staticPeerSource } from '../../client/peer-source';
import type { Progress } from '../../client/progress';
import { type HttpRequester, nodeHttpRequester } from '../../client/transport/http-requester';
import { upload } from '../../client/upload';
import type { PeerRecord } from '../../protocol/chain/peers';
import { randomFileId } from '../../protocol/ids';
import { parseSignedHeaders, verifyRequest } from '../../protocol/signing';
import { signStatus } from '../../protocol/status-signing';

const CHAIN_ID = 31337;
const CHUNK = 4096;

/**
 * A throwaway stand-in for a peer, only as much as these client specifications need: it checks
 * signatures, keeps shards in memory, lists holdings, and can be told to fail. The real node's
 * behaviour is covered by the integration suite.
 */
interface FakePeer {
  account: PrivateKeyAccount;
  record: PeerRecord;
  shards: Map<string, { column: number; slotId: string; index: number | 'manifest'; bytes: Buffer }>;
  /** Slot id → file id, as the signed PUTs named it. */
  files: Map<string, string>;
  mode: { failPutsAfter?: number; corruptGets?: boolean; down?: boolean; freeBytes?: number };
  puts: number;
  close(): Promise<void>;
}

async function startPeer(): Promise<FakePeer> {
  const account = privateKeyToAccount(generatePrivateKey());
  const peer = { account, shards: new Map(), files: new Map(), mode: {}, puts: 0 } as unknown as FakePeer;
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', async () => {
      if (peer.mode.down) return req.socket.destroy();
      const url = new URL(req.url ?? '/', 'http://x');
      const shard = /^\/slots\/(0x[0-9a-f]{64})\/shards\/(\d+|manifest)$/.exec(url.pathname);
      if (req.method === 'GET' && url.pathname === '/status') {
        const free = peer.mode.freeBytes ?? 1e9;
        const status = {
          address: account.address,
          chainId: CHAIN_ID,
          version: '0.1.0',
          capacityBytes: Math.max(1e9, free),
          usedBytes: Math.max(1e9, free) - free,
          freeBytes: free,
          slots: 0,
          shards: peer.shards.size,
          maxShardBytes: 17 * 1024 * 1024,
          uptimeSeconds: 1,
        };
        // Signed with the peer's key, as a real node does: clients refuse an unsigned status.
        return json(res, 200, await signStatus({ signer: account }, { status, signedAt: Math.floor(Date.now() / 1000) }));
      }
      if (req.method === 'GET' && url.pathname.startsWith('/files/')) {
        const fileId = url.pathname.slice('/files/'.length);
        const slots = new Map<string, { slotId: string; column: number; owner: string; shards: unknown[]; bytes: number }>();
        for (const s of peer.shards.values()) {
          if (peer.files.get(s.slotId) !== fileId) continue;
          const slot = slots.get(s.slotId) ?? { slotId: s.slotId, column: s.column, owner: account.address, shards: [], bytes: 0 };
          slot.shards.push({ index: s.index, size: s.bytes.length, sha256: createHash('sha256').update(s.bytes).digest('hex') });
          slot.bytes += s.bytes.length;
          slots.set(s.slotId, slot);
        }
        return json(res, 200, { fileId, slots: [...slots.values()] });
      }
      if (shard && req.method === 'PUT') {
        const body = Buffer.concat(parts);
        const pathAndQuery = req.url ?? '';
        try {
          const signed = parseSignedHeaders((name) => req.headers[name] as string | undefined);
          await verifyRequest(
            { now: () => Date.now() },
            { signed, method: 'PUT', pathAndQuery, node: account.address, chainId: CHAIN_ID, maxSkewSeconds: 300 },
          );
          if (signed.contentSha256 !== createHash('sha256').update(body).digest('hex')) throw new Error('body hash');
        } catch {
          return json(res, 401, { error: { code: 'BAD_SIGNATURE', message: 'bad signature' } });
        }
        peer.puts += 1;
        if (peer.mode.failPutsAfter !== undefined && peer.puts > peer.mode.failPutsAfter)
          return json(res, 500, { error: { code: 'INTERNAL', message: 'disk on fire' } });
        const index = shard[2] === 'manifest' ? 'manifest' : Number(shard[2]);
        const fileId = url.searchParams.get('fileId') ?? '';
        peer.files.set(shard[1], fileId);
        peer.shards.set(`${shard[1]}/${shard[2]}`, { column: Number(url.searchParams.get('column')), slotId: shard[1], index, bytes: body });
        return json(res, 201, { slotId: shard[1], index, size: body.length, sha256: createHash('sha256').update(body).digest('hex'), created: true });
      }
      if (shard && req.method === 'GET') {
        const stored = peer.shards.get(`${shard[1]}/${shard[2]}`);
        if (!stored) return json(res, 404, { error: { code: 'NOT_FOUND', message: 'no such shard' } });
        const bytes = Buffer.from(stored.bytes);
        if (peer.mode.corruptGets) bytes[0] ^= 1;
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return res.end(bytes);
      }
      json(res, 404, { error: { code: 'NOT_FOUND', message: 'no route' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  peer.record = {
    operator: account.address,
    endpoint,
    capacity: 10n ** 9n,
    pricePerGiBEpoch: 0n,
    stake: 0n,
    lockedStake: 0n,
    registeredAt: 0n,
    lastHeartbeat: 0n,
    exitRequestedAt: 0n,
  };
  peer.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return peer;
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

describe('upload and download without a deal (transport behaviour)', () => {
  const userKey = generatePrivateKey();
  const account = privateKeyToAccount(userKey);
  const master = masterFromPrivateKey(userKey);
  let peers: FakePeer[] = [];
  const fleet = async (n: number) => {
    peers = await Promise.all(Array.from({ length: n }, () => startPeer()));
    return staticPeerSource(peers.map((p) => p.record));
  };
  const holderOf = (endpoint: string) => peers.find((p) => p.record.endpoint === endpoint)!;
  afterEach(async () => {
    await Promise.all(peers.map((p) => p.close()));
    peers = [];
  });

  describe('when every peer is healthy', () => {
    it('stores every chunk and the manifest in each of the replicas columns, on distinct peers, and the handle brings the bytes back', async () => {
      const source = await fleet(4);
      const bytes = randomBytes(3 * CHUNK + 123);
      const progress: Progress[] = [];
      const result = await upload(
        { account, chainId: CHAIN_ID, master, peers: source },
        { source: bytesSource(bytes), name: 'notes.txt', mediaType: 'text/plain', replicas: 3, chunkSize: CHUNK, onProgress: (p) => progress.push(p) },
      );
      expect(result.chunkCount).to.equal(4);
      expect(result.columns.map((c) => c.column)).to.deep.equal([0, 1, 2]);
      expect(new Set(result.columns.map((c) => c.operator)).size).to.equal(3);
      expect(result.moves).to.deep.equal([]);
      for (const c of result.columns) expect(holderOf(c.endpoint).shards.size).to.equal(result.chunkCount + 1);
      const firstShards = result.columns.map((c) => [...holderOf(c.endpoint).shards.values()].find((s) => s.index === 0)!.bytes);
      expect(firstShards[0].equals(firstShards[1])).to.equal(false);
      expect(progress.filter((p) => p.phase === 'upload').at(-1)).to.deep.equal({ phase: 'upload', bytes: bytes.length, totalBytes: bytes.length });
      expect(parseHandle(result.handle).fileId).to.equal(result.fileId);
      expect(result.handle).to.equal(formatHandle({ fileId: result.fileId, fileKey: deriveFileKey({ master, fileId: result.fileId }) }));

      const back = await collect(download({ peers: source }, { handle: result.handle }));
      expect(back.equals(bytes)).to.equal(true);
    });

    it('uploads a 0-byte file as a manifest only, and downloads it as nothing', async () => {
      const source = await fleet(3);
      const result = await upload(
        { account, chainId: CHAIN_ID, master, peers: source },
        { source: bytesSource(new Uint8Array(0)), name: 'empty', chunkSize: CHUNK },
      );
      expect(result.chunkCount).to.equal(0);
      for (const c of result.columns) expect([...holderOf(c.endpoint).shards.values()].map((s) => s.index)).to.deep.equal(['manifest']);
      expect((await collect(download({ peers: source }, { handle: result.handle }))).length).to.equal(0);
    });
  });

  describe('when a column peer fails during the upload', () => {
    it('moves the whole column to a spare peer, which ends up holding every shard', async () => {
      const source = await fleet(4);
      const bytes = randomBytes(8 * CHUNK);
      peers.forEach((p) => {
        p.mode.failPutsAfter = 3;
      });
      const result = await upload(
        { account, chainId: CHAIN_ID, master, peers: staticPeerSource(peers.map((p) => p.record)) },
        { source: bytesSource(bytes), name: 'x', replicas: 3, chunkSize: CHUNK, concurrency: 2 },
      ).catch((e: unknown) => e);
      // every peer fails after 3 PUTs: three columns cannot all move to one spare
      expect(result).to.be.instanceOf(NoSparePeerError);

      for (const p of peers) p.mode.failPutsAfter = undefined;
      peers[0].mode.failPutsAfter = 0;
      // A thousand times the others' free space (in its record and its status): its placement weight
      // is ~3·10⁴ times theirs, so it is among the three chosen (all but ~10⁻¹³ of draws) and then fails.
      peers[0].mode.freeBytes = 1e12;
      const roomy = staticPeerSource(peers.map((p, i) => (i === 0 ? { ...p.record, capacity: 10n ** 12n } : p.record)));
      const moved = await upload(
        { account, chainId: CHAIN_ID, master, peers: roomy },
        { source: bytesSource(bytes), name: 'x', replicas: 3, chunkSize: CHUNK },
      );
      expect(moved.moves).to.have.length(1);
      expect(moved.moves[0].from).to.equal(peers[0].record.endpoint);
      expect(moved.columns.map((c) => c.endpoint)).not.to.include(peers[0].record.endpoint);
      for (const c of moved.columns) {
        const held = [...holderOf(c.endpoint).shards.values()].filter((s) => s.slotId === c.slotId);
        expect(held).to.have.length(moved.chunkCount + 1);
      }
      expect((await collect(download({ peers: source }, { handle: moved.handle }))).equals(bytes)).to.equal(true);
    });

    it('refuses to re-send a column when the source changed since it was first read', async () => {
      await fleet(4);
      peers[0].mode.failPutsAfter = 2;
      // Roomiest by far (record and status), so it is chosen (as above) and fails after two shards.
      peers[0].mode.freeBytes = 1e12;
      const source = staticPeerSource(peers.map((p, i) => (i === 0 ? { ...p.record, capacity: 10n ** 12n } : p.record)));
      let opened = 0;
      const changing: FileSource = {
        size: 4 * CHUNK,
        async *open() {
          opened += 1;
          yield new Uint8Array(4 * CHUNK).fill(opened);
        },
      };
      await expect(upload({ account, chainId: CHAIN_ID, master, peers: source }, { source: changing, name: 'x', chunkSize: CHUNK })).to.be.rejectedWith(
        FileChangedError,
      );
    });
  });

  describe('when there are fewer healthy peers than replicas', () => {
    it('fails with NotEnoughPeersError naming the counts', async () => {
      const source = await fleet(3);
      peers[1].mode.down = true;
      const err = await upload(
        { account, chainId: CHAIN_ID, master, peers: source },
        { source: bytesSource(randomBytes(10)), name: 'x', chunkSize: CHUNK, replicas: 3 },
      ).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(NotEnoughPeersError);
      expect((err as NotEnoughPeersError).needed).to.equal(3);
      expect((err as NotEnoughPeersError).healthy).to.equal(2);
      expect((err as NotEnoughPeersError).candidates).to.equal(3);
    });
  });

  describe('when holders fail during the download', () => {
    it('falls over to another column when a peer is down or serves altered bytes', async () => {
      const source = await fleet(3);
      const bytes = randomBytes(5 * CHUNK + 1);
      const result = await upload({ account, chainId: CHAIN_ID, master, peers: source }, { source: bytesSource(bytes), name: 'x', chunkSize: CHUNK });
      holderOf(result.columns[0].endpoint).mode.down = true;
      holderOf(result.columns[1].endpoint).mode.corruptGets = true;
      expect((await collect(download({ peers: source }, { handle: result.handle, window: 3 }))).equals(bytes)).to.equal(true);
    });

    it('names the lost chunks and why each column failed when no column can serve them', async () => {
      const source = await fleet(3);
      const result = await upload(
        { account, chainId: CHAIN_ID, master, peers: source },
        { source: bytesSource(randomBytes(4 * CHUNK)), name: 'x', chunkSize: CHUNK },
      );
      for (const c of result.columns) {
        const holder = holderOf(c.endpoint);
        holder.shards.delete(`${c.slotId}/2`);
        holder.shards.delete(`${c.slotId}/3`);
      }
      holderOf(result.columns[2].endpoint).mode.corruptGets = true;
      const err = await collect(download({ peers: source }, { handle: result.handle })).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ChunksLostError);
      expect((err as ChunksLostError).lost).to.deep.equal([2, 3]);
      const reasons = (err as ChunksLostError).columns;
      expect(reasons.map((c) => c.column).sort()).to.deep.equal([0, 1, 2]);
      expect(reasons.flatMap((c) => c.reasons).join('\n')).to.include('does not list shard 2');
    });

    it('leaves nothing behind when downloadToFile fails, and writes the file when it succeeds', async () => {
      const source = await fleet(3);
      const dir = await mkdtemp(path.join(os.tmpdir(), 'dhost-dl-'));
      try {
        const bytes = randomBytes(2 * CHUNK + 5);
        const result = await upload({ account, chainId: CHAIN_ID, master, peers: source }, { source: bytesSource(bytes), name: 'x', chunkSize: CHUNK });
        const outPath = path.join(dir, 'out.bin');
        const done = await downloadToFile({ peers: source }, { handle: result.handle, outPath });
        expect(done.bytes).to.equal(bytes.length);
        expect(done.manifest.name).to.equal('x');
        expect((await readFile(outPath)).equals(bytes)).to.equal(true);

        for (const p of peers) p.mode.corruptGets = true;
        const failedPath = path.join(dir, 'failed.bin');
        await expect(downloadToFile({ peers: source }, { handle: result.handle, outPath: failedPath })).to.be.rejectedWith(Error);
        expect(await readdir(dir)).to.deep.equal(['out.bin']);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('when no peer holds the file', () => {
    it('fails with NoColumnsFoundError', async () => {
      const source = await fleet(2);
      const handle = formatHandle({ fileId: randomFileId(), fileKey: new Uint8Array(32) });
      await expect(collect(download({ peers: source }, { handle }))).to.be.rejectedWith(NoColumnsFoundError);
    });
  });

  describe('under Reed-Solomon RS(4,2)', () => {
    const rs42 = { scheme: 'rs', dataShards: 4, parityShards: 2 } as const;
    const put = (source: ReturnType<typeof staticPeerSource>, bytes: Uint8Array, request?: HttpRequester) =>
      upload(
        { account, chainId: CHAIN_ID, master, peers: source, request },
        { source: bytesSource(bytes), name: 'rs.bin', chunkSize: CHUNK, redundancy: rs42 },
      );
    const heldBy = (result: Awaited<ReturnType<typeof put>>, column: number) => {
      const c = result.columns[column];
      return [...holderOf(c.endpoint).shards.values()].filter((s) => s.slotId === c.slotId);
    };

    it('stores stripeCount equal-length shards plus one shared manifest ciphertext per column, and gives back every size byte for byte', async () => {
      const source = await fleet(7);
      for (const size of [0, 1, CHUNK, 4 * CHUNK, 4 * CHUNK + 1, 9 * CHUNK + 77]) {
        const bytes = randomBytes(size);
        const result = await put(source, bytes);
        const stripeCount = Math.ceil(Math.ceil(size / CHUNK) / 4);
        expect(result.redundancy).to.deep.equal(rs42);
        expect(result.columns).to.have.length(6);
        expect(new Set(result.columns.map((c) => c.operator)).size).to.equal(6);
        expect(result.manifest.version).to.equal(2);
        const manifests = result.columns.map((_, j) => heldBy(result, j).find((s) => s.index === 'manifest')?.bytes as Buffer);
        for (const m of manifests) expect(m.equals(manifests[0])).to.equal(true);
        const lengths = result.columns.map((_, j) => heldBy(result, j).reduce((n, s) => n + s.bytes.length, 0));
        expect(new Set(lengths).size).to.equal(1, `size ${size}`);
        for (let j = 0; j < 6; j++) {
          const shards = heldBy(result, j).filter((s) => s.index !== 'manifest');
          expect(shards.map((s) => s.index).sort()).to.deep.equal(Array.from({ length: stripeCount }, (_, s) => s));
          for (const s of shards) expect(s.bytes.length).to.equal(CHUNK + 16);
        }
        if (size > 0) {
          // Every column differs in every stripe, padding included (keyed noise past the end of the
          // file), so no disk can answer for another column's slot with its own bytes.
          for (let s = 0; s < stripeCount; s++) {
            const shards = result.columns.map((_, j) => heldBy(result, j).find((x) => x.index === s)?.bytes as Buffer);
            expect(new Set(shards.map((b) => b.toString('hex'))).size, `size ${size}, stripe ${s}: every column differs`).to.equal(6);
          }
        }
        expect((await collect(download({ peers: source }, { handle: result.handle }))).equals(bytes)).to.equal(true, `size ${size}`);
      }
    });

    it('gives the file back with any m columns lost, and names every stripe when m + 1 are lost (property)', async () => {
      const source = await fleet(6);
      const bytes = randomBytes(9 * CHUNK + 5); // 3 stripes, the last one partial
      const result = await put(source, bytes);
      await fc.assert(
        fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }), async (lost) => {
          for (const p of peers) p.mode.down = false;
          for (const j of lost) holderOf(result.columns[j].endpoint).mode.down = true;
          const out = await collect(download({ peers: source }, { handle: result.handle })).catch((e: unknown) => e);
          if (lost.length <= 2) expect(Buffer.isBuffer(out) && out.equals(bytes)).to.equal(true, `lost ${lost}`);
          else {
            expect(out).to.be.instanceOf(StripesLostError);
            expect((out as StripesLostError).lost).to.deep.equal([0, 1, 2]);
          }
        }),
        { numRuns: 25 },
      );
    });

    it('rebuilds stripes from parity when data shards are deleted or altered on their peers', async () => {
      const source = await fleet(6);
      const bytes = randomBytes(8 * CHUNK);
      const result = await put(source, bytes);
      holderOf(result.columns[0].endpoint).shards.delete(`${result.columns[0].slotId}/1`);
      holderOf(result.columns[2].endpoint).mode.corruptGets = true;
      expect((await collect(download({ peers: source }, { handle: result.handle }))).equals(bytes)).to.equal(true);
      holderOf(result.columns[5].endpoint).shards.delete(`${result.columns[5].slotId}/1`);
      holderOf(result.columns[4].endpoint).shards.delete(`${result.columns[4].slotId}/1`);
      const err = await collect(download({ peers: source }, { handle: result.handle })).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(StripesLostError);
      expect((err as StripesLostError).lost).to.deep.equal([1]);
    });

    it('hedges: reads k + 1 columns per stripe, uses the first k that check out, and cancels a peer that never answers', async () => {
      const source = await fleet(6);
      const bytes = randomBytes(8 * CHUNK + 3);
      const result = await put(source, bytes);
      const stuck = new URL(result.columns[0].endpoint).origin;
      const log: { origin: string; path: string; outcome: 'answered' | 'cancelled' }[] = [];
      const http = nodeHttpRequester();
      // GETs of column 0's shards hang until cancelled: a peer that never answers.
      const request: HttpRequester = async (req) => {
        const url = new URL(req.url);
        if (req.method === 'GET' && url.origin === stuck && /\/shards\/\d+$/.test(url.pathname)) {
          return new Promise((_, reject) => {
            const cancel = () => {
              log.push({ origin: url.origin, path: url.pathname, outcome: 'cancelled' });
              reject(req.signal?.reason ?? new Error('aborted'));
            };
            if (req.signal?.aborted) return cancel();
            req.signal?.addEventListener('abort', cancel, { once: true });
          });
        }
        const answer = await http(req);
        if (/\/shards\/\d+$/.test(url.pathname)) log.push({ origin: url.origin, path: url.pathname, outcome: 'answered' });
        return answer;
      };
      const out = await collect(download({ peers: source, request }, { handle: result.handle }));
      expect(out.equals(bytes)).to.equal(true);
      const toStuck = log.filter((e) => e.origin === stuck);
      expect(toStuck.map((e) => e.outcome)).to.deep.equal(['cancelled', 'cancelled', 'cancelled']);
      // Per stripe: the three other data columns and one parity column answered (k + 1 started, one stuck).
      const answered = log.filter((e) => e.outcome === 'answered');
      expect(answered).to.have.length(3 * 4);
      const parityOrigins = new Set([4, 5].map((j) => new URL(result.columns[j].endpoint).origin));
      expect(answered.filter((e) => parityOrigins.has(e.origin))).to.have.length(3);
    });

    it('hedges late: while the k data columns answer in time, reads exactly k shards per stripe (no extra bytes)', async () => {
      const source = await fleet(6);
      const bytes = randomBytes(8 * CHUNK + 3);
      const result = await put(source, bytes);
      const gets: string[] = [];
      const http = nodeHttpRequester();
      const request: HttpRequester = async (req) => {
        const url = new URL(req.url);
        if (req.method === 'GET' && /\/shards\/\d+$/.test(url.pathname)) gets.push(url.origin);
        return http(req);
      };
      const out = await collect(download({ peers: source, request }, { handle: result.handle, hedgeAfterMs: 10_000 }));
      expect(out.equals(bytes)).to.equal(true);
      // Three stripes, four data shards each, none from a parity column.
      expect(gets).to.have.length(3 * 4);
      const parityOrigins = new Set([4, 5].map((j) => new URL(result.columns[j].endpoint).origin));
      expect(gets.filter((o) => parityOrigins.has(o))).to.have.length(0);
    });

    it('moves a column whose peer dies mid-upload to a spare, re-encoding the stripes it missed', async () => {
      const source = await fleet(7);
      const bytes = randomBytes(12 * CHUNK + 9);
      let victim: FakePeer | undefined;
      const counts = new Map<string, number>();
      const http = nodeHttpRequester();
      const request: HttpRequester = async (req) => {
        const origin = new URL(req.url).origin;
        if (req.method === 'PUT' && !victim) {
          const n = (counts.get(origin) ?? 0) + 1;
          counts.set(origin, n);
          if (n === 2) {
            victim = peers.find((p) => p.record.endpoint === origin);
            if (victim) victim.mode.down = true;
          }
        }
        return http(req);
      };
      const result = await put(source, bytes, request);
      expect(victim).to.not.equal(undefined);
      expect(result.moves).to.have.length(1);
      expect(result.columns.map((c) => c.endpoint)).to.not.include(victim?.record.endpoint);
      for (let j = 0; j < 6; j++) expect(heldBy(result, j)).to.have.length(4 + 1);
      if (victim) victim.mode.down = false;
      expect((await collect(download({ peers: source }, { handle: result.handle }))).equals(bytes)).to.equal(true);
    });

    it('defaults to RS(4,2) on a small network, and to fewer parity shards or replication when fewer peers are eligible', async () => {
      const eight = await fleet(8);
      const def = await upload({ account, chainId: CHAIN_ID, master, peers: eight }, { source: bytesSource(randomBytes(5)), name: 'd', chunkSize: CHUNK });
      expect(def.redundancy).to.deep.equal(rs42);
      expect(def.redundancyReason).to.equal(undefined);
      for (const p of peers.slice(3)) p.mode.down = true;
      const few = await upload({ account, chainId: CHAIN_ID, master, peers: eight }, { source: bytesSource(randomBytes(5)), name: 'd', chunkSize: CHUNK });
      expect(few.redundancy).to.deep.equal({ scheme: 'replicate', replicas: 3 });
      expect(few.redundancyReason).to.match(/3 eligible/);
      peers[3].mode.down = false;
      peers[4].mode.down = false;
      const five = await upload({ account, chainId: CHAIN_ID, master, peers: eight }, { source: bytesSource(randomBytes(5)), name: 'd', chunkSize: CHUNK });
      expect(five.redundancy).to.deep.equal({ scheme: 'rs', dataShards: 4, parityShards: 1 });
    });
  });
});
