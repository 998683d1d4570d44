import type { RepairDeps } from '../../client/repair/repair-file';
import { repairFile } from '../../client/repair/repair-file';
import type { ChaosFile } from './chaos-state';

/** What the repairs of a chaos run did. */
export interface RepairTally {
  /** Columns rebuilt on a new peer and filled on chain. */
  columns: number;
  /** Files with at least one column rebuilt. */
  files: number;
  /** Slots freed because their holder's heartbeat had lapsed. */
  freed: number;
  /** repairFile calls that threw (retried on a later pass). */
  errors: number;
  /** The last few errors, for the result. */
  lastErrors: string[];
}

/**
 * Creates an empty repair tally.
 *
 * @example
 * const tally = emptyRepairTally();
 */
export function emptyRepairTally(): RepairTally {
  return { columns: 0, files: 0, freed: 0, errors: 0, lastErrors: [] };
}

/**
 * Runs `repairFile` (the client's key-less repair: free lapsed slots, rebuild lost columns from k
 * healthy ones, have new peers fill them) on each of `files`, using the repairer accounts in
 * parallel (one file at a time per account, so their transactions never race for a nonce).
 * Rebuilt columns update the file's holders (`peerIndexOf` maps the new operator); counts go into
 * `tally`. A failed repair is counted and left for a later pass.
 *
 * @example
 * await repairFiles({ repairers, peerIndexOf, tally, log }, { files: damaged, fillTimeoutSeconds: 60 });
 */
export async function repairFiles(
  deps: { repairers: RepairDeps[]; peerIndexOf: (operator: string) => number | undefined; tally: RepairTally; log: (line: string) => void },
  params: { files: ChaosFile[]; fillTimeoutSeconds: number; timeoutMs: number; signal?: AbortSignal },
): Promise<void> {
  const queue = params.files.filter((f) => f.fileId !== undefined);
  const { tally } = deps;
  await Promise.all(
    deps.repairers.map(async (repairer) => {
      for (let file = queue.shift(); file; file = queue.shift()) {
        if (params.signal?.aborted) return;
        try {
          const report = await repairFile(repairer, {
            fileId: file.fileId as NonNullable<ChaosFile['fileId']>,
            fillTimeoutSeconds: params.fillTimeoutSeconds,
            pollIntervalMs: 500,
            timeoutMs: params.timeoutMs,
            maxRounds: 2,
            signal: params.signal,
          });
          tally.freed += report.freed.length;
          if (report.rebuilt.length > 0) {
            tally.columns += report.rebuilt.length;
            tally.files += 1;
            for (const r of report.rebuilt) {
              const peer = deps.peerIndexOf(r.peer);
              if (peer !== undefined) file.holders.set(r.column, peer);
            }
            deps.log(`repair: file ${file.index} columns ${report.rebuilt.map((r) => `${r.column}→${deps.peerIndexOf(r.peer)}`).join(', ')}`);
          }
        } catch (err) {
          if (params.signal?.aborted) return;
          tally.errors += 1;
          const text = `file ${file.index}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
          tally.lastErrors = [...tally.lastErrors, text].slice(-10);
          deps.log(`repair failed: ${text}`);
        }
      }
    }),
  );
}
