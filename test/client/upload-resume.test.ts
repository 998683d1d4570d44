import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import hre from 'hardhat';
import type { privateKeyToAccount } from 'viem/accounts';
import { chainPeerSource, download, type HttpRequester, masterFromPrivateKey, nodeHttpRequester, type PeerSource, type Redundancy } from '../../client';
import { FileChangedError, UploadJournalError } from '../../client/errors';
import { resumeUpload } from '../../client/resume-upload';
import { getHoldings } from '../../client/transport/get-holdings';
import { readUploadJournal, uploadJournalMac } from '../../client/upload-journal';
import { listUploadJournals } from '../../client/upload-journal-list';
import { uploadWithJournal } from '../../client/upload-journaled';
import { connectChain } from '../../protocol/chain/connect';
import { rewardTokenAbi } from '../../protocol/chain/generated/abis';
import { readDeal } from '../../protocol/chain/market';
import type { FileId } from '../../protocol/ids';
import { startTestNetwork, type TestNetwork } from '../../scripts/testkit/network';

const CHUNK = 64 * 1024;
/** RS(4,2): 40 chunks → 10 stripes; 6 columns × (10 shards + 1 manifest) = 66 pieces. */
const CHUNKS = 40;
const RS = { scheme: 'rs', dataShards: 4, parityShards: 2 } as const;
const PIECES = 6 * (CHUNKS / 4 + 1);
const MTIME = 1_700_000_000;

/** One shard PUT as a peer received it. */
interface Put {
  origin: string;
  slotId: string;
  index: string;
}

/**
 * A requester that records every shard PUT the peers answered, and that can "die": once `crash`
 * is called, nothing more leaves and nothing in flight ever answers (as when the process is
 * killed), so the upload stops where it is without reaching its clean-up path.
 */
function recordingRequester(opts: { crashWhen?: (landed: Put[], next: Put, sent: Put[]) => boolean; crashOnNotice?: boolean } = {}) {
  const real = nodeHttpRequester();
  /** PUTs a peer answered with success. */
  const landed: Put[] = [];
  /** PUTs that left (answered or not: those in flight at the crash may have landed). */
  const sent: Put[] = [];
  let dead = false;
  /** Cuts what is in flight at the crash, as the kernel does to a killed process's sockets. */
  const cut = new AbortController();
  const requester: HttpRequester = async (req) => {
    if (dead) return new Promise(() => {});
    const url = new URL(req.url);
    const m = /^\/slots\/(0x[0-9a-f]{64})\/(?:shards\/([^/?]+)|(commit))$/.exec(url.pathname);
    const notice = req.method === 'PUT' && m?.[3] !== undefined;
    const put = req.method === 'PUT' && m && !notice ? { origin: url.origin, slotId: m[1], index: m[2] } : undefined;
    if (notice && opts.crashOnNotice) {
      dead = true;
      cut.abort();
    }
    if (put && opts.crashWhen?.(landed, put, sent)) {
      dead = true;
      cut.abort();
    }
    if (dead) return new Promise(() => {});
    if (put) sent.push(put);
    const answer = await real({ ...req, signal: req.signal ? AbortSignal.any([req.signal, cut.signal]) : cut.signal }).catch((err: unknown) => {
      if (dead) return new Promise<never>(() => {});
      throw err;
    });
    if (dead) return new Promise(() => {});
    if (put && answer.status >= 200 && answer.status < 300) landed.push(put);
    return answer;
  };
  return { requester, landed, sent, crashed: () => dead };
}

const keyOf = (p: Put) => `${p.slotId}/${p.index}`;

