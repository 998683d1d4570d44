import { nodeDefaults } from '../config';

/** A running heartbeat schedule. */
export interface Heartbeats {
  /** Stops the schedule and waits for a heartbeat in flight. Idempotent. */
  stop(): Promise<void>;
}

/** One heartbeat's outcome, reported to `onBeat`. */
export type BeatOutcome = { ok: true } | { ok: false; error: unknown };

/**
 * The delay to the next heartbeat: `intervalMs` spread by ±`jitter` (a fraction).
 *
 * @example
 * nextBeatDelay({ intervalMs: 200_000, jitter: 0.1, random: () => 0.5 }); // 200000
 */
export function nextBeatDelay(params: { intervalMs: number; jitter: number; random: () => number }): number {
  return Math.max(0, Math.round(params.intervalMs * (1 + params.jitter * (2 * params.random() - 1))));
}

/**
 * Sends heartbeats on a schedule: every `intervalMs` (± jitter), one at a time (the next is
 * scheduled only after the previous finished, so they never overlap), retrying a failed one
 * after `retryMs`. Failures are logged, never thrown. `stop()` cancels the schedule and waits
 * for a heartbeat in flight. Nothing but `stop()` ends it: it keeps beating through the operator's
 * exit (`dhost node exit`), as the slots still held must not lapse.
 *
 * @example
 * const heartbeats = startHeartbeats(
 *   { sendHeartbeat: () => sendHeartbeat(chain, { registry }), log: console.log },
 *   { intervalMs: (Number(config.heartbeatTimeout) * 1000) / 3, beatFirst: true },
 * );
 * await heartbeats.stop();
 */
export function startHeartbeats(
  deps: { sendHeartbeat: () => Promise<unknown>; log: (line: string) => void; random?: () => number },
  params: { intervalMs: number; jitter?: number; retryMs?: number; beatFirst?: boolean; onBeat?: (outcome: BeatOutcome) => void },
): Heartbeats {
  const jitter = params.jitter ?? nodeDefaults.heartbeatJitter;
  const retryMs = Math.min(params.retryMs ?? nodeDefaults.heartbeatRetryMs, params.intervalMs);
  const random = deps.random ?? Math.random;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let failures = 0;

  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(beat, delayMs);
    timer.unref();
  };

  function beat() {
    timer = undefined;
    inFlight = (async () => {
      let outcome: BeatOutcome;
      try {
        await deps.sendHeartbeat();
        if (failures > 0) deps.log(`heartbeat sent after ${failures} failed attempt(s)`);
        failures = 0;
        outcome = { ok: true };
      } catch (error) {
        failures++;
        deps.log(`heartbeat failed (attempt ${failures}), retrying in ${retryMs} ms: ${error instanceof Error ? error.message : String(error)}`);
        outcome = { ok: false, error };
      }
      try {
        params.onBeat?.(outcome);
      } catch {
        // an observer's failure is not the schedule's
      }
      schedule(outcome.ok ? nextBeatDelay({ intervalMs: params.intervalMs, jitter, random }) : retryMs);
    })();
  }

  schedule(params.beatFirst ? 0 : nextBeatDelay({ intervalMs: params.intervalMs, jitter, random }));

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await inFlight;
    },
  };
}
