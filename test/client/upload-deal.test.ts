import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import hre from 'hardhat';
import { bytesToHex, type Hex, hexToBytes, recoverTypedDataAddress } from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { listDeals } from '../../client/deal/list-deals';
import { readChainHolders } from '../../client/deal/read-holders';
import { download } from '../../client/download';
import { ChainUnavailableError, SlotNotFilledError } from '../../client/errors';
import { bytesSource } from '../../client/file-source';
import { masterFromPrivateKey } from '../../client/keys';
import { chainPeerSource, staticPeerSource } from '../../client/peer-source';
import type { Progress } from '../../client/progress';
import { type UploadDeps, upload } from '../../client/upload';
import { marketplaceAbi, peerRegistryAbi, rewardTokenAbi } from '../../protocol/chain/generated/abis';
import { ASSIGNMENT_HEADER, assignmentTypedData, parseAssignmentHeader, readDeal } from '../../protocol/chain/market';
import { type FileId, randomFileId, slotIdOf } from '../../protocol/ids';
import { createKeccakHasher, dealRootOf, SegmentTreeBuilder } from '../../protocol/merkle';
import { signStatus } from '../../protocol/status-signing';
import { hardhatKey } from '../../scripts/testkit/chain';
import { fundOwners, type MarketChain, startMarketChain } from '../../scripts/testkit/node/market-chain';

const CHUNK = 4096;
const TOKEN = 10n ** 18n;
/** Seconds a peer has to fill: long enough that a fill never races the deadline; tests move the chain's clock past it. */
const FILL_TIMEOUT = 120;

/**
 * A stand-in peer registered on the real chain, only as much as the client's deal specifications
 * need: it keeps what it is sent, refuses writes without a valid assignment for itself from the
 * deal's owner, builds the segment tree of the bytes *it* stored (shards in index order, then the
 * manifest), and fills its slot once the deal root holds that root. The real node is covered by the
 * node and integration suites.
 */
interface FillingPeer {
  account: PrivateKeyAccount;
  endpoint: string;
  /** slot id → index → bytes. */
  slots: Map<string, Map<number | 'manifest', Buffer>>;
  /** slot id → the root of the bytes stored, once the manifest came. */
  roots: Map<string, Hex>;
  mode: { neverFills?: boolean; freeBytes?: number; failPutsAfter?: number };
  puts: number;
  close(): Promise<void>;
}

