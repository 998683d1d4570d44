/**
 * `npm run chaos`: the chaos suite (docs/chaos.md). Twelve peer nodes and two hundred files of
 * 0 B..64 MiB on a local chain, while peers are killed, restarted, paused, their shards corrupted
 * and some reached through a fault-injecting proxy; at the end every file is downloaded and
 * compared. Prints a summary, writes bench/results/chaos.json (or --out / CHAOS_OUT) and exits 1
 * when a file written was lost. Configuration: see `readChaosConfig` (flags or CHAOS_* variables).
 */
import path from 'node:path';
import { packageRoot } from '../../protocol/package-root';
import { readChaosConfig } from './chaos-config';
import { writeChaosResult } from './chaos-result';
import { runChaos } from './run-chaos';

async function main(): Promise<number> {
  const root = packageRoot();
  const config = readChaosConfig({ argv: process.argv.slice(2), env: process.env, defaultOut: path.join(root, 'bench', 'results', 'chaos.json') });
  const log = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`chaos: ${sig}, stopping the chain and the nodes`);
      stop.abort(new Error(`stopped by ${sig}`));
      setTimeout(() => process.exit(130), 20_000).unref();
    });
  }
  const result = await runChaos({ root, log, signal: stop.signal }, config);
  process.stdout.write(writeChaosResult({ result, out: path.resolve(config.out) }));
  return result.lost.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`chaos failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
