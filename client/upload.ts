import { createHash } from 'node:crypto';
import type { Address, LocalAccount } from 'viem';
import { MANIFEST_INDEX } from '../protocol/column';
import { defaults } from '../protocol/config';
import { InvalidInputError } from '../protocol/errors';
import { type FileId, MAX_COLUMNS, randomFileId, type SlotId, slotIdOf } from '../protocol/ids';
import { checkChunkSize, chunkCountOf, chunkStream, lastChunkLengthOf } from './chunker';
import { encryptChunk, TAG_BYTES } from './cipher';
import { FileChangedError, NoSparePeerError } from './errors';
import type { FileSource } from './file-source';
import { formatHandle } from './handle';
import { deriveChunkKey, deriveFileKey, KEY_BYTES } from './keys';
import { encryptManifest, MANIFEST_VERSION, MAX_NAME_LENGTH, type Manifest } from './manifest';
import type { PeerSource } from './peer-source';
import { type PlacedPeer, placeColumns } from './placement';
import type { OnProgress } from './progress';
import type { HttpRequester } from './transport/http-requester';
import { putShard } from './transport/put-shard';

/** Where one column of an uploaded file lives. */
export interface UploadColumn {
  column: number;
  slotId: SlotId;
  operator: Address;
  endpoint: string;
}

/** A column that moved to a spare peer during the upload. */
export interface ColumnMove {
  column: number;
  from: string;
  to: string;
  reason: string;
}

/** What `upload` returns. The handle is the only secret; everything else may be stored and shown. */
export interface UploadResult {
  fileId: FileId;
  handle: string;
  name: string;
  size: number;
  chunkCount: number;
  replicas: number;
  columns: UploadColumn[];
  /** Columns moved to spares, in order (empty when every first choice held). */
  moves: ColumnMove[];
  manifest: Manifest;
}

/** What `upload` needs. */
export interface UploadDeps {
  account: Pick<LocalAccount, 'signMessage' | 'address'>;
  chainId: number;
  master: Uint8Array;
  peers: PeerSource;
  request?: HttpRequester;
}

/** What `upload` is asked to do. */
export interface UploadParams {
  source: FileSource;
  name: string;
  /** Default `application/octet-stream`. */
  mediaType?: string;
  /** Copies, one per column and peer. Default `defaults.replicas`. */
  replicas?: number;
  /** Default `defaults.chunkSize`, within `defaults.minChunkSize`..`maxChunkSize`. */
  chunkSize?: number;
  /** Shards in flight per column. Default `defaults.shardsInFlightPerColumn`. */
  concurrency?: number;
  /** Refuse peers whose endpoint is loopback, private or link-local (all networks but the devnet). */
  publicEndpointsOnly?: boolean;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

interface ColumnState {
  column: number;
  key: Uint8Array;
  /** SHA-256 of every shard of the column, 32 bytes per chunk (same for every peer: same key, same nonce). */
  hashes: Buffer;
  peer: PlacedPeer;
  /** Bumped when the column moves; answers for older generations are ignored. */
  gen: number;
  genAbort: AbortController;
  inFlight: number;
  waiters: Array<() => void>;
  /** Shards 0..mainEnqueued-1 were handed out by the first pass (to whichever peer held the column then). */
  mainEnqueued: number;
  /** The current peer still lacks shards 0..backfillTo-1 (they went to a peer that failed). */
  backfillTo: number;
  manifestDone: boolean;
}

const SHA256_BYTES = 32;

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** Generous upper bound of the encrypted manifest's size, for placement's room check. */
function manifestBytesBound(params: { name: string; chunkCount: number; replicas: number }): number {
  return 2048 + Buffer.byteLength(JSON.stringify(params.name)) + params.replicas * (Math.ceil((params.chunkCount * SHA256_BYTES) / 3) * 4 + 64);
}

/**
 * Uploads a file: streams the source (never whole in memory) into chunks, encrypts every chunk once
 * per column (AES-256-GCM, a chunk key per column, nonce = chunk index, associated data = version ‖
 * file id ‖ index ‖ is-last), and sends column i to its placed peer with signed PUTs, a few shards
 * in flight per column over keep-alive connections. Finally the encrypted manifest goes to every
 * column.
 *
 * When a peer fails (after one retry for transient errors), its whole column moves to the best
 * spare: the new peer receives the following shards from the running pass, and the shards it missed
 * are re-sent by reading the source again from the start, re-encrypting each chunk under the same
 * key and nonce only after checking that its plaintext SHA-256 is unchanged (`FileChangedError`
 * otherwise; 32 bytes per chunk are kept for this). No spare left → `NoSparePeerError`.
 *
 * Memory: about (replicas × concurrency + 1) shards. A fresh random file id is drawn per upload; its
 * key derives from `master`, so the handle can be re-made from the master and the file id.
 *
 * @example
 * const result = await upload(
 *   { account, chainId: 31337, master: masterFromPrivateKey(key), peers: chainPeerSource({ publicClient, registry }) },
 *   { source: await fileSource('photo.jpg'), name: 'photo.jpg', mediaType: 'image/jpeg' },
 * );
 * console.log(result.handle);
 */
export async function upload(deps: UploadDeps, params: UploadParams): Promise<UploadResult> {
  const { source, name } = params;
  const chunkSize = params.chunkSize ?? defaults.chunkSize;
  const replicas = params.replicas ?? defaults.replicas;
  const concurrency = params.concurrency ?? defaults.shardsInFlightPerColumn;
  const mediaType = params.mediaType ?? 'application/octet-stream';
  checkChunkSize(chunkSize);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_COLUMNS)
    throw new InvalidInputError(`replicas must be an integer in [1, ${MAX_COLUMNS}]`, { details: { replicas } });
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidInputError('concurrency must be a positive integer', { details: { concurrency } });
  if (name.length > MAX_NAME_LENGTH) throw new InvalidInputError(`file name must have at most ${MAX_NAME_LENGTH} characters`);
  if (mediaType.length < 1 || mediaType.length > 255) throw new InvalidInputError('media type must have 1 to 255 characters');
  if (deps.master.length !== KEY_BYTES) throw new InvalidInputError(`master secret must be ${KEY_BYTES} bytes`);
  const size = source.size;
  const chunkCount = chunkCountOf(size, chunkSize);
  params.signal?.throwIfAborted();

