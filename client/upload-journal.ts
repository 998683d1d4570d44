import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { getAddress } from 'viem';
import { z } from 'zod';
import type { FileId } from '../protocol/ids';
import { UploadJournalError } from './errors';
import type { PlacedPeer } from './placement';

/** Folder of the upload journals, inside the user's dhost home (beside the keystore). */
export const UPLOAD_JOURNAL_DIR = 'pending-uploads';
/** HKDF info of the key that authenticates a journal (HKDF-SHA256(master, salt = empty, info)). */
export const UPLOAD_JOURNAL_KEY_INFO = 'dhost/v1/upload-journal';
const SHA256_BYTES = 32;
const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/);

const peerSchema = z.object({
  column: z.number().int().nonnegative().optional(),
  operator: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  endpoint: z.string(),
  pricePerGiBEpoch: z.string().regex(/^\d+$/),
});
const pieceSchema = z.object({ index: z.union([z.number().int().nonnegative(), z.literal('manifest')]), bytes: z.string() });

/**
 * One upload journal (`<home>/pending-uploads/<deal id>.json`, mode 0600). Everything a resume
 * needs that it cannot learn again: the ids (the file key derives from the file id), the source and
 * how it looked, the layout, the peers per column, the manifest's date, the deal, the encrypted
 * manifest tail once made, the committed root. The plaintext SHA-256 of every chunk read so far is
 * in the sibling `<deal id>.hashes` (32 bytes per chunk, appended). `mac` = HMAC-SHA256 of the rest
 * under a key derived from the user's master secret: an altered journal is refused.
 */
export const uploadJournalSchema = z.object({
  version: z.literal(1),
  dealId: hex32,
  fileIds: z.array(hex32).min(1),
  files: z.array(
    z.object({
      path: z.string(),
      name: z.string(),
      mediaType: z.string(),
      size: z.number().int().nonnegative(),
      mtimeMs: z.number(),
    }),
  ),
  chunkSize: z.number().int().positive(),
  epochs: z.number().int().positive(),
  fillTimeoutSeconds: z.number().int().positive(),
  createdAt: z.string(),
  redundancy: z.union([
    z.object({ scheme: z.literal('replicate'), replicas: z.number().int().positive() }),
    z.object({ scheme: z.literal('rs'), dataShards: z.number().int().positive(), parityShards: z.number().int().positive() }),
  ]),
  columns: z.array(peerSchema),
  spares: z.array(peerSchema),
  opened: z.object({ via: z.enum(['permit', 'approve']), escrow: z.string(), startEpoch: z.string(), endEpoch: z.string() }).nullable(),
  tails: z.array(z.object({ column: z.number().int().nonnegative(), pieces: z.array(pieceSchema) })).nullable(),
  root: hex32.nullable(),
  updatedAt: z.string(),
});
/** The contents of an upload journal (without its MAC). */
export type UploadJournalRecord = z.infer<typeof uploadJournalSchema>;

/** A source file as the journal remembers it. */
export type JournalFile = UploadJournalRecord['files'][number];

/** A journal as read back: its record (MAC checked), the chunk hashes journaled, and where it lives. */
export interface LoadedUploadJournal {
  file: string;
  record: UploadJournalRecord;
  /** 32 bytes per chunk, chunk order; a torn last record is dropped. */
  plainHashes: Uint8Array;
}

/**
 * The journal file of an upload (deal id) under a dhost home.
 *
 * @example
 * uploadJournalPath({ home: '~/.dhost' }, dealId); // ~/.dhost/pending-uploads/0x….json
 */
export function uploadJournalPath(deps: { home: string }, dealId: FileId): string {
  return path.join(deps.home, UPLOAD_JOURNAL_DIR, `${dealId}.json`);
}

/**
 * The file of a journal's chunk hashes, beside the journal.
 *
 * @example
 * uploadJournalHashesPath('/home/u/.dhost/pending-uploads/0x….json'); // …/0x….hashes
 */
export function uploadJournalHashesPath(journalFile: string): string {
  return journalFile.replace(/\.json$/, '.hashes');
}

function macKeyOf(master: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', master, new Uint8Array(0), Buffer.from(UPLOAD_JOURNAL_KEY_INFO, 'utf8'), 32));
}

/**
 * The MAC of a journal record's JSON text: HMAC-SHA256 under HKDF(master, `dhost/v1/upload-journal`).
 *
 * @example
 * const mac = uploadJournalMac({ master }, JSON.stringify(record));
 */
export function uploadJournalMac(deps: { master: Uint8Array }, text: string): string {
  return createHmac('sha256', macKeyOf(deps.master)).update(text, 'utf8').digest('hex');
}

/**
 * Reads and checks an upload journal: parses it, checks its MAC under the user's master secret
 * (another account's journal, or any altered field — the manifest date, the peers, the stored
 * manifest tail — is refused with `UploadJournalError`) and loads the journaled chunk hashes.
 *
 * @example
 * const { record, plainHashes } = readUploadJournal({ master }, { file: uploadJournalPath({ home }, dealId) });
 */
export function readUploadJournal(deps: { master: Uint8Array }, params: { file: string }): LoadedUploadJournal {
  let text: string;
  try {
    text = fs.readFileSync(params.file, 'utf8');
  } catch (cause) {
    throw new UploadJournalError(`no upload journal at ${params.file}`, { details: { file: params.file }, cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new UploadJournalError('the upload journal is not JSON', { details: { file: params.file }, cause });
  }
  const { mac, ...body } = (parsed ?? {}) as { mac?: unknown };
  const expected = Buffer.from(uploadJournalMac(deps, JSON.stringify(body)), 'hex');
  const given = typeof mac === 'string' && /^[0-9a-f]{64}$/.test(mac) ? Buffer.from(mac, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new UploadJournalError('the upload journal was altered or made by another account (its MAC does not check out); refusing to resume from it', {
      details: { file: params.file },
    });
  }
  const checked = uploadJournalSchema.safeParse(body);
  if (!checked.success) throw new UploadJournalError('the upload journal is malformed', { details: { file: params.file } });
  let hashes: Buffer;
  try {
    hashes = fs.readFileSync(uploadJournalHashesPath(params.file));
  } catch {
    hashes = Buffer.alloc(0);
  }
  const whole = hashes.length - (hashes.length % SHA256_BYTES);
  return { file: params.file, record: checked.data, plainHashes: hashes.subarray(0, whole) };
}

/**
 * The peers a journal names, as placement would have given them (the fields a resume uses; the
 * scores are not kept).
 *
 * @example
 * const chosen = journalPeers(record.columns);
 */
export function journalPeers(peers: UploadJournalRecord['columns']): PlacedPeer[] {
  return peers.map((p) => ({
    operator: getAddress(p.operator),
    endpoint: p.endpoint,
    pricePerGiBEpoch: BigInt(p.pricePerGiBEpoch),
    freeBytes: Number.MAX_SAFE_INTEGER,
    maxShardBytes: Number.MAX_SAFE_INTEGER,
    rttMs: 0,
    score: 0,
    factors: { space: 0, latency: 0, price: 0, reputation: 0, uptime: 0 },
  }));
}