describe('resuming an upload a crash cut short (upload journal)', () => {
  let net: TestNetwork;
  let peers: PeerSource;
  let work: string;
  let home: string;
  let account: ReturnType<typeof privateKeyToAccount>;
  let master: Uint8Array;
  let marketplace: ReturnType<TestNetwork['marketplaceFor']>;

  before(async () => {
    net = await startTestNetwork(hre, { peers: 7 });
    const { publicClient } = await connectChain({ rpcUrl: net.rpcUrl });
    peers = chainPeerSource({ publicClient, registry: net.deployment.contracts.PeerRegistry });
    const user = await net.user(18);
    account = user.account;
    master = masterFromPrivateKey(user.key);
    marketplace = net.marketplaceFor(account);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-resume-'));
    home = path.join(work, 'home');
  });

  after(async () => {
    await net.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const depsWith = (request: HttpRequester) => ({ account, chainId: net.chainId, master, peers, marketplace, request, home });

  const writeSource = () => {
    const file = path.join(work, `in-${randomBytes(4).toString('hex')}.bin`);
    const bytes = randomBytes(CHUNKS * CHUNK - 123);
    fs.writeFileSync(file, bytes);
    // A whole-second time, so a test can put it back exactly after changing the bytes.
    fs.utimesSync(file, MTIME, MTIME);
    return { file, bytes };
  };

  const balance = () =>
    marketplace.publicClient.readContract({ address: marketplace.token, abi: rewardTokenAbi, functionName: 'balanceOf', args: [account.address] });

  const get = async (handle: string) => {
    const parts: Uint8Array[] = [];
    for await (const part of download({ peers, marketplace, account }, { handle })) parts.push(part);
    return Buffer.concat(parts);
  };

  /** Starts a journaled upload that "dies" when `crashWhen` says so; resolves once it has, with the journal it left. */
  const crashedUpload = async (
    file: string,
    crashWhen: (landed: Put[], next: Put, sent: Put[]) => boolean,
    crashOnNotice = false,
    redundancy: Redundancy = RS,
  ) => {
    const rec = recordingRequester({ crashWhen, crashOnNotice });
    const before = new Set(listUploadJournals({ home, master }).map((j) => j.file));
    const running = uploadWithJournal(depsWith(rec.requester), { path: file, redundancy, chunkSize: CHUNK, pollIntervalMs: 100 });
    running.catch(() => {});
    for (let i = 0; i < 600 && !rec.crashed(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(rec.crashed(), 'the upload reached the crash point').to.equal(true);
    const journals = listUploadJournals({ home, master }).filter((j) => !before.has(j.file));
    expect(journals).to.have.length(1);
    return { landed: rec.landed, sent: rec.sent, journal: journals[0] };
  };

  describe('when the client dies in the middle of the first pass', () => {
    it('sends only the shards that had not landed, in the same deal, and the file downloads byte for byte', async () => {
      const { file, bytes } = writeSource();
      const tokensBefore = await balance();
      const { landed, sent, journal } = await crashedUpload(file, (done) => done.length >= 25);
      expect(landed.length).to.be.at.least(25);
      expect(landed.some((p) => p.index === 'manifest')).to.equal(false);
      const dealId = journal.record.dealId as FileId;
      expect((await readDeal(marketplace, { market: marketplace.market, dealId }))?.root).to.match(/^0x0{64}$/);
      expect(fs.statSync(journal.file).mode & 0o777).to.equal(0o600);
      expect(fs.statSync(path.dirname(journal.file)).mode & 0o777).to.equal(0o700);
      expect(path.dirname(journal.file)).to.equal(path.join(home, 'pending-uploads'));
      // Every stripe that left has the plaintext hashes of its chunks on disk.
      const lastStripe = Math.max(...sent.filter((p) => p.index !== 'manifest').map((p) => Number(p.index)));
      expect(journal.plainHashes.length / 32).to.be.at.least((lastStripe + 1) * 4);

      const rec = recordingRequester();
      const result = await resumeUpload({ ...depsWith(rec.requester) }, { journal: dealId, pollIntervalMs: 100 });

      // Same deal, one escrow.
      expect(result.fileId).to.equal(dealId);
      expect(result.deal?.dealId).to.equal(dealId);
      expect(tokensBefore - (await balance())).to.equal(result.deal?.escrow);
      // Nothing that had landed went out again; everything else went out once.
      const before = new Set(landed.map(keyOf));
      const again = rec.landed.filter((p) => before.has(keyOf(p)));
      expect(again, 'shards sent twice').to.deep.equal([]);
      // What was in flight at the crash landed or not; either way each piece went out at most once after it.
      expect(result.resumed.piecesSkipped + rec.landed.length).to.equal(PIECES);
      expect(result.resumed.piecesSkipped).to.be.within(landed.length, sent.length);
      expect(new Set(rec.landed.map(keyOf)).size).to.equal(rec.landed.length);
      console.log(
        `      crash: ${landed.length} pieces answered, ${sent.length} sent; resume: ${result.resumed.piecesSkipped} held, ${rec.landed.length} sent; ${PIECES} pieces in all`,
      );
      expect(Buffer.compare(await get(result.handle), bytes)).to.equal(0);
      // The journal is gone, the keystore-free SDK call returned the handle.
      expect(fs.existsSync(journal.file)).to.equal(false);
    });
  });

  describe('when the client dies after the manifest copies were journaled', () => {
    it('stores the journaled manifest bytes, not a second encryption, and finishes', async () => {
      const { file, bytes } = writeSource();
      const { journal } = await crashedUpload(file, (_done, next, sent) => next.index === 'manifest' && sent.filter((p) => p.index === 'manifest').length >= 3);
      expect(journal.record.tails).to.have.length(6);
      const rec = recordingRequester();
      const result = await resumeUpload(depsWith(rec.requester), { journal: journal.file, pollIntervalMs: 100 });
      expect(result.resumed.piecesSkipped + rec.landed.length).to.equal(PIECES);
      // Only manifest copies were left, and the peers store exactly the bytes journaled (no second encryption).
      expect(rec.landed.every((p) => p.index === 'manifest')).to.equal(true);
      expect(rec.landed.length).to.be.within(4, 6);
      for (const c of result.columns) {
        const { holdings } = await getHoldings({}, { endpoint: c.endpoint, fileId: result.fileId });
        const stored = holdings.slots.find((s) => s.column === c.column)?.shards.find((x) => x.index === 'manifest');
        const journaled = journal.record.tails?.find((t) => t.column === c.column)?.pieces[0].bytes ?? '';
        expect(stored?.sha256).to.equal(createHash('sha256').update(Buffer.from(journaled, 'base64')).digest('hex'));
      }
      expect(Buffer.compare(await get(result.handle), bytes)).to.equal(0);
    });
  });

  describe('when a replicated upload (a manifest copy per column, each under its own key) dies after its manifest copies were journaled', () => {
    it('stores each column the copy journaled for it and finishes', async () => {
      const { file, bytes } = writeSource();
      const { journal } = await crashedUpload(
        file,
        (_done, next, sent) => next.index === 'manifest' && sent.filter((p) => p.index === 'manifest').length >= 1,
        false,
        { scheme: 'replicate', replicas: 3 },
      );
      const tails = journal.record.tails ?? [];
      expect(new Set(tails.map((t) => t.pieces[0].bytes)).size).to.equal(3);
      const rec = recordingRequester();
      const result = await resumeUpload(depsWith(rec.requester), { journal: journal.file, pollIntervalMs: 100 });
      expect(result.resumed.piecesSkipped + rec.landed.length).to.equal(3 * (CHUNKS + 1));
      expect(rec.landed.every((p) => p.index === 'manifest')).to.equal(true);
      expect(Buffer.compare(await get(result.handle), bytes)).to.equal(0);
    });
  });

  describe("when a column's peer died between the crash and the resume", () => {
    it('moves that column to a spare (the whole column goes there) and finishes', async () => {
      const { file, bytes } = writeSource();
      const { journal } = await crashedUpload(file, (done) => done.length >= 20);
      const gone = net.peers.find((p) => p.node && journal.record.columns.some((c) => c.column === 2 && c.operator.toLowerCase() === p.address.toLowerCase()));
      if (!gone) throw new Error('no test peer holds column 2');
      await net.stopPeer(gone.index);
      try {
        const rec = recordingRequester();
        const result = await resumeUpload(depsWith(rec.requester), { journal: journal.file, pollIntervalMs: 100 });
        expect(result.moves.map((m) => m.column)).to.deep.equal([2]);
        expect(result.columns[2].operator.toLowerCase()).to.not.equal(gone.address.toLowerCase());
        // The spare got all of column 2 (10 shards and the manifest).
        const spare = new URL(result.columns[2].endpoint).origin;
        expect(rec.landed.filter((p) => p.origin === spare)).to.have.length(CHUNKS / 4 + 1);
        expect(Buffer.compare(await get(result.handle), bytes)).to.equal(0);
      } finally {
        await net.restartPeer(gone.index);
      }
    });
  });

  describe('when the client dies after committing the deal root', () => {
    it('sends no shard again, does not commit twice, and the peers fill', async () => {
      const { file, bytes } = writeSource();
      const { journal } = await crashedUpload(file, () => false, true);
      const dealId = journal.record.dealId as FileId;
      expect((await readDeal(marketplace, { market: marketplace.market, dealId }))?.root).to.not.match(/^0x0{64}$/);
      const rec = recordingRequester();
      const result = await resumeUpload(depsWith(rec.requester), { journal: dealId, pollIntervalMs: 100 });
      expect(result.resumed.rootWasCommitted).to.equal(true);
      expect(rec.landed).to.deep.equal([]);
      expect(result.resumed.piecesSkipped).to.equal(PIECES);
      expect(result.deal?.filled).to.have.length(6);
      expect(Buffer.compare(await get(result.handle), bytes)).to.equal(0);
    });
  });

  describe('when the source changed between the crash and the resume', () => {
    it('refuses on a changed size or modification time before sending anything, and keeps the journal and the deal', async () => {
      const { file } = writeSource();
      const { journal } = await crashedUpload(file, (done) => done.length >= 10);
      fs.appendFileSync(file, 'more');
      const rec = recordingRequester();
      const err = await resumeUpload(depsWith(rec.requester), { journal: journal.file }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(FileChangedError);
      expect(rec.landed).to.deep.equal([]);
      expect(fs.existsSync(journal.file)).to.equal(true);
      const deal = await readDeal(marketplace, { market: marketplace.market, dealId: journal.record.dealId as FileId });
      expect(deal?.cancelled).to.equal(false);
    });

    it('refuses a chunk whose bytes changed under the same size and time, before encrypting it: nothing of its stripe or after is sent', async () => {
      const { file } = writeSource();
      const { landed, journal } = await crashedUpload(file, (done) => done.length >= 30);
      // Chunk 5 (stripe 1) went out before the crash: change it, keep size and modification time.
      expect(landed.some((p) => p.index === '1')).to.equal(true);
      const stat = fs.statSync(file);
      const fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, Buffer.from('changed!'), 0, 8, 5 * CHUNK + 100);
      fs.closeSync(fd);
      fs.utimesSync(file, MTIME, MTIME);
      expect(fs.statSync(file).mtimeMs).to.equal(stat.mtimeMs);
      const rec = recordingRequester();
      const err = await resumeUpload(depsWith(rec.requester), { journal: journal.file }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(FileChangedError);
      expect((err as FileChangedError).details.index).to.equal(5);
      expect(
        rec.landed.filter((p) => p.index !== '0'),
        'shards of the changed stripe or later',
      ).to.deep.equal([]);
      // The deal cannot be finished with the bytes already out: cancelled and refunded, the journal gone.
      const deal = await readDeal(marketplace, { market: marketplace.market, dealId: journal.record.dealId as FileId });
      expect(deal?.cancelled).to.equal(true);
      expect(fs.existsSync(journal.file)).to.equal(false);
    });
  });

  describe('when the journal was altered', () => {
    it('refuses a journal whose manifest date was edited (its MAC fails)', async () => {
      const { file } = writeSource();
      const { journal } = await crashedUpload(file, (done) => done.length >= 10);
      const body = JSON.parse(fs.readFileSync(journal.file, 'utf8'));
      body.createdAt = new Date(Date.parse(body.createdAt) + 1000).toISOString();
      fs.writeFileSync(journal.file, JSON.stringify(body));
      const rec = recordingRequester();
      const err = await resumeUpload(depsWith(rec.requester), { journal: journal.file }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(UploadJournalError);
      expect(rec.landed).to.deep.equal([]);
    });

    it('refuses a re-signed journal whose manifest date no longer matches the journaled manifest copies', async () => {
      const { file } = writeSource();
      const { journal } = await crashedUpload(file, (_done, next) => next.index === 'manifest');
      const { mac: _mac, ...body } = JSON.parse(fs.readFileSync(journal.file, 'utf8'));
      body.createdAt = new Date(Date.parse(body.createdAt) + 1000).toISOString();
      // As if the journal's own key had made the edit: only the manifest check is left to catch it.
      fs.writeFileSync(journal.file, JSON.stringify({ ...body, mac: uploadJournalMac({ master }, JSON.stringify(body)) }));
      expect(readUploadJournal({ master }, { file: journal.file }).record.createdAt).to.equal(body.createdAt);
      const rec = recordingRequester();
      const err = await resumeUpload(depsWith(rec.requester), { journal: journal.file }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(UploadJournalError);
      expect((err as UploadJournalError).message).to.match(/manifest/);
      expect(rec.landed.filter((p) => p.index === 'manifest')).to.deep.equal([]);
    });
  });
});
