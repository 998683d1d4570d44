import { badColumns, type ChaosFile, type ChaosState, mayCorrupt, mayTakeDown } from './chaos-state';
import { corruptShard, ShardFileMissingError } from './corrupt-shard';
import type { Cluster } from './start-cluster';

/** Faults the scheduler injected, by kind (the proxies count their own). */
export interface SchedulerFaultCounts {
  /** Peer processes killed with SIGKILL and started again within seconds (no repair needed). */
  kill: number;
  /** Peer processes killed with SIGKILL and kept down until their slots were freed and repaired elsewhere. */
  killLong: number;
  /** Killed peers started again (same key, port and data dir). */
  restart: number;
  /** Peer processes stopped with SIGSTOP, then continued with SIGCONT. */
  pause: number;
  /** Shard files with one byte flipped on a peer's disk. */
  corrupt: number;
}

/** One injected fault, for the log in the result. */
export interface FaultEvent {
  atSeconds: number;
  kind: keyof SchedulerFaultCounts;
  peer: number;
  file?: number;
  column?: number;
  detail?: string;
}

/** A running fault scheduler. */
export interface FaultScheduler {
  counts(): SchedulerFaultCounts;
  events: FaultEvent[];
  /** Most peers out of service at once, and the most bad columns any file had at once. */
  peaks(): { peersOut: number; badColumnsOfAFile: number };
  /** Long kills finished (the peer is back). */
  longKillsDone(): number;
  /** Stops injecting, and waits until every paused peer runs and every killed peer is back. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Injects faults into a running cluster until stopped, never taking a file past the redundancy's
 * tolerance (`mayTakeDown`, `mayCorrupt`): every `intervalMs` (± 50 %) the next kind of a shuffled
 * cycle — a short kill (SIGKILL, restart 1–4 s later with the same data dir and port), a pause
 * (SIGSTOP for 1–4 s, then SIGCONT) or a corrupted shard (one byte of a data column's shard on the
 * holder's disk; `onCorrupt` gets the corrupted bytes' hash). Up to `longKills` times, once
 * `longKillReady()` says so, one peer is killed and kept down until no file has a column on it any
 * more (the repairer moved them) or `longKillMaxMs` passed, then restarted; long kills come one
 * after another, so over the run more peers fail than the redundancy could absorb at once.
 *
 * @example
 * const faults = startFaultScheduler({ cluster, state, random, log, onCorrupt: (sha) => reads.watch(sha) }, { intervalMs: 4000, longKills: 2, longKillReady: () => true, longKillMaxMs: 300_000 });
 * await faults.stop();
 */
export function startFaultScheduler(
  deps: {
    cluster: Pick<Cluster, 'peers' | 'restart'>;
    state: ChaosState;
    random: () => number;
    log: (line: string) => void;
    onCorrupt: (corruptSha256: string, file: ChaosFile, column: number) => void;
  },
  params: { intervalMs: number; longKills: number; longKillReady: () => boolean; longKillMaxMs: number },
): FaultScheduler {
  const { cluster, state, random, log } = deps;
  const counts: SchedulerFaultCounts = { kill: 0, killLong: 0, restart: 0, pause: 0, corrupt: 0 };
  const events: FaultEvent[] = [];
  const started = performance.now();
  const running = new Set<Promise<void>>();
  const peaks = { peersOut: 0, badColumnsOfAFile: 0 };
  let stopped = false;
  let longKillsDone = 0;
  let longKillRunning = false;

  const record = (e: Omit<FaultEvent, 'atSeconds'>) => {
    counts[e.kind] += 1;
    events.push({ atSeconds: Math.round((performance.now() - started) / 100) / 10, ...e });
    const down = new Set(state.outage.keys());
    peaks.peersOut = Math.max(peaks.peersOut, down.size);
    for (const f of state.files) peaks.badColumnsOfAFile = Math.max(peaks.badColumnsOfAFile, badColumns(f, down));
    log(`fault: ${e.kind} peer ${e.peer}${e.file !== undefined ? ` file ${e.file} column ${e.column}` : ''}${e.detail ? ` (${e.detail})` : ''}`);
  };
  const track = (task: Promise<void>) => {
    const t = task.catch((err: unknown) => log(`fault task failed: ${err instanceof Error ? err.message : String(err)}`));
    running.add(t);
    void t.finally(() => running.delete(t));
  };
  const pick = <T>(xs: T[]): T | undefined => (xs.length === 0 ? undefined : xs[Math.floor(random() * xs.length)]);
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  const candidates = () => cluster.peers.map((p) => p.index).filter((i) => mayTakeDown(state, i));

  const restart = async (peer: number) => {
    await cluster.restart(peer);
    state.outage.delete(peer);
    record({ kind: 'restart', peer });
  };
  const shortKill = async () => {
    const peer = pick(candidates());
    if (peer === undefined) return;
    state.outage.set(peer, 'killed');
    cluster.peers[peer].process.child.kill('SIGKILL');
    record({ kind: 'kill', peer });
    await sleep(between(1000, 4000));
    await restart(peer);
  };
  const pause = async () => {
    const peer = pick(candidates());
    if (peer === undefined) return;
    const child = cluster.peers[peer].process.child;
    state.outage.set(peer, 'paused');
    child.kill('SIGSTOP');
    record({ kind: 'pause', peer });
    await sleep(between(1000, 4000));
    child.kill('SIGCONT');
    state.outage.delete(peer);
  };
  const corrupt = async () => {
    for (let tries = 0; tries < 5; tries++) {
      const file = pick(state.files.filter((f) => mayCorrupt(state, f)));
      if (!file?.fileId) return;
      // A data column: downloads read data columns first, so the bad shard is fetched and must be caught.
      const column = Math.floor(random() * state.dataColumns);
      const peer = file.holders.get(column);
      if (peer === undefined || state.outage.has(peer)) continue;
      const index = Math.floor(random() * file.stripes);
      try {
        const hit = corruptShard({ random }, { dataDir: cluster.peers[peer].dataDir, fileId: file.fileId, column, index });
        file.corrupt.set(column, peer);
        deps.onCorrupt(hit.corruptSha256, file, column);
        record({ kind: 'corrupt', peer, file: file.index, column, detail: `shard ${index}, byte ${hit.offset}` });
        return;
      } catch (err) {
        if (!(err instanceof ShardFileMissingError)) throw err;
      }
    }
  };
  const longKill = async () => {
    // The peer holding the most columns, so that the kill gives the repairer work.
    const held = (i: number) => state.files.filter((f) => f.handle !== undefined && [...f.holders.values()].includes(i)).length;
    const peer = candidates().sort((a, b) => held(b) - held(a))[0];
    if (peer === undefined) return;
    longKillRunning = true;
    try {
      state.outage.set(peer, 'killedLong');
      cluster.peers[peer].process.child.kill('SIGKILL');
      record({ kind: 'killLong', peer });
      const until = performance.now() + params.longKillMaxMs;
      const stillHolds = () => state.files.some((f) => [...f.holders.values()].includes(peer));
      while (!stopped && stillHolds() && performance.now() < until) await sleep(1000);
      await restart(peer);
      longKillsDone += 1;
    } finally {
      longKillRunning = false;
    }
  };

  const cycle: (() => Promise<void>)[] = [];
  const loop = (async () => {
    while (!stopped) {
      await sleep(between(0.5, 1.5) * params.intervalMs);
      if (stopped) break;
      if (!longKillRunning && longKillsDone < params.longKills && params.longKillReady()) {
        track(longKill());
        continue;
      }
      if (cycle.length === 0) {
        cycle.push(shortKill, pause, corrupt);
        for (let i = cycle.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [cycle[i], cycle[j]] = [cycle[j], cycle[i]];
        }
      }
      const next = cycle.shift() as () => Promise<void>;
      track(next());
    }
  })();

  return {
    counts: () => ({ ...counts }),
    events,
    peaks: () => ({ ...peaks }),
    longKillsDone: () => longKillsDone,
    stop: async () => {
      stopped = true;
      await loop;
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
