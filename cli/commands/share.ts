import { getAddress, isAddress } from 'viem';
import { createShareLink } from '../../client';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { parseDuration } from '../duration';
import { UsageError } from '../errors';
import type { CommandIo } from '../main';
import { resolveSettings } from '../settings';
import { userContext } from '../user-context';

/**
 * `dhost share HANDLE [--expires 1d] [--to 0x…] [--columns 0,1]`: prints a share link — the
 * handle with a read token signed by the owner (or a read delegate) in its query and the file key
 * in its fragment, which never reaches a server. With `--to`, only that account can use it (its
 * key co-signs every read). Revoke with `dhost revoke LINK`.
 *
 * @example
 * dhost share 'dhost://3f…#k3y…' --expires 1d
 * dhost share 'dhost://3f…#k3y…' --expires 2h --to 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --json
 */
export async function shareCommand(io: CommandIo, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...COMMON_OPTIONS,
    expires: { type: 'string', default: '1d' },
    to: { type: 'string' },
    columns: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('share needs exactly one HANDLE argument (dhost://…#…)');
  const expiresInSeconds = parseDuration(values.expires);
  if (values.to !== undefined && !isAddress(values.to, { strict: false }))
    throw new UsageError(`--to must be an address (0x + 40 hex digits), got "${values.to}"`);
  const columns = values.columns?.split(',').map((c) => {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(c.trim())) throw new UsageError(`--columns is a comma-separated list of column numbers, got "${values.columns}"`);
    return Number(c);
  });
  const settings = resolveSettings(values, io.env);
  const ctx = await userContext(settings);
  const { link, token } = await createShareLink(
    { account: ctx.account, publicClient: ctx.connection.publicClient },
    {
      chainId: ctx.connection.chainId,
      market: ctx.connection.deployment.contracts.Marketplace,
      handle: positionals[0],
      expiresInSeconds,
      grantee: values.to === undefined ? undefined : getAddress(values.to.toLowerCase()),
      columns,
    },
  );
  const expiresAt = new Date(Number(token.expiresAt) * 1000).toISOString();
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ link, dealId: token.dealId, expiresAt, grantee: token.grantee, nonce: token.nonce })}\n`);
  } else {
    io.stderr.write(
      `share link valid until ${expiresAt}${values.to ? ` for ${token.grantee} only` : ' for whoever holds it'}; revoke with: dhost revoke '<link>'\n`,
    );
    io.stdout.write(`${link}\n`);
  }
  return 0;
}
