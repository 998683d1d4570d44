import { stat } from 'node:fs/promises';
import { type Hex, isAddressEqual, zeroHash } from 'viem';
import { readDeal } from '../protocol/chain/market';
import type { ShardIndex } from '../protocol/column';
import { DhostError } from '../protocol/errors';
import { type FileId, slotIdOf } from '../protocol/ids';
import type { OpenedDeal } from './deal/open-deal';
import { FileChangedError, UploadJournalError } from './errors';
import { fileSource } from './file-source';
import { deriveFileKey } from './keys';
import { decryptManifest, type Manifest } from './manifest';
import type { OnProgress } from './progress';
import { getHoldings } from './transport/get-holdings';
import { type UploadResult, upload } from './upload';
import { journalPeers, type LoadedUploadJournal, readUploadJournal, uploadJournalPath } from './upload-journal';
import { uploadJournalWriter } from './upload-journal-writer';
import { type JournaledUploadDeps, uploadEntryOf } from './upload-journaled';

/** What `resumeUpload` returns: the finished upload, and what the resume did not have to send again. */
export interface ResumedUpload extends UploadResult {
  resumed: {
    /** The journal it continued. */
    journal: string;
    /** Pieces (shards and manifest copies) the peers already held and were not sent again. */
    piecesSkipped: number;
    /** Whether the deal root had been committed before the crash. */
    rootWasCommitted: boolean;
  };
}

/**
 * Finishes an upload a crash cut short, from its journal (`uploadWithJournal`): a journal file, or
 * the deal id of one under `<home>/pending-uploads/`. Refuses, before anything is sent:
 *
 * - a journal whose MAC fails (altered, or another account's): `UploadJournalError`;
 * - a source whose size or modification time changed: `FileChangedError` (the journal and the deal
 *   stay, so the original file can be put back and the resume run again);
 * - a deal the chain no longer has open for this account: `UploadJournalError`.
 *
 * Then asks each column's peer what it already holds (`GET /files/:id`) and runs the upload again
 * with the journal's ids, peers, manifest date and deal (no second deal is opened, no second
 * escrow): the source is read once more from the start, each chunk checked against its journaled
 * plaintext SHA-256 before it is encrypted again (`FileChangedError` otherwise: a changed chunk is
 * never encrypted under its used key and nonce), every shard fed to its column's segment tree, and
 * only the shards a peer lacks are sent, with fresh assignments. The manifest copies are the bytes
 * journaled when they were first encrypted (checked to decrypt to the manifest this run makes: the
 * same date, sizes and shard hashes), never a second encryption. The root is committed unless it
 * was before the crash (then the recomputed root must equal it), the peers are told, the fills
 * awaited, the upload recorded in the keystore and the journal removed. A column whose peer is gone
 * moves to a spare as in any upload. A failure after this point cancels the deal and refunds, as a
 * failed upload does.
 *
 * @example
 * const result = await resumeUpload({ ...deps, home, keystore }, { journal: dealId });
 * console.log(result.handle, result.resumed.piecesSkipped);
 */