async function startFillingPeer(chain: MarketChain, key: Hex, pricePerGiBEpoch: bigint): Promise<FillingPeer> {
  const account = privateKeyToAccount(key);
  const wallet = chain.wallet(key);
  const peer: FillingPeer = { account, endpoint: '', slots: new Map(), roots: new Map(), mode: {}, puts: 0, close: async () => {} };
  /** slot id → the owner's assignment to this peer, from the writes. */
  const assignments = new Map<string, { dealId: FileId; column: number; deadline: bigint; signature: Hex }>();
  /** Builds the root of the bytes stored once the manifest came. */
  const rootOfStored = async (slotId: string) => {
    const stored = peer.slots.get(slotId) as Map<number | 'manifest', Buffer>;
    const tree = await SegmentTreeBuilder.create();
    const indices = [...stored.keys()].filter((k): k is number => k !== 'manifest').sort((a, b) => a - b);
    for (const i of indices) tree.write(stored.get(i) as Buffer);
    tree.write(stored.get('manifest') as Buffer);
    peer.roots.set(slotId, bytesToHex(tree.finish().root));
  };
  /** Fills with the notice's proof, after checking its slot root is the root of what it stored. */
  const fill = async (slotId: string, notice: { slotRoot: Hex; rootProof: Hex[] }) => {
    const a = assignments.get(slotId);
    if (!a || peer.roots.get(slotId) !== notice.slotRoot || peer.mode.neverFills) return;
    const { request } = await chain.publicClient.simulateContract({
      account,
      address: chain.market,
      abi: marketplaceAbi,
      functionName: 'fillSlot',
      args: [a.dealId, a.column, notice.slotRoot, notice.rootProof, a.deadline, a.signature],
    });
    await chain.publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract(request) });
  };
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const shard = /^\/slots\/(0x[0-9a-f]{64})\/shards\/(\d+|manifest)$/.exec(url.pathname);
      const commit = /^\/slots\/(0x[0-9a-f]{64})\/commit$/.exec(url.pathname);
      if (commit && req.method === 'PUT') {
        const notice = JSON.parse(Buffer.concat(parts).toString('utf8')) as { slotRoot: Hex; rootProof: Hex[] };
        if (!peer.roots.has(commit[1])) return json(res, 409, { error: { code: 'SLOT_NOT_HELD', message: 'no such slot' } });
        fill(commit[1], notice).catch(() => {});
        return json(res, 201, { slotId: commit[1], created: true });
      }
      if (req.method === 'GET' && url.pathname === '/status') {
        const free = peer.mode.freeBytes ?? 1e9;
        const status = {
          address: account.address,
          chainId: chain.chainId,
          version: '0.1.0',
          capacityBytes: free,
          usedBytes: 0,
          freeBytes: free,
          slots: 0,
          shards: 0,
          maxShardBytes: 17 * 1024 * 1024,
          uptimeSeconds: 1,
        };
        // Signed with the peer's operator key, as a real node does (clients refuse an unsigned status).
        signStatus({ signer: account }, { status, signedAt: Math.floor(Date.now() / 1000) }).then(
          (signed) => json(res, 200, signed),
          () => json(res, 500, { error: { code: 'INTERNAL_ERROR', message: 'signing failed' } }),
        );
        return;
      }
      if (req.method === 'GET' && url.pathname.startsWith('/files/')) {
        const fileId = url.pathname.slice('/files/'.length) as FileId;
        const slots = [];
        for (let column = 0; column < 8; column++) {
          const slotId = slotIdOf(fileId, column);
          const stored = peer.slots.get(slotId);
          if (!stored) continue;
          const shards = [...stored].map(([index, bytes]) => ({ index, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }));
          slots.push({ slotId, column, owner: account.address, shards, bytes: shards.reduce((n, s) => n + s.size, 0) });
        }
        return json(res, 200, { fileId, slots });
      }
      if (shard && req.method === 'PUT') {
        const body = Buffer.concat(parts);
        const dealId = url.searchParams.get('fileId') as FileId;
        const column = Number(url.searchParams.get('column'));
        const deal = await readDeal(chain, { market: chain.market, dealId });
        const header = req.headers[ASSIGNMENT_HEADER] as string | undefined;
        if (!deal || !header) return json(res, 403, { error: { code: 'NO_DEAL', message: 'no deal or no assignment' } });
        const { deadline, signature } = parseAssignmentHeader(header);
        const signer = await recoverTypedDataAddress({
          ...assignmentTypedData({ chainId: chain.chainId, market: chain.market, dealId, column, peer: account.address, deadline }),
          signature,
        });
        if (signer !== deal.owner) return json(res, 403, { error: { code: 'NOT_ASSIGNED', message: 'assignment is not for this peer' } });
        peer.puts += 1;
        if (peer.mode.failPutsAfter !== undefined && peer.puts > peer.mode.failPutsAfter)
          return json(res, 500, { error: { code: 'INTERNAL', message: 'disk on fire' } });
        const stored = peer.slots.get(shard[1]) ?? new Map();
        peer.slots.set(shard[1], stored);
        const index = shard[2] === 'manifest' ? 'manifest' : Number(shard[2]);
        stored.set(index, body);
        assignments.set(shard[1], { dealId, column, deadline, signature });
        if (index === 'manifest') await rootOfStored(shard[1]);
        return json(res, 201, { slotId: shard[1], index, size: body.length, sha256: createHash('sha256').update(body).digest('hex'), created: true });
      }
      if (shard && req.method === 'GET') {
        const bytes = peer.slots.get(shard[1])?.get(shard[2] === 'manifest' ? 'manifest' : Number(shard[2]));
        if (!bytes) return json(res, 404, { error: { code: 'NOT_FOUND', message: 'no such shard' } });
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return res.end(bytes);
      }
      json(res, 404, { error: { code: 'NOT_FOUND', message: 'no route' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  peer.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  peer.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });

  const registry = chain.deployment.contracts.PeerRegistry;
  const stake = 100_000n * TOKEN;
  const approve = await wallet.writeContract({
    address: chain.deployment.contracts.RewardToken,
    abi: rewardTokenAbi,
    functionName: 'approve',
    args: [registry, stake],
  });
  await chain.publicClient.waitForTransactionReceipt({ hash: approve });
  const register = await wallet.writeContract({
    address: registry,
    abi: peerRegistryAbi,
    functionName: 'register',
    args: [peer.endpoint, 10n ** 12n, pricePerGiBEpoch, stake],
  });
  await chain.publicClient.waitForTransactionReceipt({ hash: register });
  return peer;
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

describe('uploading with a deal', () => {
  let chain: MarketChain;
  let peers: FillingPeer[];
  const ownerKey = hardhatKey(10);
  const peerKeys = [14, 15, 16, 17].map((i) => hardhatKey(i));
  const account = privateKeyToAccount(ownerKey);
  const master = masterFromPrivateKey(ownerKey);
  // Prices per GiB-epoch: 1, 2, 3, 4 tokens.
  const prices = [1n, 2n, 3n, 4n].map((n) => n * TOKEN);

  before(async () => {
    chain = await startMarketChain(hre);
    await fundOwners(chain, [ownerKey, ...peerKeys]);
    peers = [];
    for (const [i, key] of peerKeys.entries()) peers.push(await startFillingPeer(chain, key, prices[i]));
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await chain.close();
  });
  afterEach(() => {
    for (const p of peers) p.mode = {};
  });

  const balanceOfOwner = () =>
    chain.publicClient.readContract({
      address: chain.deployment.contracts.RewardToken,
      abi: rewardTokenAbi,
      functionName: 'balanceOf',
      args: [account.address],
    });
  const deps = (): UploadDeps => ({
    account,
    chainId: chain.chainId,
    master,
    peers: chainPeerSource({ publicClient: chain.publicClient, registry: chain.deployment.contracts.PeerRegistry }),
    marketplace: {
      publicClient: chain.publicClient,
      walletClient: chain.wallet(ownerKey),
      market: chain.market,
      token: chain.deployment.contracts.RewardToken,
    },
  });
  const peerOf = (operator: string) => peers.find((p) => p.account.address === operator) as FillingPeer;

  it('opens the deal at the highest asking price, commits the roots of exactly what each peer stored, and waits for every fill', async () => {
    const bytes = randomBytes(5 * CHUNK + 77);
    const progress: Progress[] = [];
    const result = await upload(deps(), {
      source: bytesSource(bytes),
      name: 'deal.bin',
      chunkSize: CHUNK,
      epochs: 7,
      pollIntervalMs: 50,
      onProgress: (p) => progress.push(p),
    });
    const deal = result.deal;
    if (!deal) throw new Error('no deal in the result');
    expect(deal.dealId).to.equal(result.fileId);
    const chosenPrices = result.columns.map((c) => prices[peers.indexOf(peerOf(c.operator))]);
    const highest = [...chosenPrices].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))[0];
    expect(deal.pricePerSlotEpoch).to.equal((highest * deal.bytesPerSlot + 2n ** 30n - 1n) / 2n ** 30n);
    expect(deal.escrow).to.equal(3n * 7n * deal.pricePerSlotEpoch);

    const onChain = await readDeal(chain, { market: chain.market, dealId: deal.dealId });
    expect(onChain?.endEpoch).to.equal(deal.endEpoch);
    expect(onChain?.segmentCount).to.equal(BigInt(deal.segmentCount));
    for (const c of result.columns) {
      const stored = peerOf(c.operator).roots.get(c.slotId);
      expect(stored, `root of what column ${c.column}'s peer stored`).to.equal(deal.slotRoots[c.column]);
    }
    const keccak = await createKeccakHasher();
    expect(onChain?.root).to.equal(deal.root);
    expect(deal.root).to.equal(
      bytesToHex(
        dealRootOf(
          keccak,
          deal.slotRoots.map((r) => hexToBytes(r)),
        ),
      ),
    );
    expect(deal.filled).to.deep.equal(result.columns.map((c) => ({ column: c.column, peer: c.operator })));
    expect(progress.filter((p) => p.phase === 'fill').at(-1)).to.deep.equal({ phase: 'fill', bytes: 3, totalBytes: 3 });
  });

  it('downloads through the chain: the slots name the holders, no peer list needed', async () => {
    const bytes = randomBytes(3 * CHUNK + 5);
    const result = await upload(deps(), { source: bytesSource(bytes), name: 'x', chunkSize: CHUNK, pollIntervalMs: 50 });
    const back = await collect(
      download(
        {
          peers: staticPeerSource([]),
          marketplace: { publicClient: chain.publicClient, market: chain.market, registry: chain.deployment.contracts.PeerRegistry },
          account,
        },
        { handle: result.handle },
      ),
    );
    expect(back.equals(bytes)).to.equal(true);
  });

  it('reads the holders from the filled slots and registry endpoints, and nothing for a file without a deal (download then asks the active peers)', async () => {
    const result = await upload(deps(), { source: bytesSource(randomBytes(10)), name: 'h', chunkSize: CHUNK, pollIntervalMs: 50 });
    const ids = { market: chain.market, registry: chain.deployment.contracts.PeerRegistry };
    const holders = await readChainHolders({ publicClient: chain.publicClient }, { ...ids, dealId: result.fileId });
    expect(holders).to.deep.equal(result.columns.map((c) => ({ column: c.column, operator: c.operator, endpoint: c.endpoint })));
    expect(await readChainHolders({ publicClient: chain.publicClient }, { ...ids, dealId: randomFileId() })).to.equal(undefined);
  });

  it("lists the owner's deals from the chain with their expiry", async () => {
    const result = await upload(deps(), { source: bytesSource(randomBytes(100)), name: 'y', chunkSize: CHUNK, epochs: 3, pollIntervalMs: 50 });
    const deals = await listDeals({ publicClient: chain.publicClient, market: chain.market }, { owner: account.address, pageSize: 1 });
    const mine = deals.find((d) => d.dealId === result.fileId);
    expect(mine?.endEpoch).to.equal(result.deal?.endEpoch);
    expect(mine?.endsSoon).to.equal(true);
    expect(deals.map((d) => d.dealId)).to.include.members([result.fileId]);
    expect(deals.length).to.be.at.least(3);
  });

  describe('when a column peer fails during the stream', () => {
    it('moves the column to a spare under a new assignment signed for the spare, which fills the slot', async () => {
      peers[0].mode = { freeBytes: 1e12, failPutsAfter: peers[0].puts + 2 };
      const bytes = randomBytes(6 * CHUNK);
      const result = await upload(deps(), { source: bytesSource(bytes), name: 'v', chunkSize: CHUNK, pollIntervalMs: 50 });
      expect(result.moves).to.have.length(1);
      expect(result.moves[0].from).to.equal(peers[0].endpoint);
      const moved = result.columns[result.moves[0].column];
      // The spare refuses writes whose assignment is not for itself, so holding the column proves the re-signing.
      expect(peerOf(moved.operator).slots.get(moved.slotId)?.size).to.equal(result.chunkCount + 1);
      expect(result.deal?.filled.find((f) => f.column === moved.column)?.peer).to.equal(moved.operator);
      expect(peerOf(moved.operator).roots.get(moved.slotId)).to.equal(result.deal?.slotRoots[moved.column]);
    });
  });

  describe("when the chain's endpoint fails to answer while assignments are signed", () => {
    /** The test chain's client, whose `getBlock` throws for the first `failures` calls (all calls when Infinity). */
    const flakyDeps = (failures: number) => {
      let calls = 0;
      const publicClient = new Proxy(chain.publicClient, {
        get(target, key, receiver) {
          if (key !== 'getBlock') return Reflect.get(target, key, receiver);
          return async (...args: Parameters<typeof target.getBlock>) => {
            calls += 1;
            if (calls <= failures) throw new Error('HTTP request timed out (simulated)');
            return target.getBlock(...args);
          };
        },
      });
      const given = deps();
      return { deps: { ...given, marketplace: { ...(given.marketplace as NonNullable<UploadDeps['marketplace']>), publicClient } }, calls: () => calls };
    };

    it('asks again, and no peer is blamed: the upload completes with no column moved', async () => {
      const flaky = flakyDeps(2);
      const bytes = randomBytes(2 * CHUNK + 3);
      const result = await upload(flaky.deps, { source: bytesSource(bytes), name: 'flaky', chunkSize: CHUNK, pollIntervalMs: 50 });
      expect(flaky.calls()).to.be.greaterThan(2);
      expect(result.moves).to.deep.equal([]);
      expect(result.deal?.filled).to.have.length(result.columns.length);
    });

    it('fails with ChainUnavailableError, not NoSparePeerError, when the chain never answers, and moves no column', async () => {
      const flaky = flakyDeps(Number.POSITIVE_INFINITY);
      const err = await upload(flaky.deps, { source: bytesSource(randomBytes(CHUNK)), name: 'down', chunkSize: CHUNK, pollIntervalMs: 50 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ChainUnavailableError);
      expect((err as ChainUnavailableError).code).to.equal('CHAIN_UNAVAILABLE');
      expect((err as ChainUnavailableError).details.attempts).to.equal(4);
    });
  });

  describe('when a peer does not fill its slot by the deadline', () => {
    /** Moves the chain past the fill deadlines once `filled` slots are filled (Hardhat's clock runs ahead of the wall clock, so tests steer it). */
    const passDeadlinesAfter = (filled: number) => {
      let done = false;
      return (p: Progress) => {
        if (done || p.phase !== 'fill' || p.bytes !== filled) return;
        done = true;
        void hre.network.provider
          .request({ method: 'evm_increaseTime', params: [FILL_TIMEOUT + 1] })
          .then(() => hre.network.provider.request({ method: 'evm_mine' }));
      };
    };

    it('reassigns the slot to a spare, re-sends the column there, and waits for that fill', async () => {
      peers[0].mode = { neverFills: true, freeBytes: 1e12 };
      const bytes = randomBytes(2 * CHUNK + 1);
      const result = await upload(deps(), {
        source: bytesSource(bytes),
        name: 'z',
        chunkSize: CHUNK,
        fillTimeoutSeconds: FILL_TIMEOUT,
        pollIntervalMs: 50,
        onProgress: passDeadlinesAfter(2),
      });
      expect(result.moves).to.have.length(1);
      expect(result.moves[0].from).to.equal(peers[0].endpoint);
      const moved = result.columns[result.moves[0].column];
      expect(moved.endpoint).to.equal(result.moves[0].to);
      expect(result.deal?.filled.map((f) => f.peer)).to.not.include(peers[0].account.address);
      expect(result.deal?.filled.find((f) => f.column === moved.column)?.peer).to.equal(moved.operator);
      expect(peerOf(moved.operator).roots.get(moved.slotId)).to.equal(result.deal?.slotRoots[moved.column]);
    });

    it('stops waiting when the caller aborts', async () => {
      peers[0].mode = { neverFills: true, freeBytes: 1e12 };
      const stop = new AbortController();
      const reason = new Error('user pressed ctrl-c');
      const err = await upload(deps(), {
        source: bytesSource(randomBytes(CHUNK)),
        name: 'u',
        chunkSize: CHUNK,
        fillTimeoutSeconds: FILL_TIMEOUT,
        pollIntervalMs: 50,
        signal: stop.signal,
        onProgress: (p) => {
          if (p.phase === 'fill' && p.bytes === 2) stop.abort(reason);
        },
      }).catch((e: unknown) => e);
      expect(err).to.equal(reason);
    });

    it('fails with SlotNotFilledError naming the column when no spare is left, cancels the deal and takes the unearned escrow back', async () => {
      peers[0].mode = { neverFills: true, freeBytes: 1e12 };
      peers[3].mode = { freeBytes: 1 }; // too small for a column: no spare
      const before = await balanceOfOwner();
      const err = await upload(deps(), {
        source: bytesSource(randomBytes(CHUNK)),
        name: 'w',
        chunkSize: CHUNK,
        fillTimeoutSeconds: FILL_TIMEOUT,
        pollIntervalMs: 50,
        onProgress: passDeadlinesAfter(2),
      }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(SlotNotFilledError);
      expect((err as SlotNotFilledError).columns).to.deep.equal([0]);
      const dealId = (err as SlotNotFilledError).details.dealId as FileId;
      const deal = await readDeal(chain, { market: chain.market, dealId });
      expect(deal?.cancelled).to.equal(true);
      // What the escrow still holds is owed to the two slots that were filled (their pay to date and
      // the fill minimum): nothing unearned is left, and the owner paid exactly that.
      expect((err as SlotNotFilledError).details.refund).to.deep.equal({ cancelled: true, escrowLeft: String(deal?.escrow) });
      expect(before - (await balanceOfOwner())).to.equal(deal?.escrow);
    });
  });
});
