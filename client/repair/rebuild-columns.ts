import { createHash } from 'node:crypto';
import type { Address, LocalAccount } from 'viem';
import { ASSIGNMENT_HEADER } from '../../protocol/chain/market';
import { MANIFEST_INDEX } from '../../protocol/column';
import { defaults } from '../../protocol/config';
import type { FileId } from '../../protocol/ids';
import { MAX_DEPTH, SegmentTreeBuilder } from '../../protocol/merkle';
import { createCodec } from '../erasure';
import type { ErasureLayout } from '../manifest';
import type { PeerExperienceLog } from '../peer-experience';
import { getShard } from '../transport/get-shard';
import type { HttpRequester } from '../transport/http-requester';
import { type PeerTarget, putShard } from '../transport/put-shard';
import { RepairSourcesError } from './errors';
import type { OnRepairProgress } from './progress';

/** A healthy column a repair reads from: its holder and its slot root, proven in the deal root. */
export interface RepairSource {
  column: number;
  operator: Address;
  endpoint: string;
  slotRoot: Uint8Array;
  /** Round trip of the holder's last answer (milliseconds): sources are used fastest first. */
  rttMs: number;
}

/** A column being rebuilt onto a new peer, with the owner's assignment header for its writes. */
export interface RebuildTarget {
  column: number;
  peer: PeerTarget;
  assignmentHeader: string;
}

/** What one pass over the stripes produced. */
export interface RebuildOutcome {
  /** Slot roots of every column the pass computed (targets, and columns whose root was not known), by column. */
  roots: Map<number, Uint8Array>;
  /** Targets whose peer failed a write, with the reason (their column is not complete there). */
  failed: Map<number, string>;
  /** Sources whose own bytes (every shard and the manifest) do not hash to their slot root. */
  badSources: number[];
  /** Sources whose bytes were used but could not be checked (a source that failed over mid-way, or its replacement). */
  uncheckedSources: number[];
  /** The manifest copy appended to every computed column (from a checked source when there was one). */
  manifest: Uint8Array;
  fetchedBytes: number;
  sentBytes: number;
}

interface ActiveSource {
  source: RepairSource;
  /** The source column's own tree, while it has served every stripe so far; dropped otherwise. */
  tree?: SegmentTreeBuilder;
}

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * One streaming pass of a repair, stripe by stripe in constant memory (about two stripes): fetches
 * shard s of k source columns (fastest first; a failing source is replaced by the next one), rebuilds
 * the shards of the `compute` columns with Reed-Solomon (`createCodec(...).reconstruct`), sends each
 * target's shard to its new peer (`putShard` with the owner's assignment header) and feeds a segment
 * tree per computed column. Each source's own bytes feed a tree too, so a source that serves bytes
 * other than those its slot root commits to is named (`badSources`). Finally the manifest copy — the
 * same ciphertext in every column — closes every tree and, only when the caller's `accept` agrees
 * with the roots, is sent to the targets.
 *
 * Fewer than k sources left → `RepairSourcesError`.
 *
 * @example
 * const out = await rebuildColumns({ account, chainId }, { fileId, layout, sources, targets, compute: [1, 4], manifest, accept: (roots) => check(roots) });
 */
