import { createHash } from 'node:crypto';
import { type Address, bytesToHex, type Hex, isAddressEqual, type LocalAccount } from 'viem';
import { ASSIGNMENT_HEADER, readSlot, SLOT_STATE } from '../protocol/chain/market';
import { MANIFEST_INDEX, MAX_SHARD_INDEX, type ShardIndex } from '../protocol/column';
import { defaults } from '../protocol/config';
import { DhostError, InvalidInputError } from '../protocol/errors';
import { type FileId, MAX_COLUMNS, randomFileId, type SlotId, slotIdOf } from '../protocol/ids';
import { createKeccakHasher, dealRootOf, MAX_DEPTH, SegmentTreeBuilder, slotRootProof } from '../protocol/merkle';
import { type CollectGarbage, collectorOf, createScavenger, MAJOR_AFTER_GROWTH_BYTES, SCAVENGE_EVERY_BYTES } from '../protocol/scavenger';
import type { SlotCommit } from '../protocol/wire';
import { encodeBatchHeader } from './batch/batch-header';
import { checkChunkSize, chunkCountOf, chunkStream, lastChunkLengthOf } from './chunker';
import { encryptChunk, TAG_BYTES } from './cipher';
import { cancelDeal } from './deal/cancel-deal';
import type { ChainReader, ChainWriter, MarketContracts } from './deal/chain-deps';
import { commitRoot } from './deal/commit-root';
import { type OpenedDeal, openDeal } from './deal/open-deal';
import { bytesPerBatchSlotOf, bytesPerSlotOf, quoteDeal } from './deal/quote';
import { type SignedAssignment, signAssignment } from './deal/sign-assignment';
import { createCodec, SHARD_ALIGNMENT } from './erasure';
import { ChainUnavailableError, FileChangedError, NoSparePeerError, SlotNotFilledError } from './errors';
import type { FileSource } from './file-source';
import { formatBatchHandle, formatHandle } from './handle';
import { deriveChunkKey, deriveErasureChunkKey, deriveFileKey, KEY_BYTES } from './keys';
import { ERASURE_MANIFEST_VERSION, encryptManifest, MANIFEST_VERSION, MAX_NAME_LENGTH, type Manifest, manifestBytesBound, stripeCountOf } from './manifest';
import type { PeerExperienceLog } from './peer-experience';
import type { PeerSource } from './peer-source';
import { placeWithRedundancy } from './place-with-redundancy';
import { type PlacedPeer, placeColumns } from './placement';
import type { OnProgress } from './progress';
import { checkRedundancy, columnCountOf, type Redundancy } from './redundancy';
import { rowBuffers } from './row-buffers';
import type { HttpRequester } from './transport/http-requester';
import { putShard } from './transport/put-shard';
import { putSlotCommit } from './transport/put-slot-commit';

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

/** The deal an upload opened, committed and saw filled. */
export interface UploadDeal {
  /** = the file id. */
  dealId: FileId;
  bytesPerSlot: bigint;
  pricePerSlotEpoch: bigint;
  /** Reward-token wei escrowed for the whole duration. */
  escrow: bigint;
  /** Exclusive: the deal is paid up to epoch endEpoch − 1. */
  endEpoch: bigint;
  /** How the escrow was pulled (`permit`: one transaction; `approve`: approve + openDeal). */
  via: 'permit' | 'approve';
  /** The deal root committed on chain, over the slot roots. */
  root: Hex;
  /** Slot roots, in column order (each column's peer was told its own, with its proof in the root). */
  slotRoots: Hex[];
  segmentCount: number;
  /** Who filled each slot on chain. */
  filled: { column: number; peer: Address }[];
}

/** What `upload` returns. The handle is the only secret; everything else may be stored and shown. */
export interface UploadResult {
  fileId: FileId;
  handle: string;
  name: string;
  size: number;
  chunkCount: number;
  /** How the file is stored: replication or Reed-Solomon. */
  redundancy: Redundancy;
  /** Why the default redundancy was made smaller than the network-size rule (too few eligible peers); absent otherwise. */
  redundancyReason?: string;
  /** Number of columns (copies under replication, k + m under Reed-Solomon); kept for the keystore entry. */
  replicas: number;
  columns: UploadColumn[];
  /** Columns moved to spares, in order (empty when every first choice held). */
  moves: ColumnMove[];
  manifest: Manifest;
  /** The deal on chain; absent when the upload ran without `deps.marketplace`. */
  deal?: UploadDeal;
}

/** The chain side of an upload: the deal's owner (its account must be `UploadDeps.account`) and the contracts. */
export interface UploadMarketplaceDeps extends MarketContracts {
  publicClient: ChainReader;
  walletClient: ChainWriter;
}

/**
 * What `upload` needs. `account` signs the requests and the slot assignments: it is the deal's
 * owner. With `marketplace` the upload opens a deal, commits its root and waits for the fills
 * (today's nodes accept writes only under a deal); without it, it only stores the columns (peers
 * that take writes without a deal: tests of the transport, nodes before the marketplace).
 */
export interface UploadDeps {
  account: Pick<LocalAccount, 'signMessage' | 'signTypedData' | 'address'>;
  chainId: number;
  master: Uint8Array;
  peers: PeerSource;
  marketplace?: UploadMarketplaceDeps;
  request?: HttpRequester;
  /** What this client has seen of peers (placement scores by it; a peer that fails a write is recorded). */
  experience?: PeerExperienceLog;
  /**
   * Asked for a full collection when the heap and array buffers grew 16 MiB past what the last one
   * left, checked after every 2 MiB sent (`createScavenger` with `young: false`). Default the
   * process's `gc` when Node runs with `--expose-gc`, as the `dhost` command does; `false` never.
   */
  collectGarbage?: CollectGarbage | false;
}

