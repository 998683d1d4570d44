import { createHash } from 'node:crypto';
import type { Address, LocalAccount } from 'viem';
import { ASSIGNMENT_HEADER } from '../../protocol/chain/market';
import type { MANIFEST_INDEX, ShardIndex } from '../../protocol/column';
import { defaults } from '../../protocol/config';
import type { FileId } from '../../protocol/ids';
import { MAX_DEPTH, SegmentTreeBuilder } from '../../protocol/merkle';
import type { ReadAccess } from '../access/read-access';
import { createCodec } from '../erasure';
import type { PeerExperienceLog } from '../peer-experience';
import { getShard } from '../transport/get-shard';
import type { HttpRequester } from '../transport/http-requester';
import { type PeerTarget, putShard } from '../transport/put-shard';
import { RepairSourcesError } from './errors';
import type { OnRepairProgress } from './progress';
import { type RepairLayout, tailIndicesOf } from './repair-layout';

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
  /** Sources whose own bytes (every shard, the copied indices and the manifest) do not hash to their slot root. */
  badSources: number[];
  /** Sources whose bytes were used but could not be checked (a source that failed over mid-way, or its replacement). */
  uncheckedSources: number[];
  /** The `manifest` bytes appended last to every computed column (from a checked source when there was one). */
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
 * other than those its slot root commits to is named (`badSources`). Finally the column's tail — the
 * same bytes in every column: a batch's file manifests (`layout.copiedCount` indices after the
 * stripes, in order), then the `manifest` bytes (a file's manifest or the batch header) — closes
 * every tree in the order the upload fed it (`tailIndicesOf`) and, only when the caller's `accept`
 * agrees with the roots, is sent to the targets. The tail is taken from a source whose whole column
 * matched its slot root when there is one.
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
    /** The repair-scope token the sources are read with. */
    access?: ReadAccess;
    experience?: PeerExperienceLog;
  },
  params: {
    fileId: FileId;
    layout: Pick<RepairLayout, 'dataShards' | 'parityShards' | 'shardSize' | 'stripeCount' | 'copiedCount'>;
    /** Usable sources, fastest first; the first k are read, the rest are spares. */
    sources: readonly RepairSource[];
    targets: readonly RebuildTarget[];
    /** Every column to rebuild a tree for (the targets and the columns whose slot root is not known). */
    compute: readonly number[];
    /** The `manifest` bytes read before the pass (replaced by a checked source's copy when there is one). */
    manifest: Uint8Array;
    /** Called with every computed root; the tail (copied indices and `manifest`) goes to the targets only when it returns true. */
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
          node: at.source.operator,
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

  // Close each source's own tree with its tail: a source whose root differs served other bytes.
  const tail = tailIndicesOf(layout);
  const fetchPieces = async (source: RepairSource, indices: readonly ShardIndex[]): Promise<Uint8Array[]> => {
    const pieces: Uint8Array[] = [];
    for (const index of indices) {
      const bytes = await getShard(deps, {
        endpoint: source.endpoint,
        node: source.operator,
        fileId,
        column: source.column,
        index,
        maxBytes: defaults.maxShardBytes,
        timeoutMs: params.timeoutMs,
        signal,
      });
      fetchedBytes += bytes.length;
      pieces.push(bytes);
    }
    return pieces;
  };
  const badSources: number[] = [];
  let checkedTail: Uint8Array[] | undefined;
  await Promise.all(
    active.map(async (at) => {
      const tree = at.tree;
      if (!tree) return;
      let pieces: Uint8Array[];
      try {
        pieces = await fetchPieces(at.source, tail);
      } catch {
        signal?.throwIfAborted();
        unchecked.add(at.source.column);
        return;
      }
      for (const piece of pieces) tree.write(piece);
      if (Buffer.from(tree.finish().root).equals(at.source.slotRoot)) checkedTail ??= pieces;
      else badSources.push(at.source.column);
    }),
  );
  const roots = new Map<number, Uint8Array>();
  let manifest = checkedTail?.[checkedTail.length - 1] ?? params.manifest;
  if (badSources.length === 0) {
    let pieces = checkedTail;
    if (!pieces) {
      // No source could be checked: the copied indices come from any source that serves them, the
      // `manifest` bytes are the ones read before the pass (the caller's deal-root check guards both).
      const copied = tail.slice(0, -1);
      for (const source of [...active.map((at) => at.source), ...spares]) {
        try {
          pieces = [...(await fetchPieces(source, copied)), params.manifest];
          break;
        } catch (err) {
          signal?.throwIfAborted();
          reasons.push(`column ${source.column} at ${source.endpoint}, copied indices: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      if (!pieces) throw new RepairSourcesError({ fileId, needed: 1, usable: 0, reasons });
    }
    const tailBytes = pieces;
    manifest = tailBytes[tailBytes.length - 1];
    for (const c of compute) {
      const tree = trees.get(c) as SegmentTreeBuilder;
      for (const piece of tailBytes) tree.write(piece);
      roots.set(c, tree.finish().root);
    }
    if (params.accept(roots)) {
      await Promise.all(
        params.targets.map(async (t) => {
          for (const [i, index] of tail.entries()) await sendTo(t, index, tailBytes[i]);
        }),
      );
    }
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