export async function rebuildColumns(
  deps: {
    account: Pick<LocalAccount, 'signMessage' | 'address'>;
    chainId: number;
    request?: HttpRequester;
    experience?: PeerExperienceLog;
  },
  params: {
    fileId: FileId;
    layout: ErasureLayout;
    /** Usable sources, fastest first; the first k are read, the rest are spares. */
    sources: readonly RepairSource[];
    targets: readonly RebuildTarget[];
    /** Every column to rebuild a tree for (the targets and the columns whose slot root is not known). */
    compute: readonly number[];
    /** The manifest copy read before the pass (replaced by a checked source's copy when they differ). */
    manifest: Uint8Array;
    /** Called with every computed root and the manifest used; the manifest goes to the targets only when it returns true. */
    accept: (roots: Map<number, Uint8Array>) => boolean;
    timeoutMs?: number;
    signal?: AbortSignal;
    onProgress?: OnRepairProgress;
  },
): Promise<RebuildOutcome> {
  const { fileId, layout, signal } = params;
  const k = layout.dataShards;
  const n = k + layout.parityShards;
  const codec = createCodec({ dataShards: k, parityShards: layout.parityShards });
  const newTree = () => SegmentTreeBuilder.create({ keptLevel: MAX_DEPTH });
  if (params.sources.length < k) {
    throw new RepairSourcesError({ fileId, needed: k, usable: params.sources.length, reasons: [] });
  }
  const active: ActiveSource[] = await Promise.all(params.sources.slice(0, k).map(async (source) => ({ source, tree: await newTree() })));
  const spares = params.sources.slice(k);
  const unchecked = new Set<number>();
  const reasons: string[] = [];
  const compute = [...params.compute].sort((a, b) => a - b);
  const trees = new Map<number, SegmentTreeBuilder>();
  for (const c of compute) trees.set(c, await newTree());
  const failed = new Map<number, string>();
  let fetchedBytes = 0;
  let sentBytes = 0;
  const totalFetch = layout.stripeCount * k * layout.shardSize;

  const fetchOne = async (slot: number, stripe: number): Promise<{ at: ActiveSource; bytes: Uint8Array }> => {
    for (;;) {
      const at = active[slot];
      try {
        const bytes = await getShard(deps, {
          endpoint: at.source.endpoint,
          fileId,
          column: at.source.column,
          index: stripe,
          maxBytes: layout.shardSize,
          timeoutMs: params.timeoutMs,
          signal,
        });
        if (bytes.length !== layout.shardSize) throw new Error(`served ${bytes.length} bytes, a shard is ${layout.shardSize}`);
        fetchedBytes += bytes.length;
        return { at, bytes };
      } catch (err) {
        signal?.throwIfAborted();
        deps.experience?.recordFailure(at.source.operator);
        reasons.push(`column ${at.source.column} at ${at.source.endpoint}, stripe ${stripe}: ${err instanceof Error ? err.message : String(err)}`);
        // Its earlier shards were used unchecked; a replacement that starts mid-column cannot be checked either.
        at.tree = undefined;
        if (stripe > 0) unchecked.add(at.source.column);
        const next = spares.shift();
        if (!next) throw new RepairSourcesError({ fileId, needed: k, usable: k - 1, reasons }, { cause: err });
        if (stripe > 0) unchecked.add(next.column);
        active[slot] = { source: next, tree: stripe === 0 ? await newTree() : undefined };
      }
    }
  };
  const fetchStripe = (stripe: number) => Promise.all(active.map((_, slot) => fetchOne(slot, stripe)));

  const sendTo = async (target: RebuildTarget, index: number | typeof MANIFEST_INDEX, body: Uint8Array) => {
    if (failed.has(target.column)) return;
    try {
      await putShard(deps, {
        peer: target.peer,
        fileId,
        column: target.column,
        index,
        body,
        contentSha256: sha256Hex(body),
        headers: { [ASSIGNMENT_HEADER]: target.assignmentHeader },
        timeoutMs: params.timeoutMs ?? defaults.requestTimeoutMs,
        signal,
      });
      sentBytes += body.length;
    } catch (err) {
      signal?.throwIfAborted();
      deps.experience?.recordFailure(target.peer.operator);
      failed.set(target.column, `${target.peer.endpoint}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  let next: Promise<Awaited<ReturnType<typeof fetchStripe>>> | undefined = layout.stripeCount > 0 ? fetchStripe(0) : undefined;
  let sending: Promise<unknown> = Promise.resolve();
  try {
    for (let stripe = 0; stripe < layout.stripeCount; stripe++) {
      const served = await (next as Promise<Awaited<ReturnType<typeof fetchStripe>>>);
      next = stripe + 1 < layout.stripeCount ? fetchStripe(stripe + 1) : undefined;
      // Fetch the next stripe while this one is rebuilt and sent: two stripes in memory at most.
      next?.catch(() => {});
      const shards: (Uint8Array | undefined)[] = new Array(n).fill(undefined);
      for (const { at, bytes } of served) {
        shards[at.source.column] = bytes;
        at.tree?.write(bytes);
      }
      const rebuilt = await codec.reconstruct(shards, compute);
      compute.forEach((c, i) => {
        trees.get(c)?.write(rebuilt[i]);
      });
      await sending;
      const byColumn = new Map(compute.map((c, i) => [c, rebuilt[i]]));
      sending = Promise.all(params.targets.map((t) => sendTo(t, stripe, byColumn.get(t.column) as Uint8Array)));
      params.onProgress?.({ phase: 'repair-fetch', bytes: fetchedBytes, totalBytes: totalFetch });
    }
    await sending;
  } finally {
    await next?.catch(() => {});
  }

  // Close each source's own tree with its manifest copy: a source whose root differs served other bytes.
  const badSources: number[] = [];
  let checkedCopy: Uint8Array | undefined;
  await Promise.all(
    active.map(async (at) => {
      const tree = at.tree;
      if (!tree) return;
      try {
        const copy = await getShard(deps, {
          endpoint: at.source.endpoint,
          fileId,
          column: at.source.column,
          index: MANIFEST_INDEX,
          maxBytes: defaults.maxShardBytes,
          timeoutMs: params.timeoutMs,
          signal,
        });
        fetchedBytes += copy.length;
        tree.write(copy);
        if (Buffer.from(tree.finish().root).equals(at.source.slotRoot)) checkedCopy ??= copy;
        else badSources.push(at.source.column);
      } catch {
        signal?.throwIfAborted();
        unchecked.add(at.source.column);
      }
    }),
  );
  const manifest = checkedCopy ?? params.manifest;
  const roots = new Map<number, Uint8Array>();
  if (badSources.length === 0) {
    for (const c of compute) {
      const tree = trees.get(c) as SegmentTreeBuilder;
      tree.write(manifest);
      roots.set(c, tree.finish().root);
    }
    if (params.accept(roots)) await Promise.all(params.targets.map((t) => sendTo(t, MANIFEST_INDEX, manifest)));
  }
  return {
    roots,
    failed,
    badSources: badSources.sort((a, b) => a - b),
    uncheckedSources: [...unchecked].sort((a, b) => a - b),
    manifest,
    fetchedBytes,
    sentBytes,
  };
}