/** What `upload` is asked to do. */
export interface UploadParams {
  source: FileSource;
  name: string;
  /** Default `application/octet-stream`. */
  mediaType?: string;
  /**
   * Replication (`{ scheme: 'replicate', replicas }`) or Reed-Solomon (`{ scheme: 'rs', dataShards,
   * parityShards }`). Default: `chooseRedundancy` from the number of active peers (RS(4,2) below 16,
   * RS(10,6) from 16), made smaller when fewer peers are eligible (`UploadResult.redundancyReason`).
   * An explicit redundancy is never made smaller.
   */
  redundancy?: Redundancy;
  /** Shorthand for `redundancy: { scheme: 'replicate', replicas }`. */
  replicas?: number;
  /** Default `defaults.chunkSize`, within `defaults.minChunkSize`..`maxChunkSize`. */
  chunkSize?: number;
  /** Shards in flight per column. Default `defaults.shardsInFlightPerColumn`. */
  concurrency?: number;
  /** Refuse peers whose endpoint is loopback, private or link-local (all networks but the devnet). */
  publicEndpointsOnly?: boolean;
  /** Deal duration in epochs. Default `DEFAULT_DEAL_EPOCHS`. */
  epochs?: number;
  /** Seconds each assigned peer has to fill its slot (from its assignment). Default 600. */
  fillTimeoutSeconds?: number;
  /**
   * How often the slots are read while waiting for fills, at most, milliseconds. Default 1000. The
   * first reads come sooner (250 ms, then doubling up to this), as most fills land within seconds.
   */
  pollIntervalMs?: number;
  signal?: AbortSignal;
  onProgress?: OnProgress;
  /** Continues an upload a crash cut short (`resumeUpload` builds it from the upload journal). */
  resume?: UploadResumeState;
  /** Told what a resume needs before it matters (`uploadJournalWriter` records it). */
  checkpoints?: UploadCheckpoints;
}

/** Default deal duration: 30 epochs (30 hours at the default one-hour epoch). */
export const DEFAULT_DEAL_EPOCHS = 30;
/** Default time a peer has to fill its slot after its assignment, seconds. */
export const DEFAULT_FILL_TIMEOUT_SECONDS = 600;
/**
 * Most files in one batch: every file's manifest is kept in memory until all stripes are sent (a
 * few hundred bytes per small file), and the node lists a slot's shards in one answer.
 */
export const MAX_BATCH_FILES = 10_000;
/** The first wait between fill polls; it doubles up to `pollIntervalMs`. */
const FIRST_FILL_POLL_MS = 250;
/** Reads of the chain's head (to date an assignment) before the upload gives up with `ChainUnavailableError`. */
const CHAIN_READ_ATTEMPTS = 4;

interface ColumnState {
  column: number;
  /** SHA-256 of every shard of the column, 32 bytes per shard index (same for every peer: same key, same nonce). */
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
  /** Every piece of `tail` is stored at the current peer. */
  manifestDone: boolean;
  /** Pieces of `tail` the current peer has confirmed in this round. */
  tailStored: number;
  /** The column's segment tree, fed its bytes in index order (shards, then the tail). */
  tree: SegmentTreeBuilder;
  /**
   * What follows the shards, in index order, made once so a re-send stores the same bytes: the
   * file's manifest copy at `manifest` (a file alone), or each file's manifest copy at its index
   * and the batch header at `manifest` (a batch).
   */
  tail?: { index: ShardIndex; bytes: Uint8Array }[];
  /** The owner's assignment of this column to its current peer (with a marketplace). */
  assignment?: Promise<SignedAssignment>;
  /** The generation whose peer confirmed the commit notice (-1 before). */
  noticeGen: number;
}

const SHA256_BYTES = 32;

/** What each column stores at one shard index: a chunk's copies (replication) or a stripe's shards (RS). */
interface ShardRow {
  index: number;
  /** Per column, the shard (undefined for columns not asked for). */
  shards: (Uint8Array | undefined)[];
  /** Plaintext file bytes this row carries. */
  plainBytes: number;
  /** The pooled buffer the shards are slices of: given back (`rows.give`) once every PUT of the row has answered. */
  buffer: Buffer;
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Uploads a file: streams the source (never whole in memory) into chunks and encrypts them
 * (AES-256-GCM, nonce = chunk index, associated data = version ‖ file id ‖ index ‖ is-last), then:
 *
 * - replication (`replicate:r`): every chunk is encrypted once per column under that column's chunk
 *   key, and column i stores chunk i's copy at shard index i; manifest version 1 (one encrypted
 *   copy per column);
 * - Reed-Solomon (`rs:k+m`, docs/erasure.md): every chunk is encrypted once under the erasure chunk
 *   key; stripe s = chunks s·k … s·k+k−1 (past the end of the file: zero chunks encrypted under their own indices) plus m parity
 *   shards; column j stores shard j of stripe s at shard index s; manifest version 2 (one
 *   ciphertext, the same in every column, with a clear layout header).
 *
 * Column i goes to its placed peer (k + m or r distinct peers) with signed PUTs, a few shards in
 * flight per column over keep-alive connections. Finally the encrypted manifest goes to every
 * column. Without an explicit redundancy, `chooseRedundancy` picks it from the active peers, and
 * again from the eligible ones when placement finds too few.
 *
 * With `deps.marketplace` (docs/marketplace.md): after placement the deal is quoted from the chosen
 * peers' asking prices (`quoteDeal`: bytes per slot = the column's shards + a bound on its
 * manifest) and opened with its escrow (`openDeal`: permit, else approve); the file id is the deal
 * id. Every PUT carries the owner's EIP-712 assignment of the column to that peer (deadline = now +
 * `fillTimeoutSeconds`). While the bytes stream, each column's segment tree is built over exactly
 * what its peer stores, in index order (shards 0..n−1, then the manifest copy), in one pass and
 * constant memory; then the slot roots are committed (`commitRoot`) and the upload waits until
 * every slot is filled on chain (`onProgress` phase `fill`). A slot not filled by its assignment's
 * deadline is reassigned to the best spare: a new assignment, the whole column re-sent there, and
 * the wait goes on. No spare left → `SlotNotFilledError` naming the columns.
 *
 * When a peer fails (after one retry for transient errors), its whole column moves to the best
 * spare (with a new assignment): the new peer receives the following shards from the running pass,
 * and the shards it missed are re-sent by reading the source again from the start, re-encrypting
 * each chunk under the same key and nonce (and re-encoding the stripes) only after checking that
 * its plaintext SHA-256 is unchanged (`FileChangedError` otherwise; 32 bytes per chunk are kept for
 * this). No spare left → `NoSparePeerError`.
 *
 * When an upload with a deal fails after opening it (or is aborted), the deal is cancelled and the
 * unearned escrow withdrawn (`cancelDeal`); the outcome is in the error's `details.refund`. A crash
 * (`kill -9`) skips that: with `checkpoints` from an upload journal (`uploadWithJournal`), the ids,
 * peers, manifest date, deal, chunk hashes (each on disk before its shards leave) and manifest copies
 * are recorded, and `resumeUpload` finishes the upload with `resume` (docs/crash-safety.md).
 *
 * Memory: about (columns × concurrency + k + m) shards: one stripe at a time. A fresh random file id is drawn per upload; its
 * key derives from `master`, so the handle can be re-made from the master and the file id.
 *
 * @example
 * const result = await upload(
 *   {
 *     account, chainId: 31337, master: masterFromPrivateKey(key), peers: chainPeerSource({ publicClient, registry }),
 *     marketplace: { publicClient, walletClient, market: deployment.contracts.Marketplace, token: deployment.contracts.RewardToken },
 *   },
 *   { source: await fileSource('photo.jpg'), name: 'photo.jpg', mediaType: 'image/jpeg', epochs: 720 },
 * );
 * console.log(result.handle, result.deal?.endEpoch);
 */
