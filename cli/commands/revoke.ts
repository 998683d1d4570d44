import { parseLink, revokeTokens } from '../../client';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { UsageError } from '../errors';
import type { CommandIo } from '../main';
import { resolveSettings } from '../settings';
import { userContext } from '../user-context';

/**
 * `dhost revoke LINK`: revokes the share link's token on chain; `dhost revoke HANDLE --all`:
 * revokes every token of the file's deal issued until now. Owner or read delegate only. Nodes
 * refuse revoked tokens (403 `TOKEN_REVOKED`) once their few-second chain cache expires.
 *
 * @example
 * dhost revoke 'dhost://3f…?t=AQ…#k3y…'
 * dhost revoke 'dhost://3f…#k3y…' --all
 */
export async function revokeCommand(io: CommandIo, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { ...COMMON_OPTIONS, all: { type: 'boolean', default: false } });
  if (positionals.length !== 1) throw new UsageError('revoke needs exactly one LINK (or HANDLE with --all)');
  const link = parseLink(positionals[0]);
  if (!values.all && !link.token)
    throw new UsageError('this is a handle, not a share link: pass a link made by dhost share, or --all to revoke every token of the file');
  const settings = resolveSettings(values, io.env);
  const ctx = await userContext(settings);
  const deps = {
    publicClient: ctx.connection.publicClient,
    walletClient: ctx.marketplace.walletClient,
    market: ctx.connection.deployment.contracts.Marketplace,
  };
  const dealId = link.location.dealId;
  await revokeTokens(deps, values.all ? { dealId, all: true, signal: io.signal } : { dealId, nonce: link.token?.nonce, signal: io.signal });
  if (values.json) io.stdout.write(`${JSON.stringify({ dealId, revoked: values.all ? 'all' : link.token?.nonce })}\n`);
  else io.stdout.write(values.all ? `revoked every token of deal ${dealId} issued until now\n` : `revoked the link's token ${link.token?.nonce}\n`);
  return 0;
}
