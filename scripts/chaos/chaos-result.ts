import fs from 'node:fs';
import path from 'node:path';
import type { ChaosConfig } from './chaos-config';
import type { FaultEvent } from './fault-scheduler';
import type { FileFailure } from './verify-files';

/** What a chaos run writes to its result JSON (bench/results/chaos.json for the full run). */
export interface ChaosResult {
  date: string;
  seed: number;
  config: Omit<ChaosConfig, 'out'>;
  /** The machine, with its load average (1, 5, 15 min) at the end: other work on it slows the run. */
  machine: { cpus: number; node: string; loadAverageAtEnd: number[] };
  sizeDistribution: string;
  durationSeconds: number;
  /** How far the chain's clock ran ahead of the wall clock by the end (Hardhat gives every block its own second), and the blocks mined. */
  chainClockAheadSeconds: number;
  blocks: number;
  phasesSeconds: Record<string, number>;
  filesPlanned: number;
  filesWritten: number;
  bytesWritten: number;
  largestFileBytes: number;
  filesIntact: number;
  /** Faults injected, by kind: the scheduler's (kill, killLong, restart, pause, corrupt) and the proxies' (connections delayed, reset, truncated). */
  faultsInjected: Record<string, number>;
  /** Columns rebuilt on new peers by the client's repair (`repairFile`), and in how many files. */
  repairs: number;
  filesRepaired: number;
  slotsFreed: number;
  repairErrors: number;
  repairLastErrors: string[];
  /** Answers that carried the bytes of a corrupted shard; every one must have been caught by the client's SHA-256 check (the files came back intact). */
  corruptShardsServed: number;
  /** Files with a corrupted column, and whether each came back intact. */
  corruptedFiles: number;
  uploadRetries: number;
  /** Files never written (every attempt failed, or the time bound came first). */
  notWritten: FileFailure[];
  /** The download pass made while faults were still being injected: reads that failed there are not losses (the final check decides). */
  readsDuringChaos: { intact: number; failed: number; failures: FileFailure[] };
  /** Most peers out at once and the most bad columns of one file at once (must stay ≤ tolerance). */
  peaks: { peersOut: number; badColumnsOfAFile: number; tolerance: number };
  /** Files written that did not come back intact at the end, with the reason. Must be empty. */
  lost: FileFailure[];
  faultLog: FaultEvent[];
}

/**
 * Writes a chaos result as JSON (creating the folder) and returns the short summary printed at
 * the end of a run.
 *
 * @example
 * const summary = writeChaosResult({ result, out: 'bench/results/chaos.json' });
 * process.stdout.write(summary);
 */
export function writeChaosResult(params: { result: ChaosResult; out: string }): string {
  const { result } = params;
  fs.mkdirSync(path.dirname(params.out), { recursive: true });
  fs.writeFileSync(params.out, `${JSON.stringify(result, null, 2)}\n`);
  const faults = Object.entries(result.faultsInjected)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `chaos: ${result.config.nodes} nodes, ${result.config.redundancy}, seed ${result.seed}, ${result.durationSeconds} s`,
    `  files written ${result.filesWritten}/${result.filesPlanned} (${(result.bytesWritten / 1024 / 1024).toFixed(1)} MiB), intact ${result.filesIntact}`,
    `  faults: ${faults}`,
    `  repairs: ${result.repairs} columns in ${result.filesRepaired} files (${result.slotsFreed} slots freed, ${result.repairErrors} failed attempts)`,
    `  corrupt shards served and rejected: ${result.corruptShardsServed} (${result.corruptedFiles} files corrupted)`,
    `  reads during chaos: ${result.readsDuringChaos.intact} intact, ${result.readsDuringChaos.failed} failed`,
    `  peak: ${result.peaks.peersOut} peers out, ${result.peaks.badColumnsOfAFile} bad columns in one file (tolerance ${result.peaks.tolerance})`,
    `  lost: ${result.lost.length === 0 ? 'none' : result.lost.map((l) => `file ${l.file} (${l.reason})`).join('; ')}`,
    `  written to ${params.out}`,
    '',
  ].join('\n');
}
