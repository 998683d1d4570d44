import { concatBytes } from './bytes';
import { decryptChunk } from './cipher';
import { mayContact } from './endpoint-policy';
import { slotIdOf } from './ids';
import { deriveSubKey } from './keys';
import type { ShareLinkParts } from './link';
import { decryptManifest, MAX_MANIFEST_BYTES, type PageManifest } from './manifest';
import { type ColumnHolder, readPlan } from './plan';
import { ShareError } from './share-error';
import { isGranteeBound, tokenOpensColumn } from './token';

/** What opening a link needs: a `fetch`, where to ask for the deal's holders, and the endpoint policy. */
export interface OpenShareDeps {
  fetch: typeof fetch;
  /** The serving node's origin (`location.origin`): `GET <origin>/deals/:dealId/holders`. */
  origin: string;
  /** Contact loopback and private endpoints too (the page was opened from such an address: a devnet). */
  allowPrivate: boolean;
}

/** Progress: the manifest is known, then bytes of plaintext assembled so far. */
export type OpenShareProgress =
  | { phase: 'holders'; holders: number }
  | { phase: 'manifest'; manifest: PageManifest }
  | { phase: 'data'; bytes: number; totalBytes: number };

/** An opened file: its manifest and its plaintext, in pieces (one per chunk, the last trimmed). */
export interface OpenedFile {
  manifest: PageManifest;
  pieces: Uint8Array<ArrayBuffer>[];
}

/** Units (chunks or stripes) fetched at once. */
const WINDOW = 4;

