import type { Address } from 'viem';
import { MANIFEST_INDEX } from '../../protocol/column';
import { defaults } from '../../protocol/config';
import type { FileId } from '../../protocol/ids';
import type { ReadAccess } from '../access/read-access';
import type { ChainReader } from '../deal/chain-deps';
import { readChainHolders } from '../deal/read-holders';
import { DealNotFoundError, ManifestError } from '../errors';
import { getShard } from '../transport/get-shard';
import type { HttpRequester } from '../transport/http-requester';
import { ReplicatedRepairUnsupportedError } from './errors';
import { type RepairLayout, repairLayoutOf } from './repair-layout';

/**
 * Fetches the bytes a Reed-Solomon deal stores at `manifest` from any holder the chain names (no key
 * needed) and reads their clear layout (`repairLayoutOf`): a file's version-2 manifest header (k, m,
 * chunk and shard size, stripe count) or a batch's header (the same, plus the number of file
 * manifests stored after the stripes). Holders are tried in `prefer` order first, then column order;
 * the bytes are returned as stored (the same in every column). A replicated file (v1) or replicated
 * batch → `ReplicatedRepairUnsupportedError`; no holder gave a readable copy → `ManifestError`.
 *
 * @example
 * const { bytes, layout } = await readManifestCopy({ publicClient }, { market, registry, fileId });
 * if (layout.kind === 'batch') console.log(`${layout.copiedCount} file manifests after ${layout.stripeCount} stripes`);
 */
export async function readManifestCopy(
  deps: { publicClient: ChainReader; request?: HttpRequester; access?: ReadAccess },
  p: {
    market: Address;
    registry: Address;
    fileId: FileId;
    /** Columns to ask first. */
    prefer?: readonly number[];
    endpointAllowed?: (endpoint: string) => boolean;
    timeoutMs?: number;
    signal?: AbortSignal;
  },
): Promise<{ bytes: Uint8Array; layout: RepairLayout; column: number }> {
  const holders = await readChainHolders(deps, { market: p.market, registry: p.registry, dealId: p.fileId });
  if (!holders) throw new DealNotFoundError(`no deal ${p.fileId} on chain`, { details: { dealId: p.fileId } });
  const rank = (column: number) => {
    const i = p.prefer?.indexOf(column) ?? -1;
    return i < 0 ? 1_000 + column : i;
  };
  const reasons: string[] = [];
  for (const holder of [...holders].sort((a, b) => rank(a.column) - rank(b.column))) {
    if (p.endpointAllowed && !p.endpointAllowed(holder.endpoint)) {
      reasons.push(`column ${holder.column}: endpoint refused by the endpoint policy`);
      continue;
    }
    let bytes: Uint8Array;
    try {
      bytes = await getShard(deps, {
        endpoint: holder.endpoint,
        node: holder.operator,
        fileId: p.fileId,
        column: holder.column,
        index: MANIFEST_INDEX,
        maxBytes: defaults.maxShardBytes,
        timeoutMs: p.timeoutMs,
        signal: p.signal,
      });
    } catch (err) {
      p.signal?.throwIfAborted();
      reasons.push(`column ${holder.column} at ${holder.endpoint}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    try {
      return { bytes, layout: repairLayoutOf(bytes, { fileId: p.fileId }), column: holder.column };
    } catch (err) {
      if (err instanceof ReplicatedRepairUnsupportedError) throw err;
      reasons.push(`column ${holder.column} at ${holder.endpoint}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new ManifestError(`no holder gave a readable manifest copy${reasons.length ? `: ${reasons.join('; ')}` : ' (no filled slot)'}`, {
    details: { fileId: p.fileId, reasons },
  });
}
