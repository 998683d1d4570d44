import type { Address } from 'viem';
import { MANIFEST_INDEX, type ShardIndex } from '../protocol/column';
import type { FileId } from '../protocol/ids';
import type { ReadAccess } from './access/read-access';
import type { ChainReader } from './deal/chain-deps';
import { readChainHolders } from './deal/read-holders';
import { DealNotFoundError, ManifestError } from './errors';
import { decryptManifest, type Manifest } from './manifest';
import { getShard } from './transport/get-shard';
import type { HttpRequester } from './transport/http-requester';

/**
 * Reads and decrypts a file's manifest from the holders the chain names for its deal: each filled
 * column's copy in turn (its own copy under replication; the one shared copy under Reed-Solomon)
 * until one decrypts and validates. No deal: `DealNotFoundError`; no holder gave a valid manifest:
 * `ManifestError` listing why each failed.
 *
 * @example
 * const { manifest, holders } = await readManifest({ publicClient }, { market, registry, fileId, fileKey });
 * console.log(manifest.name, manifest.size);
 */
export async function readManifest(
  deps: { publicClient: ChainReader; request?: HttpRequester; access?: ReadAccess },
  p: {
    market: Address;
    registry: Address;
    fileId: FileId;
    fileKey: Uint8Array;
    /** The deal holding the file (default: the file id, a file uploaded alone) and where its manifest sits (default `manifest`). */
    dealId?: FileId;
    manifestIndex?: ShardIndex;
    endpointAllowed?: (endpoint: string) => boolean;
    timeoutMs?: number;
    signal?: AbortSignal;
  },
): Promise<{ manifest: Manifest; holders: { column: number; operator: Address; endpoint: string }[] }> {
  const dealId = p.dealId ?? p.fileId;
  const holders = await readChainHolders(deps, { market: p.market, registry: p.registry, dealId });
  if (!holders) throw new DealNotFoundError(`no deal ${dealId} on chain`, { details: { dealId } });
  const reasons: string[] = [];
  for (const holder of holders) {
    if (p.endpointAllowed && !p.endpointAllowed(holder.endpoint)) {
      reasons.push(`column ${holder.column}: endpoint ${holder.endpoint} refused by the endpoint policy`);
      continue;
    }
    try {
      const bytes = await getShard(deps, {
        endpoint: holder.endpoint,
        node: holder.operator,
        fileId: dealId,
        column: holder.column,
        index: p.manifestIndex ?? MANIFEST_INDEX,
        timeoutMs: p.timeoutMs,
        signal: p.signal,
      });
      return { manifest: decryptManifest({ fileKey: p.fileKey, fileId: p.fileId, column: holder.column, bytes }), holders };
    } catch (err) {
      p.signal?.throwIfAborted();
      reasons.push(`column ${holder.column} at ${holder.endpoint}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new ManifestError(`no holder gave a valid manifest${reasons.length ? `: ${reasons.join('; ')}` : ' (no filled slot)'}`, {
    details: { fileId: p.fileId, reasons },
  });
}
