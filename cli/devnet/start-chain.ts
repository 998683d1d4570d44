import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { connectChain } from '../../protocol/chain/connect';
import { SetupError } from '../errors';

/**
 * Starts `hardhat node` as a child process on host:port (its verbose log goes to `logFile`) and
 * waits until it answers `eth_chainId`. Refuses to start when something already answers there.
 *
 * @example
 * const chain = await startChain({ root, host: '127.0.0.1', port: 8545, logFile: '.dhost/devnet/chain.log' });
 */
export async function startChain(params: {
  root: string;
  host: string;
  port: number;
  logFile: string;
  /** More `hardhat` arguments, e.g. `['--config', file]` for a chain with other network settings. */
  extraArgs?: string[];
  signal?: AbortSignal;
}): Promise<{ rpcUrl: string; child: ChildProcess }> {
  const rpcUrl = `http://${params.host}:${params.port}`;
  const alreadyThere = await connectChain({ rpcUrl, timeoutMs: 1_000 }).then(
    () => true,
    () => false,
  );
  if (alreadyThere) throw new SetupError(`something already answers JSON-RPC at ${rpcUrl}: stop it (another devnet?) before starting the devnet`);
  const hardhatCli = require.resolve('hardhat/internal/cli/cli', { paths: [params.root] });
  const log = fs.openSync(params.logFile, 'a');
  const child = spawn(process.execPath, [hardhatCli, ...(params.extraArgs ?? []), 'node', '--hostname', params.host, '--port', String(params.port)], {
    cwd: params.root,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  let exited: number | null = null;
  child.on('exit', (code) => {
    exited = code ?? 1;
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    params.signal?.throwIfAborted();
    if (exited !== null) throw new SetupError(`hardhat node exited with status ${exited}; see ${params.logFile}`);
    const ok = await connectChain({ rpcUrl, timeoutMs: 1_000 }).then(
      () => true,
      () => false,
    );
    if (ok) return { rpcUrl, child };
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new SetupError(`hardhat node did not answer at ${rpcUrl} within 120 s; see ${params.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}