  const fileId = randomFileId();
  const fileKey = deriveFileKey({ master: deps.master, fileId });
  const shardBytes = chunkSize + TAG_BYTES;
  const manifestBound = manifestBytesBound({ name, chunkCount, replicas });
  const placement = await placeColumns(
    { peers: deps.peers, request: deps.request },
    {
      replicas,
      columnBytes: chunkCount * shardBytes + manifestBound,
      shardBytes: chunkCount > 0 ? Math.max(shardBytes, manifestBound) : manifestBound,
      chainId: deps.chainId,
      publicEndpointsOnly: params.publicEndpointsOnly,
      signal: params.signal,
    },
  );

  const stop = new AbortController();
  const signal = params.signal ? AbortSignal.any([params.signal, stop.signal]) : stop.signal;
  const spares = [...placement.spares];
  const moves: ColumnMove[] = [];
  const pending = new Set<Promise<void>>();
  let fatal: Error | undefined;
  const plainHashes = Buffer.alloc(chunkCount * SHA256_BYTES);
  const columns: ColumnState[] = placement.chosen.map((peer, column) => ({
    column,
    key: deriveChunkKey({ fileKey, fileId, column }),
    hashes: Buffer.alloc(chunkCount * SHA256_BYTES),
    peer,
    gen: 0,
    genAbort: new AbortController(),
    inFlight: 0,
    waiters: [],
    mainEnqueued: 0,
    backfillTo: 0,
    manifestDone: false,
  }));

  const checkRunning = () => {
    params.signal?.throwIfAborted();
    if (fatal) throw fatal;
  };

  const wake = (col: ColumnState, all: boolean) => {
    const woken = all ? col.waiters.splice(0) : col.waiters.splice(0, 1);
    for (const w of woken) w();
  };

  const moveColumn = (col: ColumnState, gen: number, err: unknown) => {
    if (gen !== col.gen || fatal || params.signal?.aborted) return;
    const reason = err instanceof Error ? err.message : String(err);
    const next = spares.shift();
    if (!next) {
      fatal = new NoSparePeerError(`column ${col.column} lost its peer ${col.peer.endpoint} and no spare peer is left`, {
        details: { column: col.column, endpoint: col.peer.endpoint, reason, moves },
        cause: err,
      });
      stop.abort(fatal);
      for (const c of columns) wake(c, true);
      return;
    }
    moves.push({ column: col.column, from: col.peer.endpoint, to: next.endpoint, reason });
    col.genAbort.abort();
    col.genAbort = new AbortController();
    col.gen += 1;
    col.peer = next;
    col.inFlight = 0;
    col.backfillTo = col.mainEnqueued;
    col.manifestDone = false;
    wake(col, true);
  };

  const acquire = async (col: ColumnState) => {
    while (col.inFlight >= concurrency) {
      await new Promise<void>((resolve) => col.waiters.push(resolve));
      checkRunning();
    }
  };

