import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import hre from 'hardhat';
import type { privateKeyToAccount } from 'viem/accounts';
import {
  ChunksLostError,
  chainPeerSource,
  download,
  downloadToFile,
  fileSource,
  type HttpRequester,
  masterFromPrivateKey,
  nodeHttpRequester,
  type PeerSource,
  type Redundancy,
  StripesLostError,
  upload,
} from '../../client';
import { selfIssuedAccess } from '../../client/access/self-issued-access';
import { connectChain } from '../../protocol/chain/connect';
import { MANIFEST_INDEX } from '../../protocol/column';
import { TOKEN_HEADER } from '../../protocol/retrieval-token';
import type { CollectGarbage } from '../../protocol/scavenger';
import { startTestNetwork, type TestNetwork } from '../../scripts/testkit/network';

const CHUNK = 64 * 1024;

describe('uploading and downloading files through real peers on a real chain', () => {
  let net: TestNetwork;
  let peers: PeerSource;
  let work: string;
  let account: ReturnType<typeof privateKeyToAccount>;
  let master: Uint8Array;
  let marketplace: ReturnType<TestNetwork['marketplaceFor']>;

  before(async () => {
    net = await startTestNetwork(hre, { peers: 7 });
    const { publicClient } = await connectChain({ rpcUrl: net.rpcUrl });
    peers = chainPeerSource({ publicClient, registry: net.deployment.contracts.PeerRegistry });
    const user = await net.user();
    account = user.account;
    master = masterFromPrivateKey(user.key);
    marketplace = net.marketplaceFor(account);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-roundtrip-'));
  });

  after(async () => {
    await net.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  afterEach(async () => {
    for (const p of net.peers) await net.restartPeer(p.index);
  });

  const writeFile = (name: string, bytes: Uint8Array) => {
    const file = path.join(work, name);
    fs.writeFileSync(file, bytes);
    return file;
  };

  const put = async (
    bytes: Uint8Array,
    opts: { replicas?: number; redundancy?: Redundancy; onProgress?: (p: { bytes: number }) => void; collectGarbage?: CollectGarbage | false } = {},
  ) => {
    const file = writeFile(`in-${randomBytes(4).toString('hex')}`, bytes);
    // Replication unless asked otherwise: most of these specifications are about three copies.
    const redundancy = opts.redundancy ?? { scheme: 'replicate', replicas: opts.replicas ?? 3 };
    return upload(
      { account, chainId: net.chainId, master, peers, marketplace, collectGarbage: opts.collectGarbage },
      { source: await fileSource(file), name: path.basename(file), chunkSize: CHUNK, redundancy, onProgress: opts.onProgress },
    );
  };

  const get = async (handle: string) => {
    const parts: Uint8Array[] = [];
    for await (const part of download({ peers, marketplace, account }, { handle })) parts.push(part);
    return Buffer.concat(parts);
  };

  /** Downloads with `reusePieces`: copies each piece before asking for the next; also returns how many pieces shared a buffer with an earlier one. */
  const getReusing = async (handle: string) => {
    const parts: Buffer[] = [];
    const seen = new Set<ArrayBufferLike>();
    let shared = 0;
    for await (const part of download({ peers, marketplace, account }, { handle, reusePieces: true })) {
      if (seen.has(part.buffer)) shared += 1;
      seen.add(part.buffer);
      parts.push(Buffer.from(part));
    }
    return { bytes: Buffer.concat(parts), shared };
  };

  const holderOf = (result: Awaited<ReturnType<typeof put>>, column: number) => {
    const c = result.columns.find((x) => x.column === column);
    const peer = net.peers.find((p) => p.address.toLowerCase() === c?.operator.toLowerCase());
    if (!c || !peer) throw new Error(`no holder for column ${column}`);
    return { column: c, peer };
  };

  it('gives back random files byte for byte, at every chunk boundary', async () => {
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17]) {
      const bytes = randomBytes(size);
      const result = await put(bytes);
      expect(result.size).to.equal(size);
      expect(result.columns).to.have.length(3);
      expect(Buffer.compare(await get(result.handle), bytes)).to.equal(0, `size ${size}`);
    }
  });

  it('gives back files of random sizes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5 * CHUNK }), async (size) => {
        const bytes = randomBytes(size);
        const result = await put(bytes);
        expect(Buffer.compare(await get(result.handle), bytes)).to.equal(0);
      }),
      { numRuns: 8 },
    );
  });

  it('gives back the same bytes when pieces are reused buffers decrypted in place (reusePieces)', async () => {
    for (const size of [1, CHUNK, 12 * CHUNK + 17]) {
      const bytes = randomBytes(size);
      const result = await put(bytes);
      const got = await getReusing(result.handle);
      expect(Buffer.compare(got.bytes, bytes)).to.equal(0, `size ${size}`);
      if (size > 8 * CHUNK) expect(got.shared).to.be.greaterThan(0);
    }
  });

  describe('memory: collections paced by the bytes received or sent', () => {
    const isMinor = (o: unknown) => JSON.stringify(o) === JSON.stringify({ type: 'minor' });
    const isMajor = (o: unknown) => JSON.stringify(o) === JSON.stringify({ type: 'major' });
    /** Downloads with `collectGarbage` (or `false`), counting the collections asked for. */
    const getCounting = async (handle: string, collect: 'count' | false) => {
      const asked: unknown[] = [];
      const collectGarbage = collect === 'count' ? (options?: unknown) => void asked.push(options) : false;
      const parts: Uint8Array[] = [];
      for await (const part of download({ peers, marketplace, account, collectGarbage }, { handle })) parts.push(part);
      return { bytes: Buffer.concat(parts), asked };
    };

    it('asks for a young collection after every 2 MiB of shards received, replicated or under RS(4,2)', async () => {
      const bytes = randomBytes(70 * CHUNK + 3);
      for (const redundancy of [
        { scheme: 'replicate', replicas: 3 },
        { scheme: 'rs', dataShards: 4, parityShards: 2 },
      ] as const) {
        const result = await put(bytes, { redundancy });
        const got = await getCounting(result.handle, 'count');
        expect(Buffer.compare(got.bytes, bytes)).to.equal(0);
        // At least the 71 (replicated) or 72 (four per stripe) shards of 64 KiB + 16 bytes: two young collections of 2 MiB.
        // (The first young one is followed by a full one, and later ones when heap and array buffers grew 16 MiB: protocol/scavenger's specification.)
        expect(got.asked.filter(isMinor).length, redundancy.scheme).to.be.within(2, 3);
        expect(got.asked.every((o) => isMinor(o) || isMajor(o))).to.equal(true);
      }
    });

    it('an upload asks the process’s gc for full collections only (the first after 2 MiB sent), and none with collectGarbage: false', async () => {
      const bytes = randomBytes(70 * CHUNK + 3);
      const calls: unknown[] = [];
      const holder = globalThis as { gc?: unknown };
      const before = holder.gc;
      holder.gc = (options?: unknown) => void calls.push(options);
      let paced: Awaited<ReturnType<typeof put>>;
      let off: Awaited<ReturnType<typeof put>>;
      let pacedCalls: unknown[];
      try {
        paced = await put(bytes, { redundancy: { scheme: 'rs', dataShards: 4, parityShards: 2 } });
        pacedCalls = calls.splice(0);
        off = await put(bytes, { collectGarbage: false });
      } finally {
        holder.gc = before;
      }
      expect(pacedCalls.length).to.be.greaterThan(0);
      expect(pacedCalls.every(isMajor)).to.equal(true);
      expect(calls).to.deep.equal([]);
      for (const result of [paced, off]) expect(Buffer.compare(await get(result.handle), bytes)).to.equal(0);
    });

    it('uses the process’s gc when Node exposes it, and none with collectGarbage: false', async () => {
      const bytes = randomBytes(40 * CHUNK);
      const result = await put(bytes);
      const calls: unknown[] = [];
      const holder = globalThis as { gc?: unknown };
      const before = holder.gc;
      holder.gc = (options?: unknown) => void calls.push(options);
      try {
        expect(Buffer.compare(await get(result.handle), bytes)).to.equal(0);
        expect(calls.filter(isMinor)).to.have.length(1);
        const asked = calls.length;
        const off = await getCounting(result.handle, false);
        expect(Buffer.compare(off.bytes, bytes)).to.equal(0);
        expect(calls).to.have.length(asked);
      } finally {
        holder.gc = before;
      }
    });
  });

  it('places the columns on distinct peers', async () => {
    const result = await put(randomBytes(2 * CHUNK));
    const operators = new Set(result.columns.map((c) => c.operator.toLowerCase()));
    expect(operators.size).to.equal(3);
  });

  describe('when two of the three column holders are stopped before download', () => {
    it('still downloads the file from the third', async () => {
      const bytes = randomBytes(4 * CHUNK + 5);
      const result = await put(bytes);
      await net.stopPeer(holderOf(result, 0).peer.index);
      await net.stopPeer(holderOf(result, 1).peer.index);
      expect(Buffer.compare(await get(result.handle), bytes)).to.equal(0);
    });
  });

  describe('when all three column holders are stopped', () => {
    it('fails with ChunksLostError and leaves no output file', async () => {
      const result = await put(randomBytes(2 * CHUNK));
      for (const c of [0, 1, 2]) await net.stopPeer(holderOf(result, c).peer.index);
      const outPath = path.join(work, 'lost.bin');
      const err = await downloadToFile({ peers, marketplace, account }, { handle: result.handle, outPath }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(Error);
      expect((err as Error).name).to.be.oneOf(['ChunksLostError', 'NoColumnsFoundError']);
      expect(fs.existsSync(outPath)).to.equal(false);
      expect(fs.readdirSync(work).filter((f) => f.startsWith('lost.bin'))).to.deep.equal([]);
    });
  });

  describe("when one holder's shard is corrupted on disk", () => {
    it('detects the bad hash and reads that chunk from another column', async () => {
      const bytes = randomBytes(3 * CHUNK);
      const result = await put(bytes);
      const { column, peer } = holderOf(result, 0);
      const shardFile = path.join(peer.dataDir, 'slots', column.slotId.slice(2, 4), column.slotId, '1');
      const data = fs.readFileSync(shardFile);
      data[100] ^= 0x01;
      fs.writeFileSync(shardFile, data);
      expect(Buffer.compare(await get(result.handle), bytes)).to.equal(0);
    });
  });

  describe('when every holder of one chunk has lost or corrupted it', () => {
    it('names the lost chunk in ChunksLostError', async () => {
      const result = await put(randomBytes(3 * CHUNK));
      for (const c of [0, 1, 2]) {
        const { column, peer } = holderOf(result, c);
        const shardFile = path.join(peer.dataDir, 'slots', column.slotId.slice(2, 4), column.slotId, '2');
        const data = fs.readFileSync(shardFile);
        data[0] ^= 0xff;
        fs.writeFileSync(shardFile, data);
      }
      const err = await get(result.handle).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ChunksLostError);
      expect((err as ChunksLostError).lost).to.deep.equal([2]);
      expect((err as ChunksLostError).columns.map((c) => c.column).sort()).to.deep.equal([0, 1, 2]);
    });
  });

  describe('when a peer is down during upload', () => {
    it('leaves it out at placement and the file is complete on three others', async () => {
      await net.stopPeer(0);
      const bytes = randomBytes(2 * CHUNK + 3);
      const result = await put(bytes);
      expect(result.columns.map((c) => c.operator.toLowerCase())).to.not.include(net.peers[0].address.toLowerCase());
      expect(Buffer.compare(await get(result.handle), bytes)).to.equal(0);
    });

    it('moves the whole column to a spare when its peer dies mid-upload', async () => {
      const bytes = randomBytes(8 * CHUNK);
      // The third shard PUT that reaches any peer first stops that peer for real, then goes out
      // (and meets a closed port), as when a host dies in the middle of an upload.
      let killed: number | undefined;
      const puts = new Map<string, number>();
      const http = nodeHttpRequester();
      const faulty: HttpRequester = async (req) => {
        const url = new URL(req.url);
        if (req.method === 'PUT' && killed === undefined) {
          const n = (puts.get(url.origin) ?? 0) + 1;
          puts.set(url.origin, n);
          if (n === 3) {
            const victim = net.peers.find((p) => p.node?.url === url.origin);
            if (victim) {
              killed = victim.index;
              await net.stopPeer(victim.index);
            }
          }
        }
        return http(req);
      };
      const file = writeFile('mid-upload.bin', bytes);
      const result = await upload(
        { account, chainId: net.chainId, master, peers, marketplace, request: faulty },
        { source: await fileSource(file), name: 'mid-upload.bin', chunkSize: CHUNK, replicas: 3 },
      );
      expect(killed).to.not.equal(undefined);
      expect(result.columns.map((c) => c.operator.toLowerCase())).to.not.include(net.peers[killed ?? 0].address.toLowerCase());
      const operators = result.columns.map((c) => c.operator.toLowerCase());
      expect(new Set(operators).size).to.equal(3);
      expect(Buffer.compare(await get(result.handle), bytes)).to.equal(0);
      // Each column's manifest landed on its final holder.
      const access = await selfIssuedAccess({ account }, { chainId: net.chainId, market: marketplace.market, dealId: result.fileId });
      for (const c of result.columns) {
        const holder = net.peers.find((p) => p.address.toLowerCase() === c.operator.toLowerCase());
        expect(holder?.node, 'final holder runs').to.not.equal(undefined);
        const res = await fetch(`${holder?.node?.url}/slots/${c.slotId}/shards/${MANIFEST_INDEX}`, {
          method: 'HEAD',
          headers: { [TOKEN_HEADER]: access.token },
        });
        expect(res.status).to.equal(200);
      }
    });
  });

  describe('under Reed-Solomon RS(4,2)', () => {
    const rs42 = { scheme: 'rs', dataShards: 4, parityShards: 2 } as const;

    it('gives back files of every stripe shape byte for byte, with a deal over six distinct peers', async () => {
      for (const size of [0, 1, 4 * CHUNK, 4 * CHUNK + 1, 6 * CHUNK + 17]) {
        const bytes = randomBytes(size);
        const result = await put(bytes, { redundancy: rs42 });
        expect(result.redundancy).to.deep.equal(rs42);
        expect(new Set(result.columns.map((c) => c.operator.toLowerCase())).size).to.equal(6);
        expect(result.deal?.filled).to.have.length(6);
        expect(Buffer.compare(await get(result.handle), bytes)).to.equal(0, `size ${size}`);
      }
    });

    it('uses RS(4,2) by default on a seven-peer network', async () => {
      const file = writeFile('default.bin', randomBytes(CHUNK));
      const result = await upload(
        { account, chainId: net.chainId, master, peers, marketplace },
        { source: await fileSource(file), name: 'default.bin', chunkSize: CHUNK },
      );
      expect(result.redundancy).to.deep.equal(rs42);
    });

    it('survives any two stopped column holders and names every stripe when three are stopped', async () => {
      const bytes = randomBytes(9 * CHUNK + 5);
      const result = await put(bytes, { redundancy: rs42 });
      for (const lost of [
        [0, 1],
        [2, 5],
        [3, 4],
      ]) {
        for (const j of lost) await net.stopPeer(holderOf(result, j).peer.index);
        expect(Buffer.compare(await get(result.handle), bytes)).to.equal(0, `columns ${lost} stopped`);
        for (const j of lost) await net.restartPeer(holderOf(result, j).peer.index);
      }
      for (const j of [0, 3, 5]) await net.stopPeer(holderOf(result, j).peer.index);
      const err = await get(result.handle).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(StripesLostError);
      expect((err as StripesLostError).lost).to.deep.equal([0, 1, 2]);
    });

    it('gives back the same bytes with reusePieces, read whole or rebuilt from parity', async () => {
      const bytes = randomBytes(16 * CHUNK + 5);
      const result = await put(bytes, { redundancy: rs42 });
      const whole = await getReusing(result.handle);
      expect(Buffer.compare(whole.bytes, bytes)).to.equal(0);
      expect(whole.shared).to.be.greaterThan(0);
      await net.stopPeer(holderOf(result, 1).peer.index);
      const rebuilt = await getReusing(result.handle);
      expect(Buffer.compare(rebuilt.bytes, bytes)).to.equal(0);
    });

    it('rebuilds a stripe whose data shards were corrupted on disk', async () => {
      const bytes = randomBytes(8 * CHUNK);
      const result = await put(bytes, { redundancy: rs42 });
      for (const j of [1, 2]) {
        const { column, peer } = holderOf(result, j);
        const shardFile = path.join(peer.dataDir, 'slots', column.slotId.slice(2, 4), column.slotId, '1');
        const data = fs.readFileSync(shardFile);
        data[7] ^= 0x01;
        fs.writeFileSync(shardFile, data);
      }
      expect(Buffer.compare(await get(result.handle), bytes)).to.equal(0);
    });
  });
});
