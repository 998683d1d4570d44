import fs from 'node:fs';
import path from 'node:path';
import type { DaemonDeps } from '../../client/daemon/daemon-deps';
import { type RunningDaemon, startDaemon } from '../../client/daemon/start-daemon';
import { uiDir } from '../../protocol/package-root';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { UsageError } from '../errors';
import type { CommandIo } from '../main';
import { resolveSettings, type Settings } from '../settings';
import { publicEndpointsOnly, userContext } from '../user-context';

/**
 * Starts the user daemon for the settings' account (`DHOST_PRIVATE_KEY`, or the keystore's key),
 * on 127.0.0.1 at `port` (0: any free port). Used by `dhost ui` and by the devnet.
 *
 * @example
 * const daemon = await startUserDaemon(settings, io, { port: 4848 });
 * io.stdout.write(`${daemon.url}\n`);
 */
export async function startUserDaemon(settings: Settings, io: Pick<CommandIo, 'stderr' | 'env'>, options: { port: number }): Promise<RunningDaemon> {
  const ctx = await userContext(settings, {
    onNewKey: (file) => io.stderr.write(`dhost: created a new account key in ${file}; back it up: your files' keys derive from it\n`),
  });
  const deps: DaemonDeps = {
    account: ctx.account,
    master: ctx.master,
    keystore: ctx.keystore,
    chainId: ctx.connection.chainId,
    publicClient: ctx.connection.publicClient,
    walletClient: ctx.marketplace.walletClient,
    contracts: {
      market: ctx.connection.deployment.contracts.Marketplace,
      token: ctx.connection.deployment.contracts.RewardToken,
      registry: ctx.connection.deployment.contracts.PeerRegistry,
    },
    peers: ctx.peers,
    publicEndpointsOnly: publicEndpointsOnly(ctx.connection.chainId, io.env),
    spoolDir: path.join(settings.home, 'spool'),
    log: (line) => io.stderr.write(`${line}\n`),
  };
  try {
    return await startDaemon(deps, { port: options.port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`port ${options.port} is in use: pick another with --port`);
    throw err;
  }
}

/**
 * `dhost ui [--port P]`: the user dashboard. A local daemon on 127.0.0.1 holds the keys and does
 * the encryption, erasure coding and placement (as Sia's renterd serves its UI); the page it
 * serves is driven only through it. It prints the URL to open — with a secret session token in
 * the fragment — and runs until Ctrl-C. No other web page can drive it: it answers only its own
 * Host, sends no CORS headers and needs the token on every API call.
 *
 * @example
 * dhost ui --port 4848   # open http://127.0.0.1:4848/#session=…
 */
export async function uiCommand(io: CommandIo, args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { ...COMMON_OPTIONS, port: { type: 'string', default: '0' } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a port number (0: any free port)');
  if (!fs.existsSync(path.join(uiDir('user'), 'index.html'))) {
    io.stderr.write('dhost: the dashboard page is not built yet: npx vite build -c ui/vite.config.mts --mode user\n');
  }
  const settings = resolveSettings(values, io.env);
  const daemon = await startUserDaemon(settings, io, { port });
  io.stderr.write('dhost ui: your dashboard (keep this address to yourself: it carries the session token)\n');
  io.stdout.write(`${daemon.url}\n`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  io.stderr.write('dhost ui: stopping\n');
  await daemon.stop();
  return 0;
}
