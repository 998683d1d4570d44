import path from 'node:path';
import { accessForLink, chainPeerSource, downloadToFile, parseLink } from '../../client';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { UsageError } from '../errors';
import type { CommandIo } from '../main';
import { progressBar } from '../progress';
import { connect, resolveSettings } from '../settings';
import { existingAccount, publicEndpointsOnly } from '../user-context';

/**
 * `dhost download HANDLE -o PATH`: finds the file's columns on the active peers, checks and
 * decrypts every chunk, and writes PATH only when the whole file is intact. HANDLE is either form:
 * a file uploaded alone (`dhost://<file id>#<key>`) or a file of a batch (`dhost://<deal id>/<file
 * id>?m=…&o=…#<key>`, docs/batches.md), or a share link (either form with `t=<token>`, made by
 * `dhost share`); quote it in a shell (`?` and `&`). A bare handle is read with a short token the
 * owner (or a read delegate) signs itself; a link's token is used as it is, co-signed by the
 * user's key when the link names a grantee.
 *
 * @example
 * dhost download 'dhost://3f…#k3y…' -o copy.tar
 * dhost download 'dhost://9c…/3f…?m=12&o=4#k3y…' -o notes.txt
 */
export async function downloadCommand(io: CommandIo, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { ...COMMON_OPTIONS, out: { type: 'string', short: 'o' } });
  if (positionals.length !== 1) throw new UsageError('download needs exactly one HANDLE argument (dhost://…#… or dhost://…/…?m=…&o=…#…)');
  if (!values.out) throw new UsageError('download needs -o PATH');
  const settings = resolveSettings(values, io.env);
  const connection = await connect(settings);
  const peers = chainPeerSource({ publicClient: connection.publicClient, registry: connection.deployment.contracts.PeerRegistry });
  const bar = progressBar({ stream: io.stderr, label: 'download' });
  const outPath = path.resolve(values.out);
  const market = connection.deployment.contracts.Marketplace;
  const link = parseLink(positionals[0]);
  const access = await accessForLink(
    { account: await existingAccount(settings), publicClient: connection.publicClient },
    { chainId: connection.chainId, market, link },
  );
  const { bytes, manifest } = await downloadToFile(
    {
      peers,
      access,
      marketplace: { publicClient: connection.publicClient, market, registry: connection.deployment.contracts.PeerRegistry },
    },
    {
      handle: positionals[0],
      outPath,
      publicEndpointsOnly: publicEndpointsOnly(connection.chainId, io.env),
      signal: io.signal,
      onProgress: bar.update,
    },
  );
  bar.done();
  if (values.json) io.stdout.write(`${JSON.stringify({ path: outPath, bytes, name: manifest.name })}\n`);
  else io.stdout.write(`${outPath} (${bytes} bytes, ${manifest.name})\n`);
  return 0;
}
