import { memoryExperience, parseHandle } from '../../client';
import type { RepairDeps, RepairReport } from '../../client/repair/repair-file';
import { repairFile } from '../../client/repair/repair-file';
import { watchRepairs } from '../../client/repair/repair-watch';
import { type FileId, parseFileId } from '../../protocol/ids';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { UsageError } from '../errors';
import type { CommandIo } from '../main';
import { resolveSettings } from '../settings';
import { publicEndpointsOnly, userContext } from '../user-context';

const json = (value: unknown) => JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v));

function parseTarget(text: string): FileId {
  try {
    return text.startsWith('dhost://') ? parseHandle(text).fileId : parseFileId(text.toLowerCase());
  } catch (err) {
    throw new UsageError(`not a handle or file id: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function summary(r: RepairReport): string {
  const lines = [`file ${r.fileId}: weakest stripe had ${r.before.minHealthy} of ${r.before.columns} healthy columns`];
  for (const c of r.freed) lines.push(`  freed lapsed slot of column ${c}`);
  for (const b of r.rebuilt) lines.push(`  rebuilt column ${b.column} → ${b.peer} ${b.endpoint}`);
  for (const w of r.waiting) lines.push(`  column ${w.column} waits: ${w.reason}`);
  if (r.after) lines.push(`  now ${r.after.minHealthy} of ${r.after.columns} healthy (fetched ${r.fetchedBytes} bytes, sent ${r.sentBytes})`);
  else if (r.rebuilt.length === 0 && r.waiting.length === 0) lines.push('  nothing to repair');
  return `${lines.join('\n')}\n`;
}

/**
 * `dhost repair <handle|fileId> [--threshold N] [--json]`: checks one Reed-Solomon file and rebuilds
 * its lost columns on new peers (docs/repair.md); `dhost repair --watch [--interval SECONDS]`: keeps
 * every file of the local keystore repaired until Ctrl-C (replicated files are skipped with a note).
 * The account (`DHOST_PRIVATE_KEY` or the keystore's key) must own the deals: it signs the new
 * assignments.
 *
 * @example
 * dhost repair dhost://3f…#k3y… --json
 * dhost repair --watch --interval 300
 */
export async function repairCommand(io: CommandIo, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...COMMON_OPTIONS,
    threshold: { type: 'string' },
    watch: { type: 'boolean', default: false },
    interval: { type: 'string' },
  });
  const threshold = values.threshold === undefined ? undefined : Number(values.threshold);
  if (threshold !== undefined && (!Number.isInteger(threshold) || threshold < 0)) throw new UsageError('--threshold must be a whole number of columns');
  const interval = values.interval === undefined ? 600 : Number(values.interval);
  if (!Number.isFinite(interval) || interval <= 0) throw new UsageError('--interval must be a positive number of seconds');
  if (values.watch && positionals.length > 0) throw new UsageError('give either a file or --watch, not both');
  if (!values.watch && positionals.length !== 1) throw new UsageError('repair needs exactly one handle or file id (or --watch)');
  if (!values.watch && values.interval !== undefined) throw new UsageError('--interval goes with --watch');

  const settings = resolveSettings(values, io.env);
  const ctx = await userContext(settings);
  const deps: RepairDeps = {
    account: ctx.account,
    chainId: ctx.connection.chainId,
    publicClient: ctx.connection.publicClient,
    walletClient: ctx.marketplace.walletClient,
    market: ctx.marketplace.market,
    registry: ctx.connection.deployment.contracts.PeerRegistry,
    peers: ctx.peers,
    experience: memoryExperience(),
  };
  const publicOnly = publicEndpointsOnly(ctx.connection.chainId, io.env);

  if (values.watch) {
    io.stderr.write(`watching the keystore's files every ${interval} s; Ctrl-C stops\n`);
    await watchRepairs(deps, {
      // A file of a batch is repaired through its batch's deal (once for all of its files).
      fileIds: async () => [...new Set((await ctx.keystore.listUploads()).map((u) => (u.batch?.dealId ?? u.fileId) as FileId))],
      intervalMs: interval * 1000,
      threshold,
      publicEndpointsOnly: publicOnly,
      signal: io.signal,
      log: (line) => io.stderr.write(`${new Date().toISOString()} ${line}\n`),
      onReport: (r) => {
        if (values.json) io.stdout.write(`${json(r)}\n`);
      },
    });
    return 0;
  }

  const fileId = parseTarget(positionals[0]);
  const report = await repairFile(deps, {
    fileId,
    threshold,
    publicEndpointsOnly: publicOnly,
    signal: io.signal,
    onProgress: (p) => {
      if (!values.json) io.stderr.write(`\r${p.phase} ${p.bytes}/${p.totalBytes}   `);
    },
  });
  if (values.json) io.stdout.write(`${json(report)}\n`);
  else io.stdout.write(`\n${summary(report)}`);
  return 0;
}
