import { createHash } from 'node:crypto';
import type { Address } from 'viem';
import { MANIFEST_INDEX } from '../protocol/column';
import { defaults } from '../protocol/config';
import { type FileId, slotIdOf } from '../protocol/ids';
import { decryptChunk, TAG_BYTES } from './cipher';
import type { ChainReader } from './deal/chain-deps';
import { readChainHolders } from './deal/read-holders';
import { isPublicEndpoint } from './endpoint-policy';
import { ChunksLostError, type ColumnFailure, IntegrityError, ManifestError, NoColumnsFoundError } from './errors';
import { parseHandle } from './handle';
import { deriveChunkKey } from './keys';
import { decryptManifest, type Manifest, shardHashesOf } from './manifest';
import type { PeerSource } from './peer-source';
import type { OnProgress } from './progress';
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
}

/** What `download` is asked to do. */
export interface DownloadParams {
  handle: string;
  /** Chunks fetched ahead of the one being emitted (memory ≈ window × chunk size). Default 4. */
  window?: number;
  /** Per-request timeout for shards. Default `defaults.requestTimeoutMs`. */
  timeoutMs?: number;
  /** Timeout of the `GET /files/:fileId` round. Default `defaults.statusTimeoutMs`. */
  holdingsTimeoutMs?: number;
  /** Skip peers whose endpoint is loopback, private or link-local (all networks but the devnet). */
  publicEndpointsOnly?: boolean;
  /** Called once with the validated manifest, before the first byte. */
  onManifest?: (manifest: Manifest) => void;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

/** A peer that holds a column, with what it says it holds. */
interface Holder {
  endpoint: string;
  rttMs: number;
  /** Shard index → SHA-256 hex, as the peer lists it. */
  shards: Map<number | typeof MANIFEST_INDEX, string>;
}

const SHA256_BYTES = 32;

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
 * @example
 * for await (const piece of download({ peers }, { handle: 'dhost://3f…#q1…' })) process.stdout.write(piece);
 */
export async function* download(deps: DownloadDeps, params: DownloadParams): AsyncIterable<Uint8Array> {
  const { fileId, fileKey } = parseHandle(params.handle);
  const window = Math.max(1, params.window ?? 4);
  const stop = new AbortController();
  const signal = params.signal ? AbortSignal.any([params.signal, stop.signal]) : stop.signal;
  try {
    const { holders, asked, answered } = await findHolders(deps, {
      fileId,
      timeoutMs: params.holdingsTimeoutMs,
      publicEndpointsOnly: params.publicEndpointsOnly,
      signal,
    });
    if (holders.size === 0) {
      throw new NoColumnsFoundError(`no active peer holds file ${fileId} (${answered} of ${asked} peers answered)`, { details: { fileId, asked, answered } });
    }
    const manifest = await fetchManifest(deps, { fileId, fileKey, holders, timeoutMs: params.timeoutMs, signal, onProgress: params.onProgress });
    params.onManifest?.(manifest);

    const replicas = manifest.redundancy.replicas;
    const fastest = (c: number) => holders.get(c)?.[0]?.rttMs ?? Number.POSITIVE_INFINITY;
    const order = Array.from({ length: replicas }, (_, c) => c).sort((a, b) => fastest(a) - fastest(b));
    const hashes = order.map((c) => ({ column: c, hashes: shardHashesOf(manifest, c), key: deriveChunkKey({ fileKey, fileId, column: c }) }));
    const shardBytes = manifest.chunkSize + TAG_BYTES;
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

    const fetchChunk = async (index: number): Promise<Uint8Array> => {
      const isLast = index === manifest.chunkCount - 1;
      const failures: ColumnFailure[] = [];
      for (const { column, key } of columnsFor(index)) {
        const expected = expectedHash(column, index);
        const reasons: string[] = [];
        const columnHolders = holders.get(column) ?? [];
        if (columnHolders.length === 0) reasons.push('no peer holds this column');
        for (const holder of columnHolders) {
          const listed = holder.shards.get(index);
          if (listed === undefined) {
            reasons.push(`${holder.endpoint}: does not list shard ${index}`);
            continue;
          }
          if (listed !== expected) {
            reasons.push(`${holder.endpoint}: lists another hash for shard ${index}`);
            continue;
          }
          try {
            const shard = await getShard(
              { request: deps.request },
              { endpoint: holder.endpoint, fileId, column, index, maxBytes: shardBytes, timeoutMs: params.timeoutMs, signal },
            );
            const got = createHash('sha256').update(shard).digest('hex');
            if (shard.length !== shardBytes || got !== expected) {
              throw new IntegrityError(`shard ${index} of column ${column} does not match the manifest`, { details: { index, column, expected, got } });
            }
            const plaintext = decryptChunk({ key, fileId, index, isLast, shard });
            return isLast ? plaintext.subarray(0, manifest.lastChunkLength) : plaintext;
          } catch (err) {
            signal.throwIfAborted();
            reasons.push(`${holder.endpoint}: ${message(err)}`);
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
        const listed = hashes.some(({ column }) => (holders.get(column) ?? []).some((h) => h.shards.get(i) === expectedHash(column, i)));
        if (!listed) out.push(i);
      }
      return out;
    };

    const inflight = new Map<number, Promise<Uint8Array>>();
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
      let piece: Uint8Array;
      try {
        piece = await task;
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
      bytes += piece.length;
      params.onProgress?.({ phase: 'download', bytes, totalBytes: manifest.size });
      yield piece;
    }
    if (bytes !== manifest.size) throw new IntegrityError(`emitted ${bytes} bytes of a ${manifest.size}-byte file`);
  } finally {
    stop.abort();
  }
}

/**
 * The peers to ask: the deal's slot holders from the chain when the file has a deal with a filled
 * slot, otherwise every active peer (files uploaded before deals).
 */
async function candidatesOf(deps: DownloadDeps, params: { fileId: FileId; signal: AbortSignal }): Promise<{ endpoint: string }[]> {
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
          list.push({ endpoint: peer.endpoint, rttMs, shards });
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
  params: { fileId: FileId; fileKey: Uint8Array; holders: Map<number, Holder[]>; timeoutMs?: number; signal: AbortSignal; onProgress?: OnProgress },
): Promise<Manifest> {
  const reasons: string[] = [];
  const columns = [...params.holders.entries()].sort((a, b) => a[1][0].rttMs - b[1][0].rttMs);
  for (const [column, list] of columns) {
    for (const holder of list) {
      if (!holder.shards.has(MANIFEST_INDEX)) {
        reasons.push(`column ${column} at ${holder.endpoint}: no manifest listed`);
        continue;
      }
      try {
        const bytes = await getShard(
          { request: deps.request },
          { endpoint: holder.endpoint, fileId: params.fileId, column, index: MANIFEST_INDEX, timeoutMs: params.timeoutMs, signal: params.signal },
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