export async function resumeUpload(
  deps: JournaledUploadDeps,
  params: { journal: string; pollIntervalMs?: number; concurrency?: number; publicEndpointsOnly?: boolean; signal?: AbortSignal; onProgress?: OnProgress },
): Promise<ResumedUpload> {
  const file = /^0x[0-9a-f]{64}$/.test(params.journal) ? uploadJournalPath(deps, params.journal as FileId) : params.journal;
  const loaded = readUploadJournal(deps, { file });
  const { record } = loaded;
  if (record.files.length !== 1) throw new UploadJournalError('only single-file uploads can be resumed', { details: { file } });
  const entry = record.files[0];
  const info = await stat(entry.path).catch(() => undefined);
  if (!info || info.size !== entry.size || info.mtimeMs !== entry.mtimeMs) {
    throw new FileChangedError(`${entry.path} changed since the upload started (size or modification time); put the original back to resume`, {
      details: { path: entry.path, journal: file, size: info?.size, expectedSize: entry.size, mtimeMs: info?.mtimeMs, expectedMtimeMs: entry.mtimeMs },
    });
  }
  const dealId = record.dealId as FileId;
  const fileId = record.fileIds[0] as FileId;
  const { opened, root } = await dealOnChain(deps, { dealId, loaded });

  // What each column's peer already holds, by index → content hash (a peer that does not answer holds nothing we can count on).
  const held = await Promise.all(
    record.columns.map(async (c, column) => {
      const out = new Map<ShardIndex, string>();
      try {
        const { holdings } = await getHoldings({ request: deps.request }, { endpoint: c.endpoint, fileId: dealId, signal: params.signal });
        const slotId = slotIdOf(dealId, column);
        for (const slot of holdings.slots) {
          if (slot.slotId.toLowerCase() !== slotId.toLowerCase() || !isAddressEqual(slot.owner as Hex, deps.account.address)) continue;
          for (const s of slot.shards) out.set(s.index, s.sha256);
        }
      } catch {
        // Unreachable: the upload's first PUT to it fails and the column moves to a spare.
      }
      return out;
    }),
  );
  let piecesSkipped = 0;
  const fileKey = deriveFileKey({ master: deps.master, fileId });
  const tailOf = (column: number, manifests: Manifest[]) => {
    const journaled = record.tails?.find((t) => t.column === column);
    if (!journaled) return undefined;
    const pieces = journaled.pieces.map((p) => ({ index: p.index as ShardIndex, bytes: new Uint8Array(Buffer.from(p.bytes, 'base64')) }));
    for (const p of pieces) {
      let again: Manifest;
      try {
        again = decryptManifest({ fileKey, fileId, column, bytes: p.bytes });
      } catch (cause) {
        throw new UploadJournalError('a journaled manifest copy does not decrypt under this file’s key', { details: { file, column }, cause });
      }
      if (canonicalJson(again) !== canonicalJson(manifests[0])) {
        throw new UploadJournalError('the journaled manifest is not the manifest of this upload (its date, name or hashes differ); refusing to resume', {
          details: { file, column },
        });
      }
    }
    return pieces;
  };
  const journal = uploadJournalWriter(deps, {
    files: record.files,
    chunkSize: record.chunkSize,
    epochs: record.epochs,
    fillTimeoutSeconds: record.fillTimeoutSeconds,
    loaded,
  });
  let result: UploadResult;
  try {
    result = await upload(deps, {
      source: await fileSource(entry.path),
      name: entry.name,
      mediaType: entry.mediaType,
      redundancy: record.redundancy,
      chunkSize: record.chunkSize,
      epochs: record.epochs,
      fillTimeoutSeconds: record.fillTimeoutSeconds,
      pollIntervalMs: params.pollIntervalMs,
      concurrency: params.concurrency,
      publicEndpointsOnly: params.publicEndpointsOnly,
      signal: params.signal,
      onProgress: params.onProgress,
      checkpoints: journal.checkpoints,
      resume: {
        fileIds: [fileId],
        dealId,
        createdAt: record.createdAt,
        redundancy: record.redundancy,
        chosen: journalPeers(record.columns),
        spares: journalPeers(record.spares),
        opened,
        root,
        plainHashes: loaded.plainHashes,
        held: (column, index, sha256) => {
          const yes = held[column]?.get(index) === sha256;
          if (yes) piecesSkipped += 1;
          return yes;
        },
        tailOf,
      },
    });
  } catch (err) {
    const refund = err instanceof DhostError ? (err.details.refund as { cancelled?: boolean } | undefined) : undefined;
    if (refund?.cancelled) await journal.remove();
    throw err;
  }
  await deps.keystore?.recordUpload(uploadEntryOf(result));
  await journal.remove();
  return { ...result, resumed: { journal: file, piecesSkipped, rootWasCommitted: root !== undefined } };
}

/** The journal's deal as the chain has it now: opened (or never opened: undefined), and its root when committed. */
async function dealOnChain(deps: JournaledUploadDeps, p: { dealId: FileId; loaded: LoadedUploadJournal }): Promise<{ opened?: OpenedDeal; root?: Hex }> {
  const market = deps.marketplace;
  if (!market) throw new UploadJournalError('resuming an upload needs the marketplace', { details: { dealId: p.dealId } });
  const deal = await readDeal(market, { market: market.market, dealId: p.dealId });
  if (!deal) {
    if (p.loaded.record.opened) throw new UploadJournalError('the journal’s deal is not on this chain', { details: { dealId: p.dealId } });
    return {}; // never opened: the resume opens it
  }
  if (!isAddressEqual(deal.owner, deps.account.address)) {
    throw new UploadJournalError('the journal’s deal belongs to another account', { details: { dealId: p.dealId, owner: deal.owner } });
  }
  if (deal.cancelled) throw new UploadJournalError('the journal’s deal was cancelled; upload the file again', { details: { dealId: p.dealId } });
  const j = p.loaded.record.opened;
  const opened: OpenedDeal = {
    dealId: p.dealId,
    via: j?.via ?? 'approve',
    escrow: j ? BigInt(j.escrow) : deal.escrow,
    startEpoch: deal.startEpoch,
    endEpoch: deal.endEpoch,
  };
  return { opened, root: deal.root === zeroHash ? undefined : (deal.root.toLowerCase() as Hex) };
}

/** JSON with object keys sorted, so that two equal manifests compare equal whatever order their fields were made in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