/** A node's refusal, as its JSON error body says it. */
class NodeRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const describe = (err: unknown) =>
  err instanceof NodeRefusal ? `${err.status} ${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);

/**
 * Opens a share link in the browser: the deal's holders from the serving node → the manifest from
 * the first column that gives a valid one → the shards, straight from the holders with the link's
 * token as a signed URL (`?token=`), each checked against the manifest's SHA-256, then decrypted
 * with WebCrypto (client/cipher.ts rules). The key stays in this function: no request carries it.
 * Throws `ShareError`: `GRANTEE_BOUND`, `DEAL_NOT_FOUND`, `NO_HOLDERS`, the node's refusal code
 * (`TOKEN_EXPIRED`, `TOKEN_REVOKED`, …), `MANIFEST_UNAVAILABLE`, `CHUNK_UNAVAILABLE`,
 * `STRIPE_UNAVAILABLE` (naming the stripe), `DECRYPTION_FAILED`.
 *
 * @example
 * const { manifest, pieces } = await openShare({ fetch, origin: location.origin, allowPrivate: false }, { link: parseShareLink(text) });
 * const blob = new Blob(pieces, { type: 'application/octet-stream' });
 */
export async function openShare(
  deps: OpenShareDeps,
  params: { link: ShareLinkParts; onProgress?: (p: OpenShareProgress) => void; signal?: AbortSignal },
): Promise<OpenedFile> {
  const { link, signal } = params;
  if (isGranteeBound(link.token)) {
    throw new ShareError(
      'GRANTEE_BOUND',
      `this link was made for the account ${link.token.grantee}: every request must be signed with that account’s key, which a browser page does not have. Open it with the dhost command as that account, or ask the owner for a link anyone can open.`,
    );
  }
  const holders = await fetchHolders(deps, link.dealId, signal);
  params.onProgress?.({ phase: 'holders', holders: [...holders.values()].reduce((n, l) => n + l.length, 0) });

  const refusals: NodeRefusal[] = [];
  const getShard = async (holder: ColumnHolder, index: number | 'manifest', maxBytes: number): Promise<Uint8Array<ArrayBuffer>> => {
    const url = `${holder.endpoint}/slots/${slotIdOf(link.dealId, holder.column)}/shards/${index}?token=${link.tokenText}`;
    const res = await deps.fetch(url, { credentials: 'omit', referrerPolicy: 'no-referrer', signal });
    if (!res.ok) {
      const body = (await res.json().catch(() => undefined)) as { error?: { code?: unknown; message?: unknown } } | undefined;
      const code = typeof body?.error?.code === 'string' ? body.error.code : `HTTP_${res.status}`;
      const message = typeof body?.error?.message === 'string' ? body.error.message : res.statusText;
      const refusal = new NodeRefusal(res.status, code, message);
      refusals.push(refusal);
      throw refusal;
    }
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > maxBytes) throw new Error(`the shard is larger than ${maxBytes} bytes`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length > maxBytes) throw new Error(`the shard is larger than ${maxBytes} bytes`);
    return bytes;
  };
  /** A refusal about the token itself (expired, revoked …): the same for every holder, so say it as the node did. */
  const tokenRefusal = () => refusals.find((r) => r.status === 401 || r.status === 403 || r.code.startsWith('TOKEN_'));

  // The manifest: from any column the link opens, each holder in turn.
  let manifest: PageManifest | undefined;
  const reasons: string[] = [];
  for (const [column, list] of [...holders.entries()].sort((a, b) => a[0] - b[0])) {
    if (!tokenOpensColumn(link.token, column)) continue;
    for (const holder of list) {
      try {
        const bytes = await getShard(holder, link.manifestIndex, MAX_MANIFEST_BYTES);
        manifest = await decryptManifest({ fileKey: link.fileKey, fileId: link.fileId, column, bytes });
        break;
      } catch (err) {
        signal?.throwIfAborted();
        if (err instanceof ShareError && err.code === 'DECRYPTION_FAILED') throw err;
        reasons.push(`column ${column} at ${holder.endpoint}: ${describe(err)}`);
      }
    }
    if (manifest) break;
  }
  if (!manifest) {
    const refusal = tokenRefusal();
    if (refusal) throw new ShareError(refusal.code, `the storage peers refused the link: ${refusal.message}`, { status: refusal.status });
    throw new ShareError('MANIFEST_UNAVAILABLE', `no peer gave the file’s manifest: ${reasons.join('; ') || 'no column this link opens has a holder'}`);
  }
  params.onProgress?.({ phase: 'manifest', manifest });
  const m = manifest;

  const plan = readPlan({ manifest: m, holders, token: link.token });
  const sha256 = async (bytes: Uint8Array<ArrayBuffer>) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  /** One column's shard at a unit (chunk or stripe), from its holders in turn, checked against the manifest. */
  const checkedShard = async (column: number, unit: number, size: number, failures: string[]): Promise<Uint8Array<ArrayBuffer> | undefined> => {
    const expected = m.hashes[column].subarray(unit * 32, unit * 32 + 32);
    for (const holder of holders.get(column) ?? []) {
      try {
        const shard = await getShard(holder, link.firstShard + unit, size);
        const got = await sha256(shard);
        if (shard.length !== size || !got.every((b, i) => b === expected[i])) throw new Error('the shard does not match the manifest’s SHA-256');
        return shard;
      } catch (err) {
        signal?.throwIfAborted();
        failures.push(`column ${column} at ${holder.endpoint}: ${describe(err)}`);
      }
    }
    if ((holders.get(column) ?? []).length === 0) failures.push(`column ${column}: no peer holds it`);
    return undefined;
  };

  let readBytes = 0;
  const pieces: Uint8Array<ArrayBuffer>[] = new Array(m.chunkCount);
  const emit = (index: number, plain: Uint8Array<ArrayBuffer>) => {
    const isLast = index === m.chunkCount - 1;
    pieces[index] = isLast ? plain.subarray(0, m.lastChunkLength) : plain;
    readBytes += pieces[index].length;
    params.onProgress?.({ phase: 'data', bytes: readBytes, totalBytes: m.size });
  };

  let unit: (u: number) => Promise<void>;
  if (plan.scheme === 'replicate') {
    const shardSize = m.chunkSize + 16;
    const keys = new Map<number, Uint8Array<ArrayBuffer>>();
    const keyOf = async (column: number) => {
      let key = keys.get(column);
      if (!key) {
        key = await deriveSubKey({ fileKey: link.fileKey, fileId: link.fileId, key: { kind: 'chunk', column } });
        keys.set(column, key);
      }
      return key;
    };
    unit = async (index) => {
      const failures: string[] = [];
      const isLast = index === m.chunkCount - 1;
      for (const column of plan.columnsFor(index)) {
        const shard = await checkedShard(column, index, shardSize, failures);
        if (!shard) continue;
        emit(index, await decryptChunk({ key: await keyOf(column), fileId: link.fileId, index, isLast, shard }));
        return;
      }
      const refusal = tokenRefusal();
      if (refusal) throw new ShareError(refusal.code, `the storage peers refused the link: ${refusal.message}`, { chunk: index });
      throw new ShareError('CHUNK_UNAVAILABLE', `chunk ${index} cannot be read from any copy: ${failures.join('; ')}`, { chunk: index });
    };
  } else {
    const key = await deriveSubKey({ fileKey: link.fileKey, fileId: link.fileId, key: { kind: 'erasure-chunk' } });
    const k = plan.dataColumns.length;
    unit = async (stripe) => {
      // Only the data shards that hold chunks of the file (the last stripe may have fewer).
      const columns = plan.dataColumns.filter((j) => stripe * k + j < m.chunkCount);
      const failures: string[] = [];
      const shards = await Promise.all(columns.map((j) => checkedShard(j, stripe, m.shardSize as number, failures)));
      const missing = columns.filter((_, i) => shards[i] === undefined);
      if (missing.length > 0) {
        const refusal = tokenRefusal();
        if (refusal) throw new ShareError(refusal.code, `the storage peers refused the link: ${refusal.message}`, { stripe });
        throw new ShareError(
          'STRIPE_UNAVAILABLE',
          `stripe ${stripe} cannot be read here: data column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} did not give ${missing.length > 1 ? 'their' : 'its'} shard (${failures.join('; ')}). This page reads data shards only and does not rebuild them from parity; the dhost command can.`,
          { stripe, columns: missing },
        );
      }
      for (let i = 0; i < columns.length; i++) {
        const index = stripe * k + columns[i];
        emit(index, await decryptChunk({ key, fileId: link.fileId, index, isLast: index === m.chunkCount - 1, shard: shards[i] as Uint8Array<ArrayBuffer> }));
      }
    };
  }
  await runWindowed(plan.units, WINDOW, unit, signal);
  if (readBytes !== m.size) throw new ShareError('SIZE_MISMATCH', `assembled ${readBytes} bytes of a ${m.size}-byte file`);
  return { manifest: m, pieces };
}

/** Runs `task(0..count-1)`, `window` at a time; on failures, rejects with the failure of the lowest unit once all have settled. */
async function runWindowed(count: number, window: number, task: (unit: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const failed = new Map<number, unknown>();
  const worker = async () => {
    while (next < count && failed.size === 0) {
      const u = next++;
      signal?.throwIfAborted();
      await task(u).catch((err: unknown) => {
        failed.set(u, err);
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
  if (failed.size > 0) throw failed.get(Math.min(...failed.keys()));
}

/** The deal's holders per column, from the serving node; endpoints outside the policy are dropped. */
async function fetchHolders(deps: OpenShareDeps, dealId: string, signal?: AbortSignal): Promise<Map<number, ColumnHolder[]>> {
  let res: Response;
  try {
    res = await deps.fetch(`${deps.origin}/deals/${dealId}/holders`, { credentials: 'omit', signal });
  } catch (err) {
    throw new ShareError('NODE_UNREACHABLE', `this node did not answer when asked where the file is stored: ${describe(err)}`);
  }
  const body = (await res.json().catch(() => undefined)) as { holders?: unknown; error?: { code?: string; message?: string } } | undefined;
  if (res.status === 404) throw new ShareError('DEAL_NOT_FOUND', 'the chain knows no file for this link (it may have expired and been removed)');
  if (!res.ok || !Array.isArray(body?.holders)) {
    throw new ShareError(
      body?.error?.code ?? `HTTP_${res.status}`,
      `this node could not say where the file is stored: ${body?.error?.message ?? res.statusText}`,
    );
  }
  const byColumn = new Map<number, ColumnHolder[]>();
  for (const h of body.holders as ColumnHolder[]) {
    if (!Number.isInteger(h?.column) || typeof h.endpoint !== 'string' || !mayContact(h.endpoint, { allowPrivate: deps.allowPrivate })) continue;
    const list = byColumn.get(h.column) ?? [];
    list.push({ column: h.column, operator: String(h.operator), endpoint: h.endpoint.replace(/\/+$/, '') });
    byColumn.set(h.column, list);
  }
  if (byColumn.size === 0) throw new ShareError('NO_HOLDERS', 'no storage peer this page may contact holds the file right now');
  return byColumn;
}

/** Joins pieces (for tests and small files). */
export const joinPieces = (pieces: readonly Uint8Array[]) => concatBytes(pieces);
