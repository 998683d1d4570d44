import { getAbiItem } from 'viem';
import type { FileId } from '../../protocol/ids';
import { marketplaceAbi } from '../deal/marketplace-abi';
import { ReplicatedRepairUnsupportedError } from './errors';
import { type RepairDeps, type RepairReport, repairFile } from './repair-file';

/** What `watchRepairs` is asked to do. */
export interface WatchRepairsParams {
  /** The files to keep repaired, asked again every round (a keystore's uploads, say). */
  fileIds: () => Promise<FileId[]> | FileId[];
  /** Pause between rounds, milliseconds. A `SlotFreed` event of a watched deal ends the pause early. */
  intervalMs: number;
  /** Passed to `repairFile` (default there: n − 1, repair on any loss). */
  threshold?: number;
  /** Passed to `repairFile`. */
  fillTimeoutSeconds?: number;
  pollIntervalMs?: number;
  publicEndpointsOnly?: boolean;
  /** Stop after this many rounds (tests, one-shot jobs); default: until `signal` aborts. */
  maxRounds?: number;
  signal: AbortSignal;
  log: (line: string) => void;
  /** Hears every report (each file, each round). */
  onReport?: (report: RepairReport) => void;
}

const SLOT_FREED = getAbiItem({ abi: marketplaceAbi, name: 'SlotFreed' });

/**
 * Keeps files repaired: every `intervalMs` (or sooner, when the chain logs a `SlotFreed` of a
 * watched deal: plain `eth_getLogs` from the head at start + 1) checks each file in turn and runs
 * `repairFile` on it, one file at a time. Errors are logged and never end the loop; a replicated file
 * is logged once and skipped afterwards. Resolves when `signal` aborts (or after `maxRounds`).
 *
 * @example
 * const stop = new AbortController();
 * void watchRepairs(deps, { fileIds: async () => (await keystore.listUploads()).map((u) => u.fileId as FileId), intervalMs: 60_000, signal: stop.signal, log: console.log });
 */
export async function watchRepairs(deps: RepairDeps, params: WatchRepairsParams): Promise<void> {
  const { signal, log } = params;
  const skipped = new Set<string>();
  let fromBlock: bigint | undefined;
  try {
    fromBlock = (await deps.publicClient.getBlockNumber()) + 1n;
  } catch (err) {
    log(`repair watch: cannot read the chain head, SlotFreed events are not watched: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (let round = 0; params.maxRounds === undefined || round < params.maxRounds; round++) {
    if (signal.aborted) return;
    let ids: FileId[] = [];
    try {
      ids = [...(await params.fileIds())];
    } catch (err) {
      log(`repair watch: cannot list files: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (const fileId of ids) {
      if (signal.aborted) return;
      if (skipped.has(fileId.toLowerCase())) continue;
      try {
        const report = await repairFile(deps, {
          fileId,
          threshold: params.threshold,
          fillTimeoutSeconds: params.fillTimeoutSeconds,
          pollIntervalMs: params.pollIntervalMs,
          publicEndpointsOnly: params.publicEndpointsOnly,
          signal,
        });
        params.onReport?.(report);
        if (report.rebuilt.length > 0) log(`repaired ${fileId}: column(s) ${report.rebuilt.map((r) => `${r.column} → ${r.peer}`).join(', ')}`);
        for (const w of report.waiting) log(`${fileId}: column ${w.column} waits: ${w.reason}`);
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ReplicatedRepairUnsupportedError) {
          skipped.add(fileId.toLowerCase());
          log(`${fileId}: ${err.message}; skipped from now on`);
          continue;
        }
        log(`repair of ${fileId} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (params.maxRounds !== undefined && round + 1 >= params.maxRounds) return;
    const watched = new Set(ids.map((id) => id.toLowerCase()));
    await pause(params.intervalMs);
    // One pass of the wait: sleep in short steps, ending early on a SlotFreed of a watched deal.
    async function pause(ms: number): Promise<void> {
      const step = Math.min(ms, 1000);
      for (let waited = 0; waited < ms && !signal.aborted; waited += step) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, step);
          signal.addEventListener('abort', done, { once: true });
          function done() {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            resolve();
          }
        });
        if (fromBlock === undefined || signal.aborted) continue;
        try {
          const head = await deps.publicClient.getBlockNumber();
          if (head < fromBlock) continue;
          const logs = await deps.publicClient.getLogs({ address: deps.market, event: SLOT_FREED, fromBlock, toBlock: head });
          fromBlock = head + 1n;
          if (logs.some((l) => l.args.id !== undefined && watched.has(l.args.id.toLowerCase()))) return;
        } catch (err) {
          log(`repair watch: cannot read SlotFreed events: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
  }
}
