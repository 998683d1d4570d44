/** A running periodic task. */
export interface MarketLoop {
  /** Runs one round now (after the running one, if any) and resolves when it is done. */
  runNow(): Promise<void>;
  /** Stops the loop and waits for a running round to finish. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Runs `round` every `intervalMs`, never two at once (the next waits for the previous to finish),
 * logging its errors instead of stopping. The first round runs at once.
 *
 * @example
 * const loop = startMarketLoop({ round: (signal) => fillCommittedSlots(deps, { marketAddress, signal }), log }, { intervalMs: 5_000 });
 * await loop.stop();
 */
export function startMarketLoop(
  deps: { round: (signal: AbortSignal) => Promise<void>; log: (line: string) => void },
  p: { intervalMs: number; name?: string },
): MarketLoop {
  const controller = new AbortController();
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const once = (): Promise<void> => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        await deps.round(controller.signal);
      } catch (error) {
        if (!stopped) deps.log(`${p.name ?? 'market'} round failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void once().then(schedule);
    }, p.intervalMs);
    timer.unref();
  };
  void once().then(schedule);

  return {
    runNow: once,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      controller.abort();
      await running;
    },
  };
}