export async function upload(deps: UploadDeps, params: UploadParams): Promise<UploadResult> {
  const { source, name, mediaType, ...rest } = params;
  const out = await uploadFiles(deps, { ...rest, files: [{ source, name, mediaType }], batch: false });
  const file = out.files[0];
  return {
    fileId: file.fileId,
    handle: file.handle,
    name: file.name,
    size: file.size,
    chunkCount: file.chunkCount,
    redundancy: out.redundancy,
    redundancyReason: out.redundancyReason,
    replicas: out.replicas,
    columns: out.columns,
    moves: out.moves,
    manifest: file.manifest,
    deal: out.deal,
  };
}

/** One file of `uploadFiles`. */
export interface UploadFilesEntry {
  source: FileSource;
  name: string;
  /** Default `application/octet-stream`. */
  mediaType?: string;
}

/** What `uploadFiles` is asked to do: `upload`'s parameters, with several files. */
export interface UploadFilesParams extends Omit<UploadParams, 'source' | 'name' | 'mediaType'> {
  files: UploadFilesEntry[];
  /**
   * `false`: exactly one file, stored as `upload` always did (deal id = file id, manifest at the
   * `manifest` index). `true`: a batch (docs/batches.md): a fresh deal id, the files' stripes one
   * after another, their manifests after all stripes, the batch header at `manifest`.
   */
  batch: boolean;
}

/**
 * What an interrupted upload had fixed, for `uploadFiles` to continue it (built by `resumeUpload`
 * from the upload journal): the same ids, redundancy, peers, manifest date and deal, the plaintext
 * SHA-256 of every chunk it read (those chunks are re-encrypted only when they still match), and
 * what each column's peer already holds (not sent again, but still fed to the column's tree).
 *
 * @example
 * await uploadFiles(deps, { files, batch: false, resume: { fileIds, dealId, createdAt, redundancy, chosen, spares, plainHashes, held } });
 */
export interface UploadResumeState {
  fileIds: FileId[];
  dealId: FileId;
  createdAt: string;
  redundancy: Redundancy;
  chosen: PlacedPeer[];
  spares: PlacedPeer[];
  /** The deal as opened on chain; absent when it never was (the upload then opens it). */
  opened?: OpenedDeal;
  /** The root already committed on chain (the recomputed one must equal it); absent when none was. */
  root?: Hex;
  /** 32 bytes per chunk already read, in chunk order: those chunks are checked before they are encrypted again. */
  plainHashes: Uint8Array;
  /** True when the column's first peer already holds this shard index with this content (hex SHA-256). */
  held: (column: number, index: ShardIndex, sha256: string) => boolean;
  /** The column's manifest tail as first encrypted and journaled (checked against `manifests`), or undefined when none was made. */
  tailOf?: (column: number, manifests: Manifest[]) => { index: ShardIndex; bytes: Uint8Array }[] | undefined;
}

/**
 * Points of an upload a journal must record before going on: each is awaited before the next
 * byte leaves, so that a crash never leaves on a peer a ciphertext whose plaintext the journal
 * cannot vouch for.
 *
 * @example
 * await uploadFiles(deps, { files, batch: false, checkpoints: uploadJournalWriter({ home, master }, journalParams).checkpoints });
 */
export interface UploadCheckpoints {
  /** Ids, peers, redundancy and manifest date are fixed; the deal is about to be opened. */
  planned?(plan: {
    dealId: FileId;
    fileIds: FileId[];
    createdAt: string;
    redundancy: Redundancy;
    chunkSize: number;
    chosen: PlacedPeer[];
    spares: PlacedPeer[];
  }): Promise<void>;
  /** The deal is open on chain. */
  opened?(opened: OpenedDeal): Promise<void>;
  /** Chunks 0..chunks−1 have their plaintext SHA-256 in `plainHashes` (32 bytes each); awaited before their shards are sent. */
  hashes?(plainHashes: Uint8Array, chunks: number): Promise<void>;
  /** Every column's manifest tail is encrypted; awaited before any of it is sent. */
  tail?(tails: { column: number; pieces: { index: ShardIndex; bytes: Uint8Array }[] }[]): Promise<void>;
  /** A column moved to a spare. */
  moved?(column: number, peer: PlacedPeer, spares: PlacedPeer[]): void;
  /** The deal root is committed on chain. */
  committed?(root: Hex): Promise<void>;
}

/** One stored file of `uploadFiles`. */
export interface UploadedFile {
  fileId: FileId;
  handle: string;
  name: string;
  size: number;
  chunkCount: number;
  /** Shard index of the file's first stripe (first chunk under replication) in every column. */
  firstShard: number;
  /** Where every column keeps this file's encrypted manifest. */
  manifestIndex: ShardIndex;
  manifest: Manifest;
}

/** What `uploadFiles` returns: the files, and what they share (redundancy, columns, deal). */
export interface UploadFilesResult extends Omit<UploadResult, 'fileId' | 'handle' | 'name' | 'size' | 'chunkCount' | 'manifest'> {
  dealId: FileId;
  files: UploadedFile[];
}

