import { accessForLink } from '../access/access-for-link';
import { listDeals, type OwnedDeal } from '../deal/list-deals';
import { isPublicEndpoint } from '../endpoint-policy';
import { readFileHealth } from '../file-health';
import { handleOfUpload } from '../handle';
import { type Manifest, redundancyOf, shardHashesOf } from '../manifest';
import { readManifest } from '../read-manifest';
import { formatRedundancy } from '../redundancy';
import { parseLink } from '../share-link';
import type { DaemonDeps } from './daemon-deps';

/** One row of the dashboard's file list (JSON-ready: big numbers as decimal strings). */
export interface FileRow {
  fileId: string;
  dealId: string;
  /** From the keystore, else from the manifest; null when neither could be read. */
  name: string | null;
  size: number | null;
  uploadedAt: string | null;
  /** `rs:4+2` or `replicate:3`, from the manifest; null when it could not be read. */
  redundancy: string | null;
  /** Intact columns of the weakest stripe out of all columns (k needed); null when unknown. */
  health: { minHealthy: number; columns: number; dataColumns: number } | null;
  healthError: string | null;
  deal: {
    endEpoch: string;
    currentEpoch: string;
    epochsLeft: string;
    ended: boolean;
    endsSoon: boolean;
    cancelled: boolean;
    /** Reward-token wei for the whole duration: slots × epochs × price per slot-epoch. */
    cost: string;
  } | null;
  /** A sentence for the user when the deal ends soon or has ended; null otherwise. */
  warning: string | null;
}

/**
 * The user's files, as `dhost ls` finds them (the deals the account owns on chain joined with the
 * keystore's names; a deal the keystore never saw is listed too), each with its redundancy health
 * (`readManifest` then `readFileHealth`, asked concurrently; a failure is in `healthError`), its
 * expiry and a warning when it ends within `ENDS_SOON_EPOCHS`. Manifests are cached in `manifests`.
 *
 * @example
 * const rows = await listFiles(deps, { manifests: new Map() });
 */
export async function listFiles(deps: DaemonDeps, p: { manifests: Map<string, Manifest>; signal?: AbortSignal }): Promise<FileRow[]> {
  const { market, registry } = deps.contracts;
  const [local, deals] = await Promise.all([
    deps.keystore.listUploads(),
    listDeals({ publicClient: deps.publicClient, market }, { owner: deps.account.address, signal: p.signal }),
  ]);
  const byId = new Map(deals.map((d) => [d.dealId.toLowerCase(), d]));
  const seen = new Set<string>();
  const found: { fileId: string; dealId: string; name?: string; size?: number; uploadedAt?: string; handle: string; deal?: OwnedDeal }[] = [];
  for (const u of local) {
    const dealId = (u.batch?.dealId ?? u.fileId).toLowerCase();
    if (seen.has(u.fileId.toLowerCase())) continue;
    seen.add(u.fileId.toLowerCase());
    seen.add(dealId);
    found.push({
      fileId: u.fileId,
      dealId,
      name: u.name,
      size: u.size,
      uploadedAt: u.uploadedAt,
      handle: handleOfUpload({ master: deps.master, entry: u }),
      deal: byId.get(dealId),
    });
  }
  for (const d of deals) {
    if (seen.has(d.dealId.toLowerCase())) continue;
    found.push({ fileId: d.dealId, dealId: d.dealId, handle: handleOfUpload({ master: deps.master, entry: { fileId: d.dealId } }), deal: d });
  }
  const endpointAllowed = deps.publicEndpointsOnly ? isPublicEndpoint : undefined;
  return Promise.all(
    found.map(async (f): Promise<FileRow> => {
      const d = f.deal;
      let manifest = p.manifests.get(f.fileId);
      let health: FileRow['health'] = null;
      let healthError: string | null = null;
      if (d && !d.ended) {
        try {
          const link = parseLink(f.handle);
          const { fileId, fileKey, dealId, manifestIndex, firstShard } = link.location;
          if (!manifest) {
            const access = await accessForLink({ account: deps.account, publicClient: deps.publicClient }, { chainId: deps.chainId, market, link });
            ({ manifest } = await readManifest(
              { publicClient: deps.publicClient, request: deps.request, access },
              { market, registry, fileId, fileKey, dealId, manifestIndex, endpointAllowed, signal: p.signal },
            ));
            p.manifests.set(f.fileId, manifest);
          }
          const redundancy = redundancyOf(manifest);
          const m = manifest;
          const hashes = m.columns.map((c) => Buffer.from(shardHashesOf(m, c.column)));
          const h = await readFileHealth(
            { publicClient: deps.publicClient, request: deps.request },
            {
              market,
              registry,
              fileId: dealId,
              firstStripe: firstShard,
              dataColumns: redundancy.scheme === 'rs' ? redundancy.dataShards : 1,
              stripes: 'stripeCount' in m ? m.stripeCount : m.chunkCount,
              expectedSha256: (column, stripe) => hashes[column]?.subarray(stripe * 32, stripe * 32 + 32).toString('hex') ?? '',
              endpointAllowed,
              signal: p.signal,
            },
          );
          health = { minHealthy: h.minHealthy, columns: h.columns, dataColumns: h.dataColumns };
        } catch (err) {
          p.signal?.throwIfAborted();
          healthError = err instanceof Error ? err.message : String(err);
        }
      }
      const warning = !d
        ? 'no deal on chain: this file is not stored'
        : d.cancelled
          ? 'cancelled'
          : d.ended
            ? 'the deal has ended: the file is no longer paid for'
            : d.endsSoon
              ? `ends in ${d.epochsLeft} epochs: extend it to keep the file`
              : null;
      return {
        fileId: f.fileId,
        dealId: f.dealId,
        name: f.name ?? manifest?.name ?? null,
        size: f.size ?? manifest?.size ?? null,
        uploadedAt: f.uploadedAt ?? null,
        redundancy: manifest ? formatRedundancy(redundancyOf(manifest)) : null,
        health,
        healthError,
        deal: d
          ? {
              endEpoch: d.endEpoch.toString(),
              currentEpoch: d.currentEpoch.toString(),
              epochsLeft: d.epochsLeft.toString(),
              ended: d.ended,
              endsSoon: d.endsSoon,
              cancelled: d.cancelled,
              cost: (BigInt(d.slots) * BigInt(d.durationEpochs) * d.pricePerSlotEpoch).toString(),
            }
          : null,
        warning,
      };
    }),
  );
}
