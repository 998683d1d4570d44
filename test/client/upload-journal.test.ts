import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Address } from 'viem';
import { UploadJournalError } from '../../client/errors';
import type { PlacedPeer } from '../../client/placement';
import { readUploadJournal, uploadJournalHashesPath, uploadJournalPath } from '../../client/upload-journal';
import { listUploadJournals } from '../../client/upload-journal-list';
import { uploadJournalWriter } from '../../client/upload-journal-writer';
import { type FileId, randomFileId } from '../../protocol/ids';

const peer = (i: number): PlacedPeer => ({
  operator: `0x${String(i).padStart(40, '0')}` as Address,
  endpoint: `http://127.0.0.1:${7000 + i}`,
  freeBytes: 1 << 30,
  maxShardBytes: 1 << 24,
  pricePerGiBEpoch: 10n ** 15n,
  rttMs: 1,
  score: 1,
  factors: { space: 1, latency: 1, price: 1, reputation: 1, uptime: 1 },
});

describe('upload journal', () => {
  let home: string;
  const master = randomBytes(32);

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-journal-'));
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  const started = async () => {
    const dealId = randomFileId();
    const writer = uploadJournalWriter(
      { home, master },
      {
        files: [{ path: '/tmp/a.bin', name: 'a.bin', mediaType: 'application/octet-stream', size: 10, mtimeMs: 1 }],
        chunkSize: 4096,
        epochs: 3,
        fillTimeoutSeconds: 600,
      },
    );
    await writer.checkpoints.planned?.({
      dealId,
      fileIds: [dealId],
      createdAt: '2026-01-01T00:00:00.000Z',
      redundancy: { scheme: 'rs', dataShards: 2, parityShards: 1 },
      chunkSize: 4096,
      chosen: [peer(1), peer(2), peer(3)],
      spares: [peer(4)],
    });
    return { dealId, writer, file: uploadJournalPath({ home }, dealId) };
  };

  it('is written at the planned checkpoint, private (0600 in a 0700 folder), and reads back with its MAC checked', async () => {
    const { dealId, writer, file } = await started();
    expect(writer.file).to.equal(file);
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).to.equal(0o700);
    const { record } = readUploadJournal({ master }, { file });
    expect(record.dealId).to.equal(dealId);
    expect(record.createdAt).to.equal('2026-01-01T00:00:00.000Z');
    expect(record.columns.map((c) => c.endpoint)).to.deep.equal(['http://127.0.0.1:7001', 'http://127.0.0.1:7002', 'http://127.0.0.1:7003']);
    expect(record.opened).to.equal(null);
    expect(fs.readdirSync(path.dirname(file)).filter((n) => n.endsWith('.tmp'))).to.deep.equal([]);
  });

  it('records a column move and the spares left', async () => {
    const { writer, file } = await started();
    writer.checkpoints.moved?.(1, peer(4), []);
    const { record } = readUploadJournal({ master }, { file });
    expect(record.columns[1].endpoint).to.equal('http://127.0.0.1:7004');
    expect(record.spares).to.deep.equal([]);
  });

  it('appends chunk hashes; a torn last record is dropped and a continuing writer stays aligned', async () => {
    const { writer, file } = await started();
    const hashes = randomBytes(32 * 5);
    await writer.checkpoints.hashes?.(hashes, 3);
    await writer.checkpoints.hashes?.(hashes, 3);
    expect(readUploadJournal({ master }, { file }).plainHashes).to.deep.equal(hashes.subarray(0, 96));
    fs.appendFileSync(uploadJournalHashesPath(file), randomBytes(10)); // a write cut by a power loss
    const loaded = readUploadJournal({ master }, { file });
    expect(loaded.plainHashes.length).to.equal(96);
    const again = uploadJournalWriter({ home, master }, { files: loaded.record.files, chunkSize: 4096, epochs: 3, fillTimeoutSeconds: 600, loaded });
    await again.checkpoints.hashes?.(hashes, 5);
    expect(readUploadJournal({ master }, { file }).plainHashes).to.deep.equal(hashes);
  });

  it('refuses a journal with any field altered, or made under another master secret', async () => {
    const { file } = await started();
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('"chunkSize":4096', '"chunkSize":8192'));
    expect(() => readUploadJournal({ master }, { file })).to.throw(UploadJournalError, /altered/);
    fs.writeFileSync(file, text);
    expect(() => readUploadJournal({ master: randomBytes(32) }, { file })).to.throw(UploadJournalError);
    expect(listUploadJournals({ home, master: randomBytes(32) })).to.deep.equal([]);
    expect(listUploadJournals({ home, master }).map((j) => j.file)).to.deep.equal([file]);
  });

  it('refuses to continue under another deal id or manifest date', async () => {
    const { file } = await started();
    const loaded = readUploadJournal({ master }, { file });
    const again = uploadJournalWriter({ home, master }, { files: loaded.record.files, chunkSize: 4096, epochs: 3, fillTimeoutSeconds: 600, loaded });
    let err: unknown;
    try {
      await again.checkpoints.planned?.({
        dealId: loaded.record.dealId as FileId,
        fileIds: loaded.record.fileIds as FileId[],
        createdAt: '2026-01-01T00:00:01.000Z',
        redundancy: loaded.record.redundancy,
        chunkSize: 4096,
        chosen: [peer(1)],
        spares: [],
      });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(UploadJournalError);
    expect(readUploadJournal({ master }, { file }).record.createdAt).to.equal('2026-01-01T00:00:00.000Z');
  });

  it('is removed with its hashes', async () => {
    const { writer, file } = await started();
    await writer.checkpoints.hashes?.(randomBytes(32), 1);
    await writer.remove();
    expect(fs.existsSync(file)).to.equal(false);
    expect(fs.existsSync(uploadJournalHashesPath(file))).to.equal(false);
  });
});