  const send = (col: ColumnState, index: number | typeof MANIFEST_INDEX, body: Uint8Array, onStored?: () => void, contentSha256?: string) => {
    const gen = col.gen;
    col.inFlight += 1;
    const task = putShard(
      { account: deps.account, chainId: deps.chainId, request: deps.request },
      { peer: col.peer, fileId, column: col.column, index, body, contentSha256, signal: AbortSignal.any([signal, col.genAbort.signal]) },
    )
      .then(
        () => {
          if (gen === col.gen) onStored?.();
        },
        (err) => moveColumn(col, gen, err),
      )
      .finally(() => {
        pending.delete(task);
        if (gen === col.gen) {
          col.inFlight -= 1;
          wake(col, false);
        }
      });
    pending.add(task);
  };

  const drain = async () => {
    while (pending.size > 0) await Promise.all([...pending]);
  };

  try {
    // First pass: every chunk, every column.
    let bytes = 0;
    for await (const chunk of chunkStream(source.open(), { size, chunkSize, signal })) {
      checkRunning();
      plainHashes.set(sha256(chunk.plaintext), chunk.index * SHA256_BYTES);
      for (const col of columns) {
        const shard = encryptChunk({ key: col.key, fileId, index: chunk.index, isLast: chunk.isLast, plaintext: chunk.plaintext });
        const hash = sha256(shard);
        col.hashes.set(hash, chunk.index * SHA256_BYTES);
        await acquire(col);
        send(col, chunk.index, shard, undefined, hash.toString('hex'));
        col.mainEnqueued = chunk.index + 1;
      }
      bytes += chunk.length;
      params.onProgress?.({ phase: 'upload', bytes, totalBytes: size });
    }
    await drain();
    checkRunning();

    const manifest: Manifest = {
      version: MANIFEST_VERSION,
      fileId,
      name,
      size,
      mediaType,
      chunkSize,
      chunkCount,
      cipher: 'aes-256-gcm',
      redundancy: { scheme: 'replicate', replicas },
      lastChunkLength: lastChunkLengthOf(size, chunkSize),
      columns: columns.map((c) => ({ column: c.column, shardSha256: c.hashes.toString('base64') })),
      createdAt: new Date().toISOString(),
    };

    // Moved columns catch up, then every column gets the manifest; a failure on the way moves the
    // column again, and the loop runs until every column's current peer holds everything.
    for (;;) {
      checkRunning();
      const behind = columns.filter((c) => c.backfillTo > 0);
      if (behind.length > 0) {
        await backfill(behind);
        continue;
      }
      const withoutManifest = columns.filter((c) => !c.manifestDone);
      if (withoutManifest.length === 0) break;
      const copies = withoutManifest.map((col) => ({ col, bytes: encryptManifest({ fileKey, column: col.column, manifest }) }));
      const total = copies.reduce((n, c) => n + c.bytes.length, 0);
      let stored = 0;
      for (const { col, bytes: body } of copies) {
        send(col, MANIFEST_INDEX, body, () => {
          col.manifestDone = true;
          stored += body.length;
          params.onProgress?.({ phase: 'manifest', bytes: stored, totalBytes: total });
        });
      }
      await drain();
    }

    return {
      fileId,
      handle: formatHandle({ fileId, fileKey }),
      name,
      size,
      chunkCount,
      replicas,
      columns: columns.map((c) => ({ column: c.column, slotId: slotIdOf(fileId, c.column), operator: c.peer.operator, endpoint: c.peer.endpoint })),
      moves,
      manifest,
    };
  } catch (err) {
    stop.abort(err);
    await drain().catch(() => {});
    if (params.signal?.aborted) throw params.signal.reason;
    throw fatal ?? err;
  }

  /** Re-reads the source from the start and sends each behind column the shards its peer lacks. */
  async function backfill(behind: ColumnState[]): Promise<void> {
    const targets = behind.map((col) => ({ col, gen: col.gen, upTo: col.backfillTo }));
    const upTo = Math.max(...targets.map((t) => t.upTo));
    for await (const chunk of chunkStream(source.open(), { size, chunkSize, signal })) {
      if (chunk.index >= upTo) break;
      checkRunning();
      const at = chunk.index * SHA256_BYTES;
      if (!sha256(chunk.plaintext).equals(plainHashes.subarray(at, at + SHA256_BYTES))) {
        throw new FileChangedError(`chunk ${chunk.index} of the source changed since it was first read; upload it again as a new file`, {
          details: { index: chunk.index },
        });
      }
      for (const t of targets) {
        if (t.col.gen !== t.gen || chunk.index >= t.upTo) continue;
        const shard = encryptChunk({ key: t.col.key, fileId, index: chunk.index, isLast: chunk.isLast, plaintext: chunk.plaintext });
        await acquire(t.col);
        if (t.col.gen !== t.gen) continue;
        send(t.col, chunk.index, shard);
      }
    }
    await drain();
    for (const t of targets) if (t.col.gen === t.gen) t.col.backfillTo = 0;
  }
}
