import path from 'node:path';
import { fileSource, formatRedundancy, parseRedundancy, type Redundancy, upload } from '../../client';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { UsageError } from '../errors';
import type { CommandIo } from '../main';
import { progressBar } from '../progress';
import { resolveSettings } from '../settings';
import { parseSize } from '../sizes';
import { publicEndpointsOnly, userContext } from '../user-context';

/**
 * `dhost upload FILE [--redundancy rs:K+M|replicate:N] [--replicas N] [--chunk-size SIZE] [--json]`:
 * encrypts and stores FILE on distinct peers and prints its handle as the last line (with `--json`,
 * one JSON object, with `redundancy` and, when the default had to shrink, `redundancyReason`).
 * Without `--redundancy` the network's size decides (RS(4,2) below 16 active peers, RS(10,6) from
 * 16); `--replicas N` is shorthand for `--redundancy replicate:N`.
 *
 * @example
 * dhost upload photos.tar --redundancy rs:4+2   # … last line: dhost://3f…#k3y…
 */
export async function uploadCommand(io: CommandIo, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...COMMON_OPTIONS,
    replicas: { type: 'string' },
    redundancy: { type: 'string' },
    'chunk-size': { type: 'string' },
    epochs: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('upload needs exactly one FILE argument');
  const replicas = values.replicas === undefined ? undefined : Number(values.replicas);
  if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 1 || replicas > 16))
    throw new UsageError('--replicas must be an integer from 1 to 16');
  if (replicas !== undefined && values.redundancy !== undefined) throw new UsageError('give either --redundancy or --replicas');
  let redundancy: Redundancy | undefined;
  if (values.redundancy !== undefined) {
    try {
      redundancy = parseRedundancy(values.redundancy);
    } catch (err) {
      throw new UsageError(`--redundancy: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const epochs = values.epochs === undefined ? undefined : Number(values.epochs);
  if (epochs !== undefined && (!Number.isInteger(epochs) || epochs < 1 || epochs > 1_000_000))
    throw new UsageError('--epochs must be a whole number of epochs');
  const settings = resolveSettings(values, io.env);
  const ctx = await userContext(settings, {
    onNewKey: (file) => io.stderr.write(`dhost: created a new account key in ${file}; back it up: your files' keys derive from it\n`),
  });
  const file = path.resolve(positionals[0]);
  const source = await fileSource(file);
  const bar = progressBar({ stream: io.stderr, label: 'upload' });
  const result = await upload(
    { account: ctx.account, chainId: ctx.connection.chainId, master: ctx.master, peers: ctx.peers, marketplace: ctx.marketplace },
    {
      source,
      name: path.basename(file),
      replicas,
      redundancy,
      epochs,
      chunkSize: values['chunk-size'] ? parseSize(values['chunk-size']) : undefined,
      signal: io.signal,
      publicEndpointsOnly: publicEndpointsOnly(ctx.connection.chainId, io.env),
      onProgress: bar.update,
    },
  );
  bar.done();
  await ctx.keystore.recordUpload({
    fileId: result.fileId,
    name: result.name,
    size: result.size,
    chunkCount: result.chunkCount,
    replicas: result.replicas,
    columns: result.columns,
    uploadedAt: new Date().toISOString(),
  });
  if (values.json) {
    io.stdout.write(`${JSON.stringify(result, (_key, value) => (typeof value === 'bigint' ? value.toString() : value))}\n`);
  } else {
    io.stderr.write(`redundancy ${formatRedundancy(result.redundancy)}${result.redundancyReason ? ` (${result.redundancyReason})` : ''}\n`);
    for (const c of result.columns) io.stderr.write(`column ${c.column} → ${c.operator} ${c.endpoint}\n`);
    if (result.deal) {
      io.stderr.write(`deal ${result.deal.dealId}: ${result.deal.escrow} wei escrowed, paid through epoch ${result.deal.endEpoch}\n`);
    }
    io.stdout.write(`${result.handle}\n`);
  }
  return 0;
}
