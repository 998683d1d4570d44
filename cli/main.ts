import { DhostError } from '../protocol/errors';
import { delegateCommand } from './commands/delegate';
import { deployCommand } from './commands/deploy';
import { devnetCommand } from './commands/devnet';
import { downloadCommand } from './commands/download';
import { lsCommand } from './commands/ls';
import { nodeCommand } from './commands/node';
import { peersCommand } from './commands/peers';
import { repairCommand } from './commands/repair';
import { revokeCommand } from './commands/revoke';
import { shareCommand } from './commands/share';
import { statusCommand } from './commands/status';
import { uiCommand } from './commands/ui';
import { uploadCommand } from './commands/upload';
import { UsageError } from './errors';

/** The streams and environment a command runs with (the real process's, or a test's). */
export interface CommandIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
}

/** A subcommand: parses its own arguments, returns the exit status. */
export type Command = (io: CommandIo, args: string[]) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  devnet: { run: devnetCommand, summary: 'local chain + deployment + eight peer nodes (npm start)' },
  deploy: { run: deployCommand, summary: 'deploy the contracts to DHOST_RPC_URL with DHOST_PRIVATE_KEY' },
  node: {
    run: nodeCommand,
    summary:
      'run a peer node: [--config FILE] --port P --data DIR [--capacity SIZE] [--stake AMOUNT] [--endpoint URL]; `node status [--json]`; `node details [--json]` (the running node, signed with the operator key); `node exit` / `node withdraw` (leave the registry, take the stake back)',
  },
  upload: {
    run: uploadCommand,
    summary:
      'upload FILE [--redundancy rs:K+M|replicate:N] [--replicas N] [--epochs N] [--chunk-size SIZE] [--json]; opens a deal, prints the handle last; upload --resume [DEAL|FILE] finishes one a crash cut short',
  },
  download: { run: downloadCommand, summary: 'download HANDLE|LINK -o PATH' },
  share: {
    run: shareCommand,
    summary: 'share HANDLE [--expires 1d] [--to 0x…] [--columns 0,1]: prints a share link (token in the query, key in the fragment)',
  },
  revoke: { run: revokeCommand, summary: 'revoke LINK, or revoke HANDLE --all: revoke share tokens on chain' },
  delegate: { run: delegateCommand, summary: 'delegate ADDRESS [--read] [--repair] | --none: let another key share or repair your files' },
  ls: { run: lsCommand, summary: 'your uploads and their handles [--json]' },
  peers: { run: peersCommand, summary: 'active peers from the chain with live status [--json]' },
  repair: {
    run: repairCommand,
    summary: 'repair HANDLE|FILEID [--threshold N] [--json]: rebuild lost columns on new peers; `repair --watch [--interval S]` for every file in the keystore',
  },
  status: { run: statusCommand, summary: 'status HANDLE [--json]: redundancy health per column and stripe, from the chain and the holders' },
  ui: { run: uiCommand, summary: 'ui [--port P]: your dashboard on 127.0.0.1 (a local daemon that holds your keys); prints the URL to open' },
};

/**
 * Usage text of the `dhost` command.
 *
 * @example
 * process.stdout.write(usage());
 */
export function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  dhost ${name.padEnd(9)} ${c.summary}`);
  return [
    'usage: dhost <command> [options]',
    '',
    ...lines,
    '',
    'settings: --rpc URL (DHOST_RPC_URL), --deployment FILE (DHOST_DEPLOYMENT), --home DIR (DHOST_HOME),',
    '          DHOST_PRIVATE_KEY (operator or user key; user commands fall back to the key in DHOST_HOME)',
    '',
  ].join('\n');
}

/**
 * Runs the `dhost` command line and returns its exit status (0 only on success). Named errors are
 * printed as one clear line (with `--json`, as a JSON error object on stdout as well).
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: string[], io?: Partial<CommandIo>): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new DhostError('interrupted'));
  if (!io?.signal) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  const full: CommandIo = {
    stdout: io?.stdout ?? process.stdout,
    stderr: io?.stderr ?? process.stderr,
    env: io?.env ?? process.env,
    signal: io?.signal ?? controller.signal,
  };
  const [name, ...args] = argv;
  try {
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      full.stdout.write(usage());
      return name ? 0 : 2;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`unknown command "${name}"\n\n${usage()}`);
    return await command.run(full, args);
  } catch (err) {
    reportError(full, err, args.includes('--json'));
    return err instanceof UsageError ? 2 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function reportError(io: CommandIo, err: unknown, json: boolean): void {
  if (err instanceof DhostError) {
    io.stderr.write(`dhost: ${err.message}${err.code === 'USAGE' ? '' : ` [${err.code}]`}\n`);
    if (json) io.stdout.write(`${JSON.stringify({ error: { code: err.code, message: err.message, details: err.details } })}\n`);
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`dhost: unexpected error: ${message}\n`);
  if (json) io.stdout.write(`${JSON.stringify({ error: { code: 'UNEXPECTED', message } })}\n`);
}
