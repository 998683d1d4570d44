import type { PageManifest } from './manifest';
import { ShareError } from './share-error';
import type { ShareToken } from './token';
import { tokenOpensColumn } from './token';

/** A holder of one column, as the serving node lists it (`GET /deals/:dealId/holders`). */
export interface ColumnHolder {
  column: number;
  operator: string;
  endpoint: string;
}

/** Per unit (chunk under replication, stripe under Reed-Solomon): the columns to read, in order of preference. */
export type ReadPlan = { scheme: 'replicate'; units: number; columnsFor: (chunk: number) => number[] } | { scheme: 'rs'; units: number; dataColumns: number[] };

/**
 * Which columns the page reads. Replication: any column the link opens and a peer holds, chunk i
 * starting at the (i mod n)-th of them so the replicas share the work, the others as fallbacks.
 * Reed-Solomon: the k data columns of every stripe — the page does not decode parity, so a data
 * column that no peer holds, or that the link does not open, makes every stripe unreadable here
 * (`ShareError('STRIPE_UNAVAILABLE')`, naming the first stripe and the column).
 *
 * @example
 * const plan = readPlan({ manifest, holders, token });
 */
export function readPlan(p: { manifest: PageManifest; holders: Map<number, ColumnHolder[]>; token: Pick<ShareToken, 'columns'> }): ReadPlan {
  const { manifest, holders, token } = p;
  const usable = (c: number) => tokenOpensColumn(token, c) && (holders.get(c)?.length ?? 0) > 0;
  if (manifest.redundancy.scheme === 'replicate') {
    const columns = Array.from({ length: manifest.redundancy.replicas }, (_, c) => c).filter(usable);
    if (columns.length === 0 && manifest.chunkCount > 0) {
      throw new ShareError('CHUNK_UNAVAILABLE', 'chunk 0 cannot be read: no peer holds a copy this link opens');
    }
    return {
      scheme: 'replicate',
      units: manifest.chunkCount,
      columnsFor: (chunk) => {
        const start = chunk % columns.length;
        return [...columns.slice(start), ...columns.slice(0, start)];
      },
    };
  }
  const k = manifest.redundancy.dataShards;
  const dataColumns = Array.from({ length: k }, (_, c) => c);
  const stripes = manifest.stripeCount ?? 0;
  for (const c of dataColumns) {
    if (stripes > 0 && !usable(c)) {
      const why = tokenOpensColumn(token, c) ? 'no peer holds it' : 'the link does not open it';
      throw new ShareError(
        'STRIPE_UNAVAILABLE',
        `stripe 0 (and every later one) cannot be read here: it needs data column ${c}, and ${why}. This page reads data shards only and does not rebuild them from parity; the dhost command can.`,
        { stripe: 0, column: c },
      );
    }
  }
  return { scheme: 'rs', units: stripes, dataColumns };
}
