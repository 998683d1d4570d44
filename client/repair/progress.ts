/**
 * Progress of a repair. `repair-fetch`: stripes fetched, rebuilt and sent (`bytes` counts shard
 * bytes fetched from sources, `totalBytes` what all stripes need); `repair-fill`: rebuilt slots
 * filled on chain (`bytes` filled, `totalBytes` slots being refilled).
 */
export interface RepairProgress {
  phase: 'repair-fetch' | 'repair-fill';
  bytes: number;
  totalBytes: number;
}

/**
 * A repair progress callback. Called often; keep it cheap.
 *
 * @example
 * const onProgress: OnRepairProgress = (p) => console.log(p.phase, `${p.bytes}/${p.totalBytes}`);
 */
export type OnRepairProgress = (p: RepairProgress) => void;
