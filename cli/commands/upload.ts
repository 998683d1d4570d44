import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileSource, formatRedundancy, parseRedundancy, type Redundancy, type UploadResult } from '../../client';
import { resumeUpload } from '../../client/resume-upload';
import { uploadBatch } from '../../client/upload-batch';
import { listUploadJournals } from '../../client/upload-journal-list';
import { uploadWithJournal } from '../../client/upload-journaled';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { UsageError } from '../errors';
import type { CommandIo } from '../main';
import { progressBar } from '../progress';
import { resolveSettings } from '../settings';
import { parseSize } from '../sizes';
import { publicEndpointsOnly, userContext } from '../user-context';

/** A file to upload and the name it is stored under. */
interface PickedFile {
  file: string;
  name: string;
}

/**
 * The files the arguments name, in order: a file as itself (stored under its base name), a folder
 * as every regular file below it, recursively, sorted (stored under its path from the folder's
 * parent, `/`-separated, so `photos/2024/a.jpg`). Symbolic links and other special files inside a
 * folder are skipped; a named path that is neither a file nor a folder is a usage error.
 */
async function filesOf(paths: string[]): Promise<PickedFile[]> {
  const out: PickedFile[] = [];
  for (const given of paths) {
    const abs = path.resolve(given);
    const info = await stat(abs).catch(() => undefined);
    if (info?.isFile()) out.push({ file: abs, name: path.basename(abs) });
    else if (info?.isDirectory()) {
      const base = path.dirname(abs);
      const entries = await readdir(abs, { recursive: true, withFileTypes: true });
      const found = entries
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath, e.name))
        .sort();
      for (const file of found) out.push({ file, name: path.relative(base, file).split(path.sep).join('/') });
    } else throw new UsageError(`${given} is not a file or a folder`);
  }
  if (out.length === 0) throw new UsageError('no files to upload in the folders given');
  return out;
}

/**
 * `dhost upload FILE… [--redundancy rs:K+M|replicate:N] [--replicas N] [--chunk-size SIZE] [--json]`:
 * encrypts and stores FILE on distinct peers and prints its handle as the last line (with `--json`,
 * one JSON object, with `redundancy` and, when the default had to shrink, `redundancyReason`).
 * Without `--redundancy` the network's size decides (RS(4,2) below 16 active peers, RS(10,6) from
 * 16); `--replicas N` is shorthand for `--redundancy replicate:N`.
 *
 * Several files, or a folder (its files, recursively), are uploaded as one batch (docs/batches.md):
 * one deal and one set of columns for all, a handle per file, printed one per line as
 * `<handle>  <name>`; with `--json`, one object with the deal and `files: [{ fileId, name, size,
 * handle }]`. Every file is recorded in the keystore.
 *
 * A single file is uploaded with a journal (`uploadWithJournal`, docs/crash-safety.md): after a
 * crash, `dhost upload --resume [JOURNAL|DEAL|FILE]` finishes it in the same deal without sending
 * again what already landed; a plain upload of a file with an unfinished journal points at it.
 *
 * @example
 * dhost upload photos.tar --redundancy rs:4+2   # … last line: dhost://3f…#k3y…
 * dhost upload notes.txt photos/ --json          # one deal, a handle per file
 * dhost upload --resume photos.tar               # after a crash: finishes that upload
 */
export async function uploadCommand(io: CommandIo, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...COMMON_OPTIONS,
    replicas: { type: 'string' },
    redundancy: { type: 'string' },
    'chunk-size': { type: 'string' },
    epochs: { type: 'string' },
    resume: { type: 'boolean', default: false },
  });
  if (values.resume) return resumeCommand(io, { values, positionals });
  if (positionals.length < 1) throw new UsageError('upload needs at least one FILE or folder argument');
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
  const picked = await filesOf(positionals);
  if (picked.length > 1) return uploadMany(io, { picked, ctx, values, replicas, redundancy, epochs });
  const file = picked[0].file;
  for (const j of listUploadJournals({ home: ctx.keystore.home, master: ctx.master }).filter((j) => j.record.files[0]?.path === file)) {
    io.stderr.write(
      `dhost: an upload of ${file} was interrupted (deal ${j.record.dealId}); \`dhost upload --resume ${j.record.dealId}\` finishes it without sending again what already landed. Starting a new upload.\n`,
    );
  }
  const bar = progressBar({ stream: io.stderr, label: 'upload' });
  // Journaled: a crash (kill -9, power loss) leaves what `dhost upload --resume` needs; recorded in the keystore on success.
  const result = await uploadWithJournal(journaledUploadDeps(ctx), {
    path: file,
    name: path.basename(file),
    replicas,
    redundancy,
    epochs,
    chunkSize: values['chunk-size'] ? parseSize(values['chunk-size']) : undefined,
    signal: io.signal,
    publicEndpointsOnly: publicEndpointsOnly(ctx.connection.chainId, io.env),
    onProgress: bar.update,
  });
  bar.done();
  printResult(io, result, values.json);
  return 0;
}

/** What a journaled upload and its resume both need from the user's context. */
function journaledUploadDeps(ctx: Awaited<ReturnType<typeof userContext>>) {
  return {
    account: ctx.account,
    chainId: ctx.connection.chainId,
    master: ctx.master,
    peers: ctx.peers,
    marketplace: ctx.marketplace,
    home: ctx.keystore.home,
    keystore: ctx.keystore,
  };
}

/**
 * `dhost upload --resume [JOURNAL|DEAL|FILE] [--json]`: finishes an upload a crash cut short, from
 * its journal (`<home>/pending-uploads/<deal id>.json`), named by the journal file, its deal id or
 * the source file; without an argument, the only unfinished upload. Prints what `dhost upload`
 * prints, after a line saying how many pieces the peers already held.
 */
