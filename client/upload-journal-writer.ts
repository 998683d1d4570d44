import fs from 'node:fs';
import path from 'node:path';
import type { Hex } from 'viem';
import type { ShardIndex } from '../protocol/column';
import type { OpenedDeal } from './deal/open-deal';
import { UploadJournalError } from './errors';
import type { PlacedPeer } from './placement';
import type { Redundancy } from './redundancy';
import type { UploadCheckpoints } from './upload';
import {
  type JournalFile,
  type LoadedUploadJournal,
  type UploadJournalRecord,
  uploadJournalHashesPath,
  uploadJournalMac,
  uploadJournalPath,
} from './upload-journal';

const SHA256_BYTES = 32;

/** Writes a file whole or not at all: temporary file (mode 0600), fsync, rename, fsync of the folder. */
function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, 'w', 0o600);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  syncDir(dir);
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems cannot fsync a folder; the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A journal being written by an upload: its checkpoints, and how to drop it. */
export interface UploadJournalWriter {
  /** The journal file, once the upload has fixed its deal id (undefined before). */
  readonly file: string | undefined;
  /** True once the journal records an opened deal. */
  readonly opened: boolean;
  /** Give these to `uploadFiles` (`params.checkpoints`). */
  readonly checkpoints: UploadCheckpoints;
  /** Deletes the journal and its hashes (after success, or once the deal is cancelled). */
  remove(): Promise<void>;
}

function peerOf(p: PlacedPeer, column?: number) {
  return { column, operator: p.operator, endpoint: p.endpoint, pricePerGiBEpoch: String(p.pricePerGiBEpoch) };
}

/**
 * Starts (or, given a loaded journal, continues) the journal of an upload under `home`. The
 * journal file is made at the `planned` checkpoint (before the deal is opened and before any byte
 * is sent) and rewritten whole and atomically (temporary file, fsync, rename; mode 0600) at every
 * checkpoint; the chunk hashes are appended to `<deal id>.hashes` and fsynced before the shards
 * made from them are sent, so every ciphertext that may sit on a peer has its plaintext hash on
 * disk. The journal holds plaintext hashes: keep it private (mode 0600, folder 0700).
 *
 * @example
 * const journal = uploadJournalWriter({ home, master }, { files: [{ path, name, mediaType, size, mtimeMs }], chunkSize, epochs, fillTimeoutSeconds: 600 });
 * await uploadFiles(deps, { files, batch: false, checkpoints: journal.checkpoints });
 * await journal.remove();
 */
export function uploadJournalWriter(
  deps: { home: string; master: Uint8Array },
  params: { files: JournalFile[]; chunkSize: number; epochs: number; fillTimeoutSeconds: number; loaded?: LoadedUploadJournal },
): UploadJournalWriter {
  let record: UploadJournalRecord | undefined = params.loaded?.record;
  let file = params.loaded?.file;
  let written = params.loaded ? params.loaded.plainHashes.length / SHA256_BYTES : 0;
  const save = () => {
    if (!record || !file) return;
    record = { ...record, updatedAt: new Date().toISOString() };
    const body = JSON.stringify(record);
    writeFileAtomic(file, JSON.stringify({ ...record, mac: uploadJournalMac(deps, body) }));
  };
  if (params.loaded) {
    // Drop a torn last record so that appends stay aligned.
    const hashes = uploadJournalHashesPath(params.loaded.file);
    if (fs.existsSync(hashes)) fs.truncateSync(hashes, params.loaded.plainHashes.length);
  }
  const checkpoints: UploadCheckpoints = {
    async planned(plan) {
      const base = {
        version: 1 as const,
        dealId: plan.dealId,
        fileIds: plan.fileIds,
        files: params.files,
        chunkSize: plan.chunkSize,
        epochs: params.epochs,
        fillTimeoutSeconds: params.fillTimeoutSeconds,
        createdAt: plan.createdAt,
        redundancy: plan.redundancy as Redundancy,
        columns: plan.chosen.map((p, column) => peerOf(p, column)),
        spares: plan.spares.map((p) => peerOf(p)),
        opened: record?.opened ?? null,
        tails: record?.tails ?? null,
        root: record?.root ?? null,
        updatedAt: '',
      };
      if (record && (record.dealId !== plan.dealId || record.createdAt !== plan.createdAt)) {
        throw new UploadJournalError('a resumed upload must keep its deal id and manifest date', { details: { dealId: plan.dealId } });
      }
      file = file ?? uploadJournalPath(deps, plan.dealId);
      record = base;
      save();
    },
    async opened(opened: OpenedDeal) {
      if (!record) return;
      record.opened = { via: opened.via, escrow: String(opened.escrow), startEpoch: String(opened.startEpoch), endEpoch: String(opened.endEpoch) };
      save();
    },
    async hashes(plainHashes, chunks) {
      if (!file || chunks <= written) return;
      const fd = fs.openSync(uploadJournalHashesPath(file), 'a', 0o600);
      try {
        fs.writeSync(fd, plainHashes.subarray(written * SHA256_BYTES, chunks * SHA256_BYTES));
        fs.fdatasyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      written = chunks;
    },
    async tail(tails) {
      if (!record) return;
      record.tails = tails.map((t) => ({
        column: t.column,
        pieces: t.pieces.map((p) => ({ index: p.index as ShardIndex, bytes: Buffer.from(p.bytes).toString('base64') })),
      }));
      save();
    },
    moved(column, peer, spares) {
      if (!record) return;
      record.columns[column] = peerOf(peer, column);
      record.spares = spares.map((p) => peerOf(p));
      save();
    },
    async committed(root: Hex) {
      if (!record) return;
      record.root = root.toLowerCase();
      save();
    },
  };
  return {
    get file() {
      return file;
    },
    get opened() {
      return record?.opened !== null && record?.opened !== undefined;
    },
    checkpoints,
    async remove() {
      if (!file) return;
      fs.rmSync(file, { force: true });
      fs.rmSync(uploadJournalHashesPath(file), { force: true });
    },
  };
}
