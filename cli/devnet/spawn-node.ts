import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { SetupError } from '../errors';
import { NODE_SERVER_FLAGS, RUNTIME_ENV, RUNTIME_NODE_FLAGS } from '../runtime-tuning';

/** A peer node process started by the devnet. */
export interface NodeProcess {
  child: ChildProcess;
  url: string;
  address: string;
  port: number;
  dataDir: string;
  logFile: string;
}

/**
 * Starts `dhost node` as a separate process and waits for its `{"ready":true}` line.
 *
 * @example
 * const node = await spawnNode({ root, port: 7001, dataDir, logFile, env: { DHOST_PRIVATE_KEY: key, … } });
 */
export async function spawnNode(params: {
  root: string;
  port: number;
  dataDir: string;
  logFile: string;
  capacity: string;
  env: NodeJS.ProcessEnv;
  /** More `dhost node` flags, e.g. `['--endpoint', url]` to announce another URL than the one it listens on. */
  extraArgs?: string[];
  timeoutMs?: number;
}): Promise<NodeProcess> {
  fs.mkdirSync(params.dataDir, { recursive: true });
  const log = fs.openSync(params.logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      ...RUNTIME_NODE_FLAGS,
      ...NODE_SERVER_FLAGS,
      path.join(params.root, 'cli', 'bin', 'dhost.js'),
      'node',
      '--port',
      String(params.port),
      '--data',
      params.dataDir,
      '--capacity',
      params.capacity,
      ...(params.extraArgs ?? []),
    ],
    { cwd: params.root, env: { ...process.env, ...RUNTIME_ENV, ...params.env }, stdio: ['ignore', 'pipe', log] },
  );
  fs.closeSync(log);
  const stdout = child.stdout;
  if (!stdout) throw new SetupError('node process has no stdout');
  return await new Promise<NodeProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new SetupError(`node on port ${params.port} was not ready within ${(params.timeoutMs ?? 120_000) / 1000} s; see ${params.logFile}`));
    }, params.timeoutMs ?? 120_000);
    const lines = readline.createInterface({ input: stdout });
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { ready?: boolean; url?: string; address?: string };
        if (msg.ready && msg.url && msg.address) {
          clearTimeout(timer);
          resolve({ child, url: msg.url, address: msg.address, port: params.port, dataDir: params.dataDir, logFile: params.logFile });
        }
      } catch {
        // not a status line
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new SetupError(`node on port ${params.port} exited with status ${code} before it was ready; see ${params.logFile}`));
    });
  });
}