async function resumeCommand(
  io: CommandIo,
  p: { values: { json?: boolean; rpc?: string; deployment?: string; home?: string }; positionals: string[] },
): Promise<number> {
  if (p.positionals.length > 1) throw new UsageError('upload --resume takes at most one JOURNAL, DEAL or FILE');
  const settings = resolveSettings(p.values, io.env);
  const ctx = await userContext(settings);
  const pending = listUploadJournals({ home: ctx.keystore.home, master: ctx.master });
  const given = p.positionals[0];
  let journal: string;
  if (given === undefined) {
    if (pending.length === 0) throw new UsageError('no interrupted upload to resume');
    if (pending.length > 1) {
      throw new UsageError(
        `${pending.length} interrupted uploads; name one: ${pending.map((j) => `${j.record.dealId} (${j.record.files[0]?.path})`).join(', ')}`,
      );
    }
    journal = pending[0].file;
  } else if (/^0x[0-9a-f]{64}$/.test(given) || given.endsWith('.json')) journal = given;
  else {
    const source = path.resolve(given);
    const match = pending.filter((j) => j.record.files[0]?.path === source);
    if (match.length !== 1)
      throw new UsageError(match.length === 0 ? `no interrupted upload of ${source}` : `several interrupted uploads of ${source}; name the deal`);
    journal = match[0].file;
  }
  const bar = progressBar({ stream: io.stderr, label: 'resume' });
  const result = await resumeUpload(journaledUploadDeps(ctx), {
    journal,
    signal: io.signal,
    publicEndpointsOnly: publicEndpointsOnly(ctx.connection.chainId, io.env),
    onProgress: bar.update,
  });
  bar.done();
  if (!p.values.json) io.stderr.write(`resumed deal ${result.fileId}: ${result.resumed.piecesSkipped} pieces were already on the peers and not sent again\n`);
  printResult(io, result, p.values.json);
  return 0;
}

/** What `dhost upload` prints for one file: the layout and deal on stderr, the handle last on stdout (or one JSON object). */
function printResult(io: CommandIo, result: UploadResult, json: boolean | undefined): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(result, (_key, value) => (typeof value === 'bigint' ? value.toString() : value))}\n`);
  } else {
    io.stderr.write(`redundancy ${formatRedundancy(result.redundancy)}${result.redundancyReason ? ` (${result.redundancyReason})` : ''}\n`);
    for (const c of result.columns) io.stderr.write(`column ${c.column} → ${c.operator} ${c.endpoint}\n`);
    if (result.deal) {
      io.stderr.write(`deal ${result.deal.dealId}: ${result.deal.escrow} wei escrowed, paid through epoch ${result.deal.endEpoch}\n`);
    }
    io.stdout.write(`${result.handle}\n`);
  }
}

type UserContext = Awaited<ReturnType<typeof userContext>>;

/** Several files: one batch, one deal; every file recorded, every handle printed. */
async function uploadMany(
  io: CommandIo,
  p: {
    picked: PickedFile[];
    ctx: UserContext;
    values: { json?: boolean; 'chunk-size'?: string };
    replicas?: number;
    redundancy?: Redundancy;
    epochs?: number;
  },
): Promise<number> {
  const { ctx, values } = p;
  const files = await Promise.all(p.picked.map(async (f) => ({ source: await fileSource(f.file), name: f.name })));
  const bar = progressBar({ stream: io.stderr, label: 'upload' });
  const result = await uploadBatch(
    { account: ctx.account, chainId: ctx.connection.chainId, master: ctx.master, peers: ctx.peers, marketplace: ctx.marketplace },
    {
      files,
      replicas: p.replicas,
      redundancy: p.redundancy,
      epochs: p.epochs,
      chunkSize: values['chunk-size'] ? parseSize(values['chunk-size']) : undefined,
      signal: io.signal,
      publicEndpointsOnly: publicEndpointsOnly(ctx.connection.chainId, io.env),
      onProgress: bar.update,
    },
  );
  bar.done();
  const uploadedAt = new Date().toISOString();
  for (const f of result.files) {
    await ctx.keystore.recordUpload({
      fileId: f.fileId,
      name: f.name,
      size: f.size,
      chunkCount: f.chunkCount,
      replicas: result.replicas,
      columns: result.columns,
      uploadedAt,
      batch: { dealId: result.dealId, manifestIndex: f.manifestIndex as number, firstShard: f.firstShard },
    });
  }
  if (values.json) {
    const out = {
      dealId: result.dealId,
      redundancy: result.redundancy,
      redundancyReason: result.redundancyReason,
      replicas: result.replicas,
      columns: result.columns,
      moves: result.moves,
      deal: result.deal,
      files: result.files.map((f) => ({ fileId: f.fileId, name: f.name, size: f.size, handle: f.handle })),
    };
    io.stdout.write(`${JSON.stringify(out, (_key, value) => (typeof value === 'bigint' ? value.toString() : value))}\n`);
    return 0;
  }
  io.stderr.write(
    `batch of ${result.files.length} files, redundancy ${formatRedundancy(result.redundancy)}${result.redundancyReason ? ` (${result.redundancyReason})` : ''}\n`,
  );
  for (const c of result.columns) io.stderr.write(`column ${c.column} → ${c.operator} ${c.endpoint}\n`);
  if (result.deal) io.stderr.write(`deal ${result.deal.dealId}: ${result.deal.escrow} wei escrowed, paid through epoch ${result.deal.endEpoch}\n`);
  for (const f of result.files) io.stdout.write(`${f.handle}  ${f.name}\n`);
  return 0;
}