interface FilePlan {
  source: FileSource;
  name: string;
  mediaType: string;
  fileId: FileId;
  fileKey: Uint8Array;
  size: number;
  chunkCount: number;
  /** Index of the file's first chunk among all chunks of the upload (for the plaintext hashes). */
  chunkBase: number;
  /** Shard indices the file takes in every column, and where they start (set once the redundancy is known). */
  shardCount: number;
  firstShard: number;
}

/**
 * The engine behind `upload` and `uploadBatch`: places the columns once, opens one deal, streams
 * every file in turn (one file open at a time) into the same columns, stores each file's manifest,
 * commits one root and waits for the fills. See `upload` for the pipeline and `uploadBatch` for the
 * batch layout.
 *
 * @example
 * const { dealId, files } = await uploadFiles(deps, { files: [{ source, name: 'a.txt' }], batch: true });
 */
export async function uploadFiles(deps: UploadDeps, params: UploadFilesParams): Promise<UploadFilesResult> {
  const { batch } = params;
  const { marketplace } = deps;
  const chunkSize = params.chunkSize ?? defaults.chunkSize;
  const concurrency = params.concurrency ?? defaults.shardsInFlightPerColumn;
  if (params.files.length < 1) throw new InvalidInputError('nothing to upload: give at least one file');
  if (!batch && params.files.length !== 1) throw new InvalidInputError('a single upload takes exactly one file', { details: { files: params.files.length } });
  if (params.files.length > MAX_BATCH_FILES)
    throw new InvalidInputError(`a batch holds at most ${MAX_BATCH_FILES} files`, { details: { files: params.files.length } });
  const epochs = params.epochs ?? DEFAULT_DEAL_EPOCHS;
  const fillTimeoutSeconds = params.fillTimeoutSeconds ?? DEFAULT_FILL_TIMEOUT_SECONDS;
  const scavenger = createScavenger(
    { gc: collectorOf(deps.collectGarbage) },
    { everyBytes: SCAVENGE_EVERY_BYTES, majorAfterGrowthBytes: MAJOR_AFTER_GROWTH_BYTES, young: false },
  );
  const pollIntervalMs = params.pollIntervalMs ?? 1000;
  checkChunkSize(chunkSize);
  if (params.replicas !== undefined && (!Number.isInteger(params.replicas) || params.replicas < 1 || params.replicas > MAX_COLUMNS))
    throw new InvalidInputError(`replicas must be an integer in [1, ${MAX_COLUMNS}]`, { details: { replicas: params.replicas } });
  if (params.replicas !== undefined && params.redundancy !== undefined)
    throw new InvalidInputError('give either redundancy or replicas, not both', { details: { replicas: params.replicas, redundancy: params.redundancy } });
  if (params.redundancy) checkRedundancy(params.redundancy);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidInputError('concurrency must be a positive integer', { details: { concurrency } });
  for (const f of params.files) {
    const mediaType = f.mediaType ?? 'application/octet-stream';
    if (f.name.length > MAX_NAME_LENGTH)
      throw new InvalidInputError(`file name must have at most ${MAX_NAME_LENGTH} characters`, { details: { name: f.name.slice(0, 80) } });
    if (mediaType.length < 1 || mediaType.length > 255) throw new InvalidInputError('media type must have 1 to 255 characters', { details: { name: f.name } });
  }
  if (deps.master.length !== KEY_BYTES) throw new InvalidInputError(`master secret must be ${KEY_BYTES} bytes`);
  if (!Number.isInteger(fillTimeoutSeconds) || fillTimeoutSeconds < 1) throw new InvalidInputError('fill timeout must be a positive number of seconds');
  if (marketplace && !isAddressEqual(marketplace.walletClient.account.address, deps.account.address)) {
    throw new InvalidInputError('the wallet client must send as the account that signs the upload (the deal owner)', {
      details: { account: deps.account.address, wallet: marketplace.walletClient.account.address },
    });
  }
  let chunkBase = 0;
  const { resume } = params;
  if (resume && resume.fileIds.length !== params.files.length) throw new InvalidInputError('a resumed upload takes the files it started with');
  const files: FilePlan[] = params.files.map((f, i) => {
    const fileId = resume?.fileIds[i] ?? randomFileId();
    const chunkCount = chunkCountOf(f.source.size, chunkSize);
    const plan: FilePlan = {
      source: f.source,
      name: f.name,
      mediaType: f.mediaType ?? 'application/octet-stream',
      fileId,
      fileKey: deriveFileKey({ master: deps.master, fileId }),
      size: f.source.size,
      chunkCount,
      chunkBase,
      shardCount: 0,
      firstShard: 0,
    };
    chunkBase += chunkCount;
    return plan;
  });
  const size = files.reduce((n, f) => n + f.size, 0);
  const chunkCount = chunkBase;
  params.signal?.throwIfAborted();

  // A file alone: its id is the deal id. A batch: a fresh id of its own, drawn like a file id.
  const dealId = resume?.dealId ?? (batch ? randomFileId() : files[0].fileId);
  // Fixed before the first byte: a resumed upload must make the very same manifest.
  const createdAt = resume?.createdAt ?? new Date().toISOString();
  const shardBytes = chunkSize + TAG_BYTES;

  /** Sizes of one column under a redundancy: shards per column, largest manifest, declared slot bytes. */
  const layoutFor = (r: Redundancy) => {
    if (r.scheme === 'rs' && shardBytes % SHARD_ALIGNMENT !== 0)
      throw new InvalidInputError(`under Reed-Solomon the chunk size must be a multiple of ${SHARD_ALIGNMENT}`, { details: { chunkSize } });
    const counts = files.map((f) => (r.scheme === 'rs' ? stripeCountOf(f.chunkCount, r.dataShards) : f.chunkCount));
    const shardCount = counts.reduce((n, c) => n + c, 0);
    const bounds = files.map((f) => manifestBytesBound({ name: f.name, mediaType: f.mediaType, size: f.size, chunkSize, redundancy: r }));
    const manifestBound = Math.max(...bounds);
    if (batch && shardCount + files.length > MAX_SHARD_INDEX + 1)
      throw new InvalidInputError('the files have more shards than a column can index', { details: { shardCount, files: files.length } });
    const f0 = files[0];
    const bytesPerSlot = batch
      ? bytesPerBatchSlotOf({ shardCount, shardBytes, manifestBounds: bounds })
      : bytesPerSlotOf({ name: f0.name, mediaType: f0.mediaType, size: f0.size, chunkSize, redundancy: r });
    return { counts, shardCount, manifestBound, bytesPerSlot };
  };
  const place = (r: Redundancy) => {
    const { shardCount, manifestBound, bytesPerSlot } = layoutFor(r);
    return placeColumns(
      { peers: deps.peers, request: deps.request, experience: deps.experience },
      {
        columns: columnCountOf(r),
        columnBytes: Number(bytesPerSlot),
        shardBytes: shardCount > 0 ? Math.max(shardBytes, manifestBound) : manifestBound,
        chainId: deps.chainId,
        publicEndpointsOnly: params.publicEndpointsOnly,
        signal: params.signal,
      },
    );
  };

  // The redundancy: as asked, or from the network's size, made smaller while too few peers are eligible.
  const asked = params.redundancy ?? (params.replicas !== undefined ? ({ scheme: 'replicate', replicas: params.replicas } as const) : undefined);
  const {
    redundancy,
    reason: redundancyReason,
    placed: placement,
  } = resume
    ? { redundancy: resume.redundancy, reason: undefined, placed: { chosen: resume.chosen, spares: resume.spares } }
    : await placeWithRedundancy(deps, { redundancy: asked, place, signal: params.signal });
  const columnCount = columnCountOf(redundancy);
  const { counts, shardCount, bytesPerSlot } = layoutFor(redundancy);
  let nextShard = 0;
  files.forEach((f, i) => {
    f.shardCount = counts[i];
    f.firstShard = nextShard;
    nextShard += counts[i];
  });
  const rs = redundancy.scheme === 'rs' ? redundancy : undefined;
  const codec = rs ? createCodec(rs) : undefined;
  // Rows in use at once: up to `concurrency` PUTs per column, the row being read, and one a moved column's backfill reads.
  const rows = rowBuffers({ rowBytes: columnCount * shardBytes, keep: concurrency + 3 });
  /**
   * Counts the users of a row's buffer (the loop sending it, then each PUT of it) and gives the
   * buffer back to `rows` when the last one is done.
   */
  const rowRelease = (row: ShardRow) => {
    let users = 1;
    const done = () => {
      users -= 1;
      if (users === 0) rows.give(row.buffer);
    };
    return {
      use: () => {
        users += 1;
        return done;
      },
      done,
    };
  };

  const quote = marketplace ? quoteDeal({ peers: placement.chosen, bytesPerSlot, durationEpochs: epochs }) : undefined;
  await params.checkpoints?.planned?.({
    dealId,
    fileIds: files.map((f) => f.fileId),
    createdAt,
    redundancy,
    chunkSize,
    chosen: placement.chosen,
    spares: placement.spares,
  });
  const opened =
    marketplace && quote
      ? (resume?.opened ?? (await openDeal({ ...marketplace, chainId: deps.chainId }, { dealId, quote, signal: params.signal })))
      : undefined;
  if (opened && !resume?.opened) await params.checkpoints?.opened?.(opened);

  /** Seconds now, by the later of the local clock and the chain's head (the contract checks block.timestamp). */
  // A busy RPC endpoint that times out once is not a reason to fail the upload (or to blame a peer):
  // the head is asked up to CHAIN_READ_ATTEMPTS times, waiting 0.5 s, 1 s, … in between.
  const chainNow = async (): Promise<bigint> => {
    const local = BigInt(Math.floor(Date.now() / 1000));
    if (!marketplace) return local;
    for (let attempt = 1; ; attempt++) {
      try {
        const head = await marketplace.publicClient.getBlock();
        return head.timestamp > local ? head.timestamp : local;
      } catch (err) {
        if (attempt >= CHAIN_READ_ATTEMPTS) {
          throw new ChainUnavailableError(`the chain's head could not be read (${attempt} attempts)`, { details: { attempts: attempt }, cause: err });
        }
        await sleep(250 * 2 ** attempt, params.signal ?? new AbortController().signal);
      }
    }
  };
  const assign = (col: ColumnState): Promise<SignedAssignment> | undefined => {
    if (!marketplace) return undefined;
    const peer = col.peer.operator;
    const task = chainNow().then((now) =>
      signAssignment(
        { account: deps.account, chainId: deps.chainId, market: marketplace.market },
        { dealId, column: col.column, peer, deadline: now + BigInt(fillTimeoutSeconds) },
      ),
    );
    task.catch(() => {});
    return task;
  };

  const stop = new AbortController();
  const signal = params.signal ? AbortSignal.any([params.signal, stop.signal]) : stop.signal;
  const spares = [...placement.spares];
  const moves: ColumnMove[] = [];
  const pending = new Set<Promise<void>>();
  let fatal: Error | undefined;
  const plainHashes = Buffer.alloc(chunkCount * SHA256_BYTES);
  // Chunks whose plaintext SHA-256 is known (journaled by a run a crash cut short): checked, never recorded again.
  const knownChunks = Math.min(chunkCount, Math.floor((resume?.plainHashes.length ?? 0) / SHA256_BYTES));
  if (resume) plainHashes.set(resume.plainHashes.subarray(0, knownChunks * SHA256_BYTES));
  /** Chunks 0..hashedChunks−1 have their plaintext SHA-256 in `plainHashes`. */
  let hashedChunks = knownChunks;
  const columns: ColumnState[] = await Promise.all(
    placement.chosen.map(async (peer, column) => ({
      column,
      hashes: Buffer.alloc(shardCount * SHA256_BYTES),
      peer,
      gen: 0,
      genAbort: new AbortController(),
      inFlight: 0,
      waiters: [],
      mainEnqueued: 0,
      backfillTo: 0,
      manifestDone: false,
      tailStored: 0,
      noticeGen: -1,
      // The client needs only the root: keep no level for proofs (MAX_DEPTH is never reached).
      tree: await SegmentTreeBuilder.create({ keptLevel: MAX_DEPTH }),
    })),
  );
  for (const col of columns) col.assignment = assign(col);

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
    deps.experience?.recordFailure(col.peer.operator);
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
    col.assignment = assign(col);
    col.inFlight = 0;
    col.backfillTo = col.mainEnqueued;
    col.manifestDone = false;
    params.checkpoints?.moved?.(col.column, next, spares);
    wake(col, true);
  };

  /** The chain cannot be read: the upload stops with that error, and no peer is blamed. */
  const failOnChain = (err: unknown) => {
    if (fatal || params.signal?.aborted) return;
    fatal = err instanceof DhostError ? err : new ChainUnavailableError('the chain could not be read', { cause: err });
    stop.abort(fatal);
    for (const c of columns) wake(c, true);
  };

  /** A resumed upload's column still at the peer that holds this piece already: nothing to send. */
  const heldByFirstPeer = (col: ColumnState, index: ShardIndex, sha: string) => col.gen === 0 && resume !== undefined && resume.held(col.column, index, sha);

  const acquire = async (col: ColumnState) => {
    while (col.inFlight >= concurrency) {
      await new Promise<void>((resolve) => col.waiters.push(resolve));
      checkRunning();
    }
  };

  /** Sends one piece to the column's peer; `onStored` when stored by the same peer, `onSettled` when the PUT answered either way (its body is free again). */
  const send = (
    col: ColumnState,
    index: number | typeof MANIFEST_INDEX,
    body: Uint8Array,
    onStored?: () => void,
    contentSha256?: string,
    onSettled?: () => void,
  ) => {
    const gen = col.gen;
    const peer = col.peer;
    col.inFlight += 1;
    const task = Promise.resolve(col.assignment)
      .then(undefined, (err: unknown) => {
        // No assignment (the chain could not be read): not the peer's fault, so no column moves.
        failOnChain(err);
        throw err;
      })
      .then((assignment) =>
        putShard(
          { account: deps.account, chainId: deps.chainId, request: deps.request },
          {
            peer,
            fileId: dealId,
            column: col.column,
            index,
            body,
            contentSha256,
            headers: assignment ? { [ASSIGNMENT_HEADER]: assignment.header } : undefined,
            signal: AbortSignal.any([signal, col.genAbort.signal]),
          },
        ),
      )
      .then(
        () => {
          if (gen === col.gen) onStored?.();
        },
        (err) => {
          if (!(err instanceof ChainUnavailableError)) moveColumn(col, gen, err);
        },
      )
      .finally(() => {
        pending.delete(task);
        onSettled?.();
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

  /** Moved columns catch up, then every column without its manifest gets it; runs until every current peer holds everything. */
  const catchUp = async () => {
    for (;;) {
      checkRunning();
      const behind = columns.filter((c) => c.backfillTo > 0);
      if (behind.length > 0) {
        await backfill(behind);
        continue;
      }
      const withoutManifest = columns.filter((c) => !c.manifestDone);
      if (withoutManifest.length === 0) break;
      const total = withoutManifest.reduce((n, c) => n + (c.tail ?? []).reduce((m, t) => m + t.bytes.length, 0), 0);
      let stored = 0;
      const rounds = withoutManifest.map((col) => ({ col, gen: col.gen }));
      for (const r of rounds) r.col.tailStored = 0;
      const pieces = Math.max(...withoutManifest.map((c) => (c.tail ?? []).length));
      // Piece by piece across the columns, a few in flight per column, as in the first pass.
      for (let i = 0; i < pieces; i++) {
        for (const { col, gen } of rounds) {
          const piece = col.tail?.[i];
          if (!piece || col.gen !== gen) continue;
          const onStored = () => {
            col.tailStored += 1;
            if (col.tailStored === (col.tail ?? []).length) col.manifestDone = true;
            stored += piece.bytes.length;
            params.onProgress?.({ phase: 'manifest', bytes: stored, totalBytes: total });
          };
          if (heldByFirstPeer(col, piece.index, sha256(piece.bytes).toString('hex'))) {
            onStored();
            continue;
          }
          await acquire(col);
          if (col.gen !== gen) continue;
          send(col, piece.index, piece.bytes, onStored);
        }
      }
      await drain();
    }
  };

  /** Each column's commit notice, once the root is committed (the same for whichever peer holds the column). */
  let commits: SlotCommit[] = [];
  /**
   * Sends the commit notice to every column's current peer that has not confirmed it; a peer that
   * refuses or fails loses its column to a spare (which gets the whole column, then the notice).
   */
  const announce = async () => {
    for (;;) {
      checkRunning();
      const todo = columns.filter((c) => c.noticeGen !== c.gen);
      if (todo.length === 0) return;
      await Promise.all(
        todo.map(async (col) => {
          const gen = col.gen;
          try {
            await putSlotCommit(
              { account: deps.account, chainId: deps.chainId, request: deps.request },
              { peer: col.peer, fileId: dealId, column: col.column, commit: commits[col.column], signal: AbortSignal.any([signal, col.genAbort.signal]) },
            );
            if (gen === col.gen) col.noticeGen = gen;
          } catch (err) {
            moveColumn(col, gen, err);
          }
        }),
      );
      await catchUp();
    }
  };

  try {
    // First pass: every row (chunk or stripe), every column; each shard also feeds its column's tree, in order.
    let bytes = 0;
    for await (const row of rowsOf({ verify: false, upTo: shardCount, wanted: () => true })) {
      const release = rowRelease(row);
      try {
        checkRunning();
        // The journal vouches for a chunk's plaintext before any of its ciphertext leaves.
        await params.checkpoints?.hashes?.(plainHashes, hashedChunks);
        for (const col of columns) {
          const shard = row.shards[col.column] as Uint8Array;
          const hash = sha256(shard);
          col.hashes.set(hash, row.index * SHA256_BYTES);
          col.tree.write(shard);
          if (heldByFirstPeer(col, row.index, hash.toString('hex'))) {
            col.mainEnqueued = row.index + 1;
            continue;
          }
          await acquire(col);
          send(col, row.index, shard, undefined, hash.toString('hex'), release.use());
          col.mainEnqueued = row.index + 1;
        }
      } finally {
        release.done();
      }
      bytes += row.plainBytes;
      scavenger.progressed(row.plainBytes);
      params.onProgress?.({ phase: 'upload', bytes, totalBytes: size });
    }
    await drain();
    checkRunning();

    const manifests: Manifest[] = files.map((f) => {
      const common = {
        fileId: f.fileId,
        name: f.name,
        size: f.size,
        mediaType: f.mediaType,
        chunkSize,
        chunkCount: f.chunkCount,
        cipher: 'aes-256-gcm' as const,
        lastChunkLength: lastChunkLengthOf(f.size, chunkSize),
      };
      // The file's own shard hashes: its range of every column's shard indices.
      const hashes = columns.map((c) => ({
        column: c.column,
        shardSha256: c.hashes.subarray(f.firstShard * SHA256_BYTES, (f.firstShard + f.shardCount) * SHA256_BYTES).toString('base64'),
      }));
      return rs
        ? {
            version: ERASURE_MANIFEST_VERSION,
            ...common,
            redundancy: { scheme: 'rs', dataShards: rs.dataShards, parityShards: rs.parityShards },
            shardSize: shardBytes,
            stripeCount: f.shardCount,
            columns: hashes,
            createdAt,
          }
        : { version: MANIFEST_VERSION, ...common, redundancy: { scheme: 'replicate', replicas: columnCount }, columns: hashes, createdAt };
    });
    const manifestIndexOf = (i: number): ShardIndex => (batch ? shardCount + i : MANIFEST_INDEX);
    // Under RS one ciphertext serves every column (a repairer copies it as is); under replication each column has its own.
    // A resumed upload stores the very bytes it journaled (peers may hold them already), never a second encryption.
    const journaled = columns.map((c) => resume?.tailOf?.(c.column, manifests));
    const shared = rs && journaled.some((t) => !t) ? files.map((f, i) => encryptManifest({ fileKey: f.fileKey, manifest: manifests[i] })) : undefined;
    const header = batch ? encodeBatchHeader({ redundancy, chunkSize, shardSize: shardBytes, shardCount, entryCount: files.length }) : undefined;
    for (const col of columns) {
      const again = journaled[col.column];
      if (again) col.tail = again;
      else {
        col.tail = files.map((f, i) => ({
          index: manifestIndexOf(i),
          bytes: shared?.[i] ?? encryptManifest({ fileKey: f.fileKey, column: col.column, manifest: manifests[i] }),
        }));
        if (header) col.tail.push({ index: MANIFEST_INDEX, bytes: header });
      }
      for (const piece of col.tail) col.tree.write(piece.bytes);
    }
    await params.checkpoints?.tail?.(columns.map((c) => ({ column: c.column, pieces: c.tail ?? [] })));
    await catchUp();

    let deal: UploadDeal | undefined;
    if (marketplace && quote && opened) {
      const trees = columns.map((c) => c.tree.finish());
      const segmentCount = trees[0].segmentCount;
      const slotRoots = trees.map((t) => bytesToHex(t.root));
      const keccak = await createKeccakHasher();
      const rootBytes = trees.map((t) => t.root);
      const root = bytesToHex(dealRootOf(keccak, rootBytes));
      if (resume?.root === undefined) await commitRoot(marketplace, { dealId, root, segmentCount: BigInt(segmentCount), signal });
      else if (resume.root !== root) {
        throw new FileChangedError('the root of the resumed upload is not the root the deal committed: the source or the journal changed', {
          details: { dealId, committed: resume.root, computed: root },
        });
      }
      await params.checkpoints?.committed?.(root);
      commits = columns.map((c) => ({
        slotRoot: slotRoots[c.column],
        rootProof: slotRootProof(keccak, rootBytes, c.column).map((node) => bytesToHex(node)),
        segmentCount,
      }));
      await announce();
      const filled = await waitForFills();
      deal = {
        dealId,
        bytesPerSlot,
        pricePerSlotEpoch: quote.pricePerSlotEpoch,
        escrow: opened.escrow,
        endEpoch: opened.endEpoch,
        via: opened.via,
        root,
        slotRoots,
        segmentCount,
        filled,
      };
    }

    return {
      dealId,
      files: files.map((f, i) => {
        const manifestIndex = manifestIndexOf(i);
        return {
          fileId: f.fileId,
          handle:
            manifestIndex === MANIFEST_INDEX
              ? formatHandle({ fileId: f.fileId, fileKey: f.fileKey })
              : formatBatchHandle({ dealId, fileId: f.fileId, fileKey: f.fileKey, manifestIndex, firstShard: f.firstShard }),
          name: f.name,
          size: f.size,
          chunkCount: f.chunkCount,
          firstShard: f.firstShard,
          manifestIndex,
          manifest: manifests[i],
        };
      }),
      redundancy,
      redundancyReason,
      replicas: columnCount,
      columns: columns.map((c) => ({ column: c.column, slotId: slotIdOf(dealId, c.column), operator: c.peer.operator, endpoint: c.peer.endpoint })),
      moves,
      deal,
    };
  } catch (err) {
    stop.abort(err);
    await drain().catch(() => {});
    const failure = params.signal?.aborted ? params.signal.reason : (fatal ?? err);
    if (marketplace && opened) {
      // A failed upload leaves a deal nobody can use: cancel it and take the unearned escrow back
      // (hosts that filled keep their pay to date plus the fill minimum). Best effort, no signal.
      const refund = await cancelDeal(marketplace, { dealId }).then(
        (after) => ({ cancelled: after.cancelled, escrowLeft: String(after.escrow) }),
        (cause: unknown) => ({ cancelled: false, error: cause instanceof Error ? cause.message : String(cause) }),
      );
      if (failure instanceof DhostError) failure.details.refund = refund;
    }
    throw failure;
  }

  /**
   * Polls the slots until every one is filled. A slot whose assignment deadline passed unfilled is
   * reassigned to the best spare and its column re-sent there.
   */
  async function waitForFills(): Promise<{ column: number; peer: Address }[]> {
    const market = marketplace as UploadMarketplaceDeps;
    const filled = new Map<number, Address>();
    for (let poll = 0; ; poll++) {
      checkRunning();
      const open = columns.filter((c) => !filled.has(c.column));
      const slots = await Promise.all(open.map((c) => readSlot(market, { market: market.market, slotId: slotIdOf(dealId, c.column) })));
      open.forEach((c, i) => {
        if (slots[i].state === SLOT_STATE.Filled) filled.set(c.column, slots[i].peer);
      });
      params.onProgress?.({ phase: 'fill', bytes: filled.size, totalBytes: columns.length });
      if (filled.size === columns.length) break;
      const now = await chainNow();
      const late: ColumnState[] = [];
      for (const c of columns) {
        if (filled.has(c.column)) continue;
        const assignment = await c.assignment;
        if (assignment && assignment.deadline < now) late.push(c);
      }
      if (late.length > 0) {
        if (spares.length < late.length) {
          throw new SlotNotFilledError({
            dealId,
            columns: late.map((c) => c.column),
            reasons: late.map((c) => `column ${c.column}: ${c.peer.endpoint} did not fill by its deadline and no spare peer is left`),
            moves,
          });
        }
        for (const c of late) moveColumn(c, c.gen, new Error(`slot not filled by its assignment deadline`));
        await catchUp();
        await announce();
        continue;
      }
      await sleep(Math.min(pollIntervalMs, FIRST_FILL_POLL_MS * 2 ** Math.min(poll, 8)), signal);
    }
    return columns.map((c) => ({ column: c.column, peer: filled.get(c.column) as Address }));
  }

  /**
   * Reads the source from the start and yields, per shard index below `upTo`, what each wanted
   * column stores there. The first pass records each chunk's plaintext SHA-256; a re-read
   * (`verify`) checks it before encrypting again under the same key and nonce (`FileChangedError`
   * otherwise), so changed plaintext is never encrypted under a used key and nonce.
   */
  async function* rowsOf(opts: { verify: boolean; upTo: number; wanted: (column: number) => boolean }): AsyncIterable<ShardRow> {
    const k = rs?.dataShards ?? 1;
    // One file open at a time, in order: file f's rows are shard indices f.firstShard … f.firstShard + f.shardCount − 1.
    for (const f of files) {
      if (f.firstShard >= opts.upTo) return;
      if (f.shardCount === 0) continue;
      yield* fileRowsOf(f, opts.upTo);
    }

    async function* fileRowsOf(f: FilePlan, upTo: number): AsyncIterable<ShardRow> {
      const { fileId, fileKey } = f;
      const erasureKey = rs ? deriveErasureChunkKey({ fileKey, fileId }) : undefined;
      const columnKeys = rs ? [] : Array.from({ length: columnCount }, (_, column) => deriveChunkKey({ fileKey, fileId, column }));
      let data: Uint8Array[] = [];
      let plainBytes = 0;
      // The row being filled: k data shards then m parity shards (RS), or one shard per column (replication).
      let stripe: Buffer | undefined;
      const slice = (buffer: Buffer, i: number) => buffer.subarray(i * shardBytes, (i + 1) * shardBytes);
      for await (const chunk of chunkStream(f.source.open(), { size: f.size, chunkSize, signal })) {
        const index = f.firstShard + Math.floor(chunk.index / k);
        if (index >= upTo) break;
        checkRunning();
        const at = (f.chunkBase + chunk.index) * SHA256_BYTES;
        const hash = sha256(chunk.plaintext);
        if (!opts.verify && f.chunkBase + chunk.index >= knownChunks) {
          plainHashes.set(hash, at);
          hashedChunks = Math.max(hashedChunks, f.chunkBase + chunk.index + 1);
        } else if (!hash.equals(plainHashes.subarray(at, at + SHA256_BYTES))) {
          throw new FileChangedError(`chunk ${chunk.index} of the source changed since it was first read; upload it again as a new file`, {
            details: { index: chunk.index },
          });
        }
        if (!rs) {
          const buffer = rows.take();
          const shards = columnKeys.map((key, column) =>
            opts.wanted(column)
              ? encryptChunk({ key, fileId, index: chunk.index, isLast: chunk.isLast, plaintext: chunk.plaintext, into: slice(buffer, column) })
              : undefined,
          );
          yield { index: f.firstShard + chunk.index, shards, plainBytes: chunk.length, buffer };
          continue;
        }
        stripe ??= rows.take();
        data.push(
          encryptChunk({
            key: erasureKey as Uint8Array,
            fileId,
            index: chunk.index,
            isLast: chunk.isLast,
            plaintext: chunk.plaintext,
            into: slice(stripe, data.length),
          }),
        );
        plainBytes += chunk.length;
        if (data.length < k && !chunk.isLast) continue;
        // Chunks past the end of the file in the last stripe are keyed noise: a zero chunk encrypted
        // under its own chunk index (never a real chunk's, so no nonce is reused), so that padding
        // columns differ from each other and no disk can answer for two of them.
        const stripeStart = chunk.index + 1 - data.length;
        while (data.length < k) {
          const index = stripeStart + data.length;
          data.push(
            encryptChunk({
              key: erasureKey as Uint8Array,
              fileId,
              index,
              isLast: false,
              plaintext: new Uint8Array(chunkSize),
              into: slice(stripe, data.length),
            }),
          );
        }
        const needParity = columns.some((c) => c.column >= k && opts.wanted(c.column));
        if (needParity) await (codec as NonNullable<typeof codec>).encodeStripe(stripe, shardBytes);
        checkRunning();
        const buffer = stripe;
        const shards = Array.from({ length: columnCount }, (_, column) => (opts.wanted(column) ? slice(buffer, column) : undefined));
        yield { index, shards, plainBytes, buffer };
        data = [];
        stripe = undefined;
        plainBytes = 0;
      }
    }
  }

  /** Re-reads the source from the start and sends each behind column the shards its peer lacks. */
  async function backfill(behind: ColumnState[]): Promise<void> {
    const targets = behind.map((col) => ({ col, gen: col.gen, upTo: col.backfillTo }));
    const upTo = Math.max(...targets.map((t) => t.upTo));
    const wanted = (column: number) => targets.some((t) => t.col.column === column && t.col.gen === t.gen);
    for await (const row of rowsOf({ verify: true, upTo, wanted })) {
      const release = rowRelease(row);
      try {
        checkRunning();
        for (const t of targets) {
          const shard = row.shards[t.col.column];
          if (t.col.gen !== t.gen || row.index >= t.upTo || !shard) continue;
          await acquire(t.col);
          if (t.col.gen !== t.gen) continue;
          send(t.col, row.index, shard, undefined, undefined, release.use());
        }
      } finally {
        release.done();
      }
    }
    await drain();
    for (const t of targets) if (t.col.gen === t.gen) t.col.backfillTo = 0;
  }
}
