import { createHash } from 'node:crypto';
import type { Address, LocalAccount } from 'viem';
import type { MANIFEST_INDEX, ShardIndex } from '../protocol/column';
import { defaults } from '../protocol/config';
import { type FileId, slotIdOf } from '../protocol/ids';
import { type CollectGarbage, collectorOf, createScavenger, MAJOR_AFTER_GROWTH_BYTES, SCAVENGE_EVERY_BYTES, type Scavenger } from '../protocol/scavenger';
import { accessForLink } from './access/access-for-link';
import type { ReadAccess } from './access/read-access';
import { decryptChunk, TAG_BYTES } from './cipher';
import type { ChainReader } from './deal/chain-deps';
import { readChainHolders } from './deal/read-holders';
import { isPublicEndpoint } from './endpoint-policy';
import { createCodec } from './erasure';
import { ChunksLostError, type ColumnFailure, IntegrityError, ManifestError, NoColumnsFoundError, StripesLostError } from './errors';
import { deriveChunkKey, deriveErasureChunkKey } from './keys';
import { decryptManifest, ERASURE_MANIFEST_VERSION, type ErasureManifest, type Manifest, shardHashesOf } from './manifest';
import type { PeerExperienceLog } from './peer-experience';
import type { PeerSource } from './peer-source';
import type { OnProgress } from './progress';
import { rowBuffers } from './row-buffers';
import { type ParsedLink, parseLink } from './share-link';
import { getHoldings } from './transport/get-holdings';
import { getShard } from './transport/get-shard';
import type { HttpRequester } from './transport/http-requester';

/**
 * What `download` needs. With `marketplace`, a file with a deal is read from the peers that hold its
 * slots on chain; `peers` (the active peers) is asked only for files without a deal, or when no slot
 * of the deal is filled.
 */
export interface DownloadDeps {
  peers: PeerSource;
  marketplace?: { publicClient: ChainReader; market: Address; registry: Address };
  request?: HttpRequester;
  /** How shard reads are authorized. Default: the share link's token (co-signed by `account` when it names a grantee), or a short token `account` signs for itself as the deal's owner or read delegate (`accessForLink`). */
  access?: ReadAccess;
  /** The reader's account: the owner or a delegate, or the grantee of a share link. */
  account?: Pick<LocalAccount, 'address' | 'signMessage' | 'signTypedData'>;
  /** Where reads that succeeded and failed are recorded per operator (placement reads it to lower the score of peers that do not serve). */
  experience?: Pick<PeerExperienceLog, 'recordSuccess' | 'recordFailure'>;
  /**
   * Asked for a young collection after every 2 MiB received (`createScavenger`: frees the socket
   * reads Node leaves behind). Default the process's `gc` when Node runs with `--expose-gc`, as the
   * `dhost` command does; `false` never.
   */
  collectGarbage?: CollectGarbage | false;
}

