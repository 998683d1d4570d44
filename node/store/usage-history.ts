import type BetterSqlite3 from 'better-sqlite3';

/** One usage sample: when, the bytes stored (the index's total) and the bytes offered. */
export interface UsageSample {
  /** Unix milliseconds. */
  at: number;
  usedBytes: number;
  capacityBytes: number;
}

/** The node's usage over time, in its SQLite database (for the dashboard's chart). */
export interface UsageHistory {
  /**
   * Records a sample unless the latest one is younger than the minimum spacing (a minute by
   * default); forgets samples older than the retention. Returns whether it recorded.
   */
  record(sample: UsageSample): boolean;
  /**
   * Samples from `since` (unix ms) on, oldest first, at most `maxPoints`: when there are more, the
   * span is cut into `maxPoints` equal buckets and the latest sample of each bucket is kept (so
   * the last point is always the latest sample).
   */
  since(params: { since: number; maxPoints: number }): UsageSample[];
  /** Samples stored now. */
  count(): number;
}

/** Defaults: one sample a minute at most, kept for two days (the dashboard shows the last 24 h). */
export const usageHistoryDefaults = { minSpacingMs: 60_000, retentionMs: 2 * 24 * 3600_000 } as const;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS usage_samples (
  at INTEGER PRIMARY KEY, -- unix milliseconds
  used_bytes INTEGER NOT NULL,
  capacity_bytes INTEGER NOT NULL
);
`;

type RawSample = { at: number; used_bytes: number; capacity_bytes: number };
const toSample = (r: RawSample): UsageSample => ({ at: r.at, usedBytes: r.used_bytes, capacityBytes: r.capacity_bytes });

/**
 * Creates the usage-sample table (idempotent) on an open database.
 *
 * @example
 * const history = createUsageHistory({ db });
 * history.record({ at: Date.now(), usedBytes: index.usage().bytes, capacityBytes });
 * history.since({ since: Date.now() - 24 * 3600_000, maxPoints: 240 });
 */
export function createUsageHistory(deps: { db: BetterSqlite3.Database }, options: Partial<typeof usageHistoryDefaults> = {}): UsageHistory {
  const { minSpacingMs, retentionMs } = { ...usageHistoryDefaults, ...options };
  deps.db.exec(SCHEMA);
  const latest = deps.db.prepare<[], { at: number }>('SELECT at FROM usage_samples ORDER BY at DESC LIMIT 1');
  const insert = deps.db.prepare('INSERT OR REPLACE INTO usage_samples (at, used_bytes, capacity_bytes) VALUES (?, ?, ?)');
  const prune = deps.db.prepare('DELETE FROM usage_samples WHERE at < ?');
  const from = deps.db.prepare<[number], RawSample>('SELECT at, used_bytes, capacity_bytes FROM usage_samples WHERE at >= ? ORDER BY at ASC');
  const count = deps.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM usage_samples');
  const record = deps.db.transaction((s: UsageSample): boolean => {
    const last = latest.get();
    // A clock moved back is treated like a due sample: the newest row always describes now.
    if (last && s.at >= last.at && s.at - last.at < minSpacingMs) return false;
    insert.run(Math.floor(s.at), s.usedBytes, s.capacityBytes);
    prune.run(s.at - retentionMs);
    return true;
  });
  return {
    record: (sample) => record(sample),
    since: ({ since, maxPoints }) => {
      const rows = from.all(since).map(toSample);
      if (maxPoints < 1) return [];
      if (rows.length <= maxPoints) return rows;
      const first = rows[0].at;
      const span = rows[rows.length - 1].at - first + 1;
      const kept: UsageSample[] = [];
      let bucket = -1;
      for (const row of rows) {
        const b = Math.min(maxPoints - 1, Math.floor(((row.at - first) * maxPoints) / span));
        if (b === bucket) kept[kept.length - 1] = row;
        else kept.push(row);
        bucket = b;
      }
      return kept;
    },
    count: () => count.get()!.n,
  };
}

/**
 * Samples usage now and then every `intervalMs` (a minute by default) while the node runs; the
 * history keeps at most one sample a minute. A failing sample is logged and retried at the next tick.
 * Returns what stops it.
 *
 * @example
 * const sampler = startUsageSampler({ history, usage: () => index.usage(), capacityBytes, log });
 * // …
 * sampler.stop();
 */
export function startUsageSampler(deps: {
  history: Pick<UsageHistory, 'record'>;
  usage: () => { bytes: number };
  capacityBytes: number;
  intervalMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}): { stop(): void } {
  const now = deps.now ?? Date.now;
  const sample = () => {
    try {
      deps.history.record({ at: now(), usedBytes: deps.usage().bytes, capacityBytes: deps.capacityBytes });
    } catch (error) {
      deps.log?.(`usage sample failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  sample();
  const timer = setInterval(sample, deps.intervalMs ?? usageHistoryDefaults.minSpacingMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