/** What `download` is asked to do. */
export interface DownloadParams {
  handle: string;
  /** Chunks fetched ahead of the one being emitted (memory ≈ window × chunk size; under Reed-Solomon
   * rounded up to whole stripes, at least two). Default 4. */
  window?: number;
  /**
   * Under Reed-Solomon, how long a stripe's k requests may run before one more column is asked
   * (the hedge), milliseconds. Default: adaptive, three times the recent mean shard time (at least
   * 50 ms, at most 2 s, 250 ms before the first shard). 0 hedges at once (k + 1 requests from the start).
   */
  hedgeAfterMs?: number;
  /** Per-request timeout for shards. Default `defaults.requestTimeoutMs`. */
  timeoutMs?: number;
  /** Timeout of the `GET /files/:fileId` round. Default `defaults.statusTimeoutMs`. */
  holdingsTimeoutMs?: number;
  /** Skip peers whose endpoint is loopback, private or link-local (all networks but the devnet). */
  publicEndpointsOnly?: boolean;
  /** Called once with the validated manifest, before the first byte. */
  onManifest?: (manifest: Manifest) => void;
  /**
   * Hand out each piece as a view of a reused receive buffer, decrypted in place, valid only until
   * the next piece is asked for: no new buffer per chunk, for a consumer that is done with a piece
   * before it asks for the next (`downloadToFile` writes it out). Default false: every piece is a
   * buffer of its own that the caller may keep.
   */
  reusePieces?: boolean;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

/** A peer that holds a column, with what it says it holds. */
interface Holder {
  endpoint: string;
  /** The peer's operator address, when the candidate list named it. */
  operator?: Address;
  rttMs: number;
  /** Shard index → SHA-256 hex, as the peer lists it. */
  shards: Map<number | typeof MANIFEST_INDEX, string>;
}

const SHA256_BYTES = 32;
/** Adaptive hedge (Reed-Solomon reads): delay before the first shard time is known, bounds, factor over the mean, and the mean's weight of a new sample. */
const HEDGE_FIRST_MS = 250;
const HEDGE_MIN_MS = 50;
const HEDGE_MAX_MS = 2_000;
const HEDGE_FACTOR = 3;
const HEDGE_WEIGHT = 0.2;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Downloads a file from its handle alone, as a stream of plaintext pieces in order (one per chunk,
 * the last one trimmed to its true length).
 *
 * Reconstruction: the holders of the deal's slots (from the chain, with `deps.marketplace`), or for
 * a file without a deal every active peer, are asked `GET /files/:fileId` in parallel (unreachable
 * peers are skipped) → the columns and their holders, fastest first → the manifest from any column (the next on any
 * failure) → for each chunk, the columns in order of their fastest holder: fetch the shard, check
 * its SHA-256 against the manifest before decrypting, decrypt (tag check), and fall over to the next
 * holder or column on any failure. A window of chunks is fetched ahead in parallel while pieces are
 * emitted in order, so memory stays bounded. When no column can serve a chunk: `ChunksLostError`
 * with the lost chunk indices (the failed ones in the window, and every later chunk no peer lists)
 * and, per column, why it failed. No peer holds anything: `NoColumnsFoundError`; no usable
 * manifest: `ManifestError`.
 *
 * Reed-Solomon files (manifest version 2, docs/erasure.md): per stripe, k shard requests start at
 * once and one more (the hedge) when they are not all in after `hedgeAfterMs` (adaptive by
 * default), data columns first and each group fastest first, so when every data shard
 * arrives nothing is decoded; the first k shards that arrive and pass their SHA-256 check against
 * the manifest are used and the other requests are cancelled (AbortSignal); a failed request
 * starts the next column, until all k + m were tried. Missing data shards are rebuilt from those k
 * (Reed-Solomon decode), then every chunk is decrypted with its tag check and emitted in order, a
 * few stripes ahead. Fewer than k columns for a stripe: `StripesLostError` listing the
 * unrecoverable stripes (the failed ones ahead, and every later stripe fewer than k peers list).
 *
 * A file in a batch (docs/batches.md; handle `dhost://<deal id>/<file id>?m=…&o=…#<key>`) is read the
 * same way from its deal's columns: its manifest at the handle's manifest index, its stripes (chunks
 * under replication) from the handle's first shard index on. Another file's manifest does not
 * decrypt under this file's key (`ManifestError`).
 *
 * @example
 * for await (const piece of download({ peers, marketplace, account }, { handle: 'dhost://3f…#q1…' })) process.stdout.write(piece);
 * for await (const piece of download({ peers, marketplace }, { handle: 'dhost://3f…?t=AQ…#q1…' })) process.stdout.write(piece); // a share link
 */
export async function* download(given: DownloadDeps, params: DownloadParams): AsyncIterable<Uint8Array> {
  const link = parseLink(params.handle);
  const { fileId, fileKey, dealId, manifestIndex, firstShard } = link.location;
  const deps: DownloadDeps = { ...given, access: given.access ?? (await defaultAccess(given, link)) };
  const scavenger = createScavenger(
    { gc: collectorOf(given.collectGarbage) },
    { everyBytes: SCAVENGE_EVERY_BYTES, majorAfterGrowthBytes: MAJOR_AFTER_GROWTH_BYTES },
  );
  const window = Math.max(1, params.window ?? 4);
  const stop = new AbortController();
  const signal = params.signal ? AbortSignal.any([params.signal, stop.signal]) : stop.signal;
  try {
    const { holders, asked, answered } = await findHolders(deps, {
      fileId: dealId,
      timeoutMs: params.holdingsTimeoutMs,
      publicEndpointsOnly: params.publicEndpointsOnly,
      signal,
    });
    if (holders.size === 0) {
      throw new NoColumnsFoundError(`no active peer holds file ${fileId} (${answered} of ${asked} peers answered)`, {
        details: { fileId, dealId, asked, answered },
      });
    }
    const manifest = await fetchManifest(deps, {
      fileId,
      dealId,
      manifestIndex,
      fileKey,
      holders,
      timeoutMs: params.timeoutMs,
      signal,
      onProgress: params.onProgress,
    });
    params.onManifest?.(manifest);
    if (manifest.version === ERASURE_MANIFEST_VERSION) {
      yield* erasurePieces(deps, {
        fileId,
        dealId,
        firstShard,
        fileKey,
        manifest,
        holders,
        window,
        timeoutMs: params.timeoutMs,
        hedgeAfterMs: params.hedgeAfterMs,
        reusePieces: params.reusePieces ?? false,
        scavenger,
        signal,
        onProgress: params.onProgress,
      });
      return;
    }

    const replicas = manifest.redundancy.replicas;
    const fastest = (c: number) => holders.get(c)?.[0]?.rttMs ?? Number.POSITIVE_INFINITY;
    const order = Array.from({ length: replicas }, (_, c) => c).sort((a, b) => fastest(a) - fastest(b));
    const hashes = order.map((c) => ({ column: c, hashes: shardHashesOf(manifest, c), key: deriveChunkKey({ fileKey, fileId, column: c }) }));
    const shardBytes = manifest.chunkSize + TAG_BYTES;
    // Shards are received into reused buffers (they wait on the network long enough to outlive a
    // young collection); each plaintext is a fresh buffer the caller may keep, or with
    // `reusePieces` the shard's buffer decrypted in place, given back once the caller asks for more.
    const reuse = params.reusePieces ?? false;
    const shardBuffers = rowBuffers({ rowBytes: shardBytes, keep: window + 2 });
    const expectedHash = (column: number, index: number) => {
      const entry = hashes.find((h) => h.column === column)!;
      return Buffer.from(entry.hashes.subarray(index * SHA256_BYTES, (index + 1) * SHA256_BYTES)).toString('hex');
    };

    // Spread reads: chunk i starts at the (i mod n)-th column that has a holder, so n replicas
    // serve a download together instead of the fastest one serving it alone; the others follow
    // as failover in order of their fastest holder.
    const served = hashes.filter(({ column }) => (holders.get(column) ?? []).length > 0);
    const unserved = hashes.filter(({ column }) => (holders.get(column) ?? []).length === 0);
    const columnsFor = (index: number) => {
      const start = served.length === 0 ? 0 : index % served.length;
      return [...served.slice(start), ...served.slice(0, start), ...unserved];
    };

    const fetchChunk = async (index: number): Promise<{ piece: Uint8Array; release: () => void }> => {
      const isLast = index === manifest.chunkCount - 1;
      const failures: ColumnFailure[] = [];
      for (const { column, key } of columnsFor(index)) {
        const expected = expectedHash(column, index);
        const reasons: string[] = [];
        const columnHolders = holders.get(column) ?? [];
        if (columnHolders.length === 0) reasons.push('no peer holds this column');
        for (const holder of columnHolders) {
          const listed = holder.shards.get(firstShard + index);
          if (listed === undefined) {
            reasons.push(`${holder.endpoint}: does not list shard ${index}`);
            continue;
          }
          if (listed !== expected) {
            reasons.push(`${holder.endpoint}: lists another hash for shard ${index}`);
            continue;
          }
          const buffer = shardBuffers.take();
          let lent = false;
          try {
            const shard = await getShard(
              { request: deps.request, access: deps.access },
              {
                endpoint: holder.endpoint,
                node: holder.operator,
                fileId: dealId,
                column,
                index: firstShard + index,
                maxBytes: shardBytes,
                timeoutMs: params.timeoutMs,
                signal,
                into: buffer,
              },
            );
            scavenger.progressed(shard.length);
            const got = createHash('sha256').update(shard).digest('hex');
            if (shard.length !== shardBytes || got !== expected) {
              throw new IntegrityError(`shard ${index} of column ${column} does not match the manifest`, { details: { index, column, expected, got } });
            }
            const plaintext = decryptChunk({ key, fileId, index, isLast, shard, inPlace: reuse });
            if (holder.operator) deps.experience?.recordSuccess(holder.operator);
            lent = reuse;
            return {
              piece: isLast ? plaintext.subarray(0, manifest.lastChunkLength) : plaintext,
              release: () => {
                if (reuse) shardBuffers.give(buffer);
              },
            };
          } catch (err) {
            signal.throwIfAborted();
            if (holder.operator) deps.experience?.recordFailure(holder.operator);
            reasons.push(`${holder.endpoint}: ${message(err)}`);
          } finally {
            // A plaintext of its own leaves the shard's buffer free for the next request; a piece
            // decrypted in place holds it until the caller asks for the next.
            if (!lent) shardBuffers.give(buffer);
          }
        }
        failures.push({ column, reasons });
      }
      throw new ChunksLostError({ lost: [index], columns: failures });
    };

    /** Chunks from `from` on that no holder of any column lists with the manifest's hash. */
    const unlisted = (from: number): number[] => {
      const out: number[] = [];
      for (let i = from; i < manifest.chunkCount; i++) {
        const listed = hashes.some(({ column }) => (holders.get(column) ?? []).some((h) => h.shards.get(firstShard + i) === expectedHash(column, i)));
        if (!listed) out.push(i);
      }
      return out;
    };

    const inflight = new Map<number, Promise<{ piece: Uint8Array; release: () => void }>>();
    let next = 0;
    let bytes = 0;
    for (let i = 0; i < manifest.chunkCount; i++) {
      while (next < manifest.chunkCount && next < i + window) {
        const task = fetchChunk(next);
        task.catch(() => {});
        inflight.set(next, task);
        next += 1;
      }
      const task = inflight.get(i)!;
      inflight.delete(i);
      let got: { piece: Uint8Array; release: () => void };
      try {
        got = await task;
      } catch (err) {
        if (!(err instanceof ChunksLostError)) throw err;
        const lost = new Set([i]);
        for (const [j, other] of inflight) {
          if (
            await other.then(
              () => false,
              (e) => e instanceof ChunksLostError,
            )
          )
            lost.add(j);
        }
        for (const j of unlisted(next)) lost.add(j);
        throw new ChunksLostError({ lost: [...lost].sort((a, b) => a - b), columns: err.columns });
      }
      try {
        bytes += got.piece.length;
        params.onProgress?.({ phase: 'download', bytes, totalBytes: manifest.size });
        yield got.piece;
      } finally {
        got.release();
      }
    }
    if (bytes !== manifest.size) throw new IntegrityError(`emitted ${bytes} bytes of a ${manifest.size}-byte file`);
  } finally {
    stop.abort();
  }
}

/** Per stripe: the plaintext pieces of its chunks, in order, trimmed to their true lengths. */
async function* erasurePieces(
  deps: DownloadDeps,
  params: {
    fileId: FileId;
    /** The deal whose columns hold the file, and the index of its first stripe there. */
    dealId: FileId;
    firstShard: number;
    fileKey: Uint8Array;
    manifest: ErasureManifest;
    holders: Map<number, Holder[]>;
    window: number;
    timeoutMs?: number;
    hedgeAfterMs?: number;
    /** Decrypt in place and hand out views of the receive buffers (see `DownloadParams.reusePieces`). */
    reusePieces: boolean;
    scavenger: Scavenger;
    signal: AbortSignal;
    onProgress?: OnProgress;
  },
): AsyncIterable<Uint8Array> {
  const { fileId, dealId, firstShard, manifest, holders, signal } = params;
  const { dataShards: k, parityShards: m } = manifest.redundancy;
  const n = k + m;
  const codec = createCodec({ dataShards: k, parityShards: m });
  const key = deriveErasureChunkKey({ fileKey: params.fileKey, fileId });
  const hashes = Array.from({ length: n }, (_, c) => shardHashesOf(manifest, c));
  const expectedHash = (column: number, stripe: number) =>
    Buffer.from(hashes[column].subarray(stripe * SHA256_BYTES, (stripe + 1) * SHA256_BYTES)).toString('hex');
  const fastest = (c: number) => holders.get(c)?.[0]?.rttMs ?? Number.POSITIVE_INFINITY;
  const byRtt = (a: number, b: number) => fastest(a) - fastest(b);
  // Data columns first (no decode when they all answer), each group fastest first.
  const order = [...Array.from({ length: k }, (_, c) => c).sort(byRtt), ...Array.from({ length: m }, (_, i) => k + i).sort(byRtt)];

  const ahead = Math.max(2, Math.ceil(params.window / k));
  // Shards are received into reused buffers: they wait on the network and for their stripe long
  // enough to outlive a young collection, and would otherwise pile up as old garbage. Each
  // plaintext is a buffer of its own, decrypted just before it is handed on (the caller may keep
  // it), or with `reusePieces` its shard's buffer decrypted in place, given back once the caller
  // has asked for the piece after the stripe's last.
  const shardBuffers = rowBuffers({ rowBytes: manifest.shardSize, keep: (ahead + 1) * (k + 1) });

  /** One column's shard of a stripe, from its holders in turn, checked against the manifest (in a buffer of `shardBuffers`). */
  const fetchColumnShard = async (column: number, stripe: number, abort: AbortSignal, reasons: string[]): Promise<Uint8Array> => {
    const expected = expectedHash(column, stripe);
    const columnHolders = holders.get(column) ?? [];
    if (columnHolders.length === 0) reasons.push('no peer holds this column');
    for (const holder of columnHolders) {
      const listed = holder.shards.get(firstShard + stripe);
      if (listed !== expected) {
        reasons.push(`${holder.endpoint}: ${listed === undefined ? 'does not list' : 'lists another hash for'} shard ${stripe}`);
        continue;
      }
      const buffer = shardBuffers.take();
      try {
        const shard = await getShard(
          { request: deps.request, access: deps.access },
          {
            endpoint: holder.endpoint,
            node: holder.operator,
            fileId: dealId,
            column,
            index: firstShard + stripe,
            maxBytes: manifest.shardSize,
            timeoutMs: params.timeoutMs,
            signal: abort,
            into: buffer,
          },
        );
        params.scavenger.progressed(shard.length);
        const got = createHash('sha256').update(shard).digest('hex');
        if (shard.length !== manifest.shardSize || got !== expected) {
          throw new IntegrityError(`shard ${stripe} of column ${column} does not match the manifest`, { details: { stripe, column, expected, got } });
        }
        if (holder.operator) deps.experience?.recordSuccess(holder.operator);
        return shard;
      } catch (err) {
        shardBuffers.give(buffer);
        abort.throwIfAborted();
        if (holder.operator) deps.experience?.recordFailure(holder.operator);
        reasons.push(`${holder.endpoint}: ${message(err)}`);
      }
    }
    throw new StripesLostError({ lost: [stripe], columns: [{ column, reasons }] });
  };

  // Recent mean time of a shard request (exponentially weighted), for the adaptive hedge delay.
  let meanShardMs: number | undefined;
  const hedgeDelay = () =>
    params.hedgeAfterMs ?? (meanShardMs === undefined ? HEDGE_FIRST_MS : Math.min(HEDGE_MAX_MS, Math.max(HEDGE_MIN_MS, HEDGE_FACTOR * meanShardMs)));

  /**
   * The first k checked shards of a stripe: k requests at once, one more (the hedge) when they are
   * not all in after `hedgeDelay()`, and a replacement for every failed one; the rest cancelled.
   * Hedging late rather than at once keeps the bytes read near the file's size when every peer is
   * healthy.
   */
  const fetchShards = (stripe: number): Promise<(Uint8Array | undefined)[]> =>
    new Promise((resolve, reject) => {
      const got: (Uint8Array | undefined)[] = new Array(n).fill(undefined);
      const failures: ColumnFailure[] = [];
      const running = new Map<number, AbortController>();
      let ok = 0;
      let next = 0;
      let settled = false;
      let hedged = false;
      const delay = hedgeDelay();
      const hedgeTimer =
        delay > 0
          ? setTimeout(() => {
              hedged = true;
              launch();
            }, delay)
          : undefined;
      if (delay <= 0) hedged = true;
      const finish = (error?: Error) => {
        settled = true;
        clearTimeout(hedgeTimer);
        for (const ctrl of running.values()) ctrl.abort(new Error('hedged request no longer needed'));
        running.clear();
        if (error) reject(error);
        else resolve(got);
      };
      const launch = () => {
        while (!settled && ok + running.size < k + (hedged ? 1 : 0) && next < order.length) {
          const column = order[next++];
          const ctrl = new AbortController();
          running.set(column, ctrl);
          const reasons: string[] = [];
          const started = performance.now();
          fetchColumnShard(column, stripe, AbortSignal.any([signal, ctrl.signal]), reasons).then(
            (shard) => {
              const took = performance.now() - started;
              meanShardMs = meanShardMs === undefined ? took : meanShardMs + (took - meanShardMs) * HEDGE_WEIGHT;
              if (settled) {
                shardBuffers.give(shard);
                return;
              }
              running.delete(column);
              got[column] = shard;
              ok += 1;
              if (ok === k) finish();
              else launch();
            },
            (err: unknown) => {
              if (settled) return;
              running.delete(column);
              if (signal.aborted) return finish(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
              failures.push({ column, reasons: reasons.length > 0 ? reasons : [message(err)] });
              launch();
            },
          );
        }
        if (!settled && ok < k && running.size === 0) finish(new StripesLostError({ lost: [stripe], columns: failures.sort((a, b) => a.column - b.column) }));
      };
      launch();
    });

  /** A stripe's k data shards (fetched or rebuilt, checked) and a function giving the fetched ones' buffers back. */
  const fetchStripe = async (stripe: number): Promise<{ data: Uint8Array[]; release: () => void }> => {
    const shards = await fetchShards(stripe);
    const release = () => {
      for (const s of shards) if (s) shardBuffers.give(s);
    };
    const missing = Array.from({ length: k }, (_, j) => j).filter((j) => shards[j] === undefined);
    const data =
      missing.length === 0
        ? (shards.slice(0, k) as Uint8Array[])
        : await codec.reconstruct(
            shards,
            Array.from({ length: k }, (_, j) => j),
          );
    for (const j of missing) {
      const got = createHash('sha256').update(data[j]).digest('hex');
      if (got !== expectedHash(j, stripe))
        throw new IntegrityError(`rebuilt shard ${stripe} of column ${j} does not match the manifest`, { details: { stripe, column: j } });
    }
    return { data, release };
  };

  /** Stripes from `from` on for which fewer than k columns have a holder listing the manifest's hash. */
  const unlisted = (from: number): number[] => {
    const out: number[] = [];
    for (let s = from; s < manifest.stripeCount; s++) {
      let listed = 0;
      for (let c = 0; c < n; c++) if ((holders.get(c) ?? []).some((h) => h.shards.get(firstShard + s) === expectedHash(c, s))) listed += 1;
      if (listed < k) out.push(s);
    }
    return out;
  };

  const inflight = new Map<number, Promise<{ data: Uint8Array[]; release: () => void }>>();
  let next = 0;
  let bytes = 0;
  for (let s = 0; s < manifest.stripeCount; s++) {
    while (next < manifest.stripeCount && next < s + ahead) {
      const task = fetchStripe(next);
      task.catch(() => {});
      inflight.set(next, task);
      next += 1;
    }
    const task = inflight.get(s) as Promise<{ data: Uint8Array[]; release: () => void }>;
    inflight.delete(s);
    let stripe: { data: Uint8Array[]; release: () => void };
    try {
      stripe = await task;
    } catch (err) {
      if (!(err instanceof StripesLostError)) throw err;
      const lost = new Set([s]);
      for (const [j, other] of inflight) {
        if (
          await other.then(
            () => false,
            (e) => e instanceof StripesLostError,
          )
        )
          lost.add(j);
      }
      for (const j of unlisted(next)) lost.add(j);
      throw new StripesLostError({ lost: [...lost].sort((a, b) => a - b), columns: err.columns });
    }
    try {
      for (let j = 0; j < k; j++) {
        const index = s * k + j;
        if (index >= manifest.chunkCount) break;
        const isLast = index === manifest.chunkCount - 1;
        const plaintext = decryptChunk({ key, fileId, index, isLast, shard: stripe.data[j], inPlace: params.reusePieces });
        const piece = isLast ? plaintext.subarray(0, manifest.lastChunkLength) : plaintext;
        bytes += piece.length;
        params.onProgress?.({ phase: 'download', bytes, totalBytes: manifest.size });
        yield piece;
      }
    } finally {
      stripe.release();
    }
  }
  if (bytes !== manifest.size) throw new IntegrityError(`emitted ${bytes} bytes of a ${manifest.size}-byte file`);
}

/**
 * The peers to ask: the deal's slot holders from the chain when the file has a deal with a filled
 * slot, otherwise every active peer (files uploaded before deals).
 */
/** The link's token, or a token the account signs for itself; none without a chain to check the deal's owner on. */
async function defaultAccess(deps: DownloadDeps, link: ParsedLink): Promise<ReadAccess | undefined> {
  if (!deps.marketplace) return link.tokenText ? { token: link.tokenText, chainId: 0 } : undefined;
  const { publicClient, market } = deps.marketplace;
  const chainId = await publicClient.getChainId();
  return accessForLink({ account: deps.account, publicClient }, { chainId, market, link });
}

async function candidatesOf(deps: DownloadDeps, params: { fileId: FileId; signal: AbortSignal }): Promise<{ endpoint: string; operator?: Address }[]> {
  if (deps.marketplace) {
    const { publicClient, market, registry } = deps.marketplace;
    const fromChain = await readChainHolders({ publicClient }, { market, registry, dealId: params.fileId });
    params.signal.throwIfAborted();
    if (fromChain && fromChain.length > 0) return [...new Map(fromChain.map((h) => [h.endpoint, h])).values()];
  }
  return deps.peers.listPeers(params.signal);
}

/** Asks the candidate peers what they hold of the file; holders per column, fastest first. */
async function findHolders(
  deps: DownloadDeps,
  params: { fileId: FileId; timeoutMs?: number; publicEndpointsOnly?: boolean; signal: AbortSignal },
): Promise<{ holders: Map<number, Holder[]>; asked: number; answered: number }> {
  const peers = (await candidatesOf(deps, params)).filter((p) => !params.publicEndpointsOnly || isPublicEndpoint(p.endpoint));
  const holders = new Map<number, Holder[]>();
  let answered = 0;
  await Promise.all(
    peers.map(async (peer) => {
      try {
        const { holdings, rttMs } = await getHoldings(
          { request: deps.request },
          { endpoint: peer.endpoint, fileId: params.fileId, timeoutMs: params.timeoutMs ?? defaults.statusTimeoutMs, signal: params.signal },
        );
        answered += 1;
        for (const slot of holdings.slots) {
          if (slot.slotId !== slotIdOf(params.fileId, slot.column)) continue;
          const shards = new Map(slot.shards.map((s) => [s.index, s.sha256] as const));
          const list = holders.get(slot.column) ?? [];
          list.push({ endpoint: peer.endpoint, operator: peer.operator, rttMs, shards });
          holders.set(slot.column, list);
        }
      } catch {
        params.signal.throwIfAborted();
        // unreachable or confused peer: skipped
      }
    }),
  );
  for (const list of holders.values()) list.sort((a, b) => a.rttMs - b.rttMs);
  return { holders, asked: peers.length, answered };
}

/** The manifest from the first column (fastest holder first) that gives a valid one. */
async function fetchManifest(
  deps: DownloadDeps,
  params: {
    fileId: FileId;
    dealId: FileId;
    manifestIndex: ShardIndex;
    fileKey: Uint8Array;
    holders: Map<number, Holder[]>;
    timeoutMs?: number;
    signal: AbortSignal;
    onProgress?: OnProgress;
  },
): Promise<Manifest> {
  const reasons: string[] = [];
  const columns = [...params.holders.entries()].sort((a, b) => a[1][0].rttMs - b[1][0].rttMs);
  for (const [column, list] of columns) {
    for (const holder of list) {
      if (!holder.shards.has(params.manifestIndex)) {
        reasons.push(`column ${column} at ${holder.endpoint}: no manifest listed`);
        continue;
      }
      try {
        const bytes = await getShard(
          { request: deps.request, access: deps.access },
          {
            endpoint: holder.endpoint,
            node: holder.operator,
            fileId: params.dealId,
            column,
            index: params.manifestIndex,
            timeoutMs: params.timeoutMs,
            signal: params.signal,
          },
        );
        const manifest = decryptManifest({ fileKey: params.fileKey, fileId: params.fileId, column, bytes });
        params.onProgress?.({ phase: 'manifest', bytes: bytes.length, totalBytes: bytes.length });
        return manifest;
      } catch (err) {
        params.signal.throwIfAborted();
        reasons.push(`column ${column} at ${holder.endpoint}: ${message(err)}`);
      }
    }
  }
  throw new ManifestError(`no column gave a valid manifest: ${reasons.join('; ')}`, { details: { fileId: params.fileId, reasons } });
}
