import { getAddress, isAddress } from 'viem';
import { setDelegate } from '../../client';
import { PERMISSION } from '../../protocol/retrieval-token';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { UsageError } from '../errors';
import type { CommandIo } from '../main';
import { resolveSettings } from '../settings';
import { userContext } from '../user-context';

/**
 * `dhost delegate ADDRESS [--read] [--repair] | --none`: lets another account act for all of the
 * user's deals — `--read` issue share links and revoke tokens, `--repair` rebuild and re-place
 * lost columns (`dhost repair` with its own key), never holding a file key; `--none` withdraws
 * both. One transaction.
 *
 * @example
 * dhost delegate 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC --repair
 */
export async function delegateCommand(io: CommandIo, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...COMMON_OPTIONS,
    read: { type: 'boolean', default: false },
    repair: { type: 'boolean', default: false },
    none: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1 || !isAddress(positionals[0], { strict: false }))
    throw new UsageError('delegate needs exactly one ADDRESS (0x + 40 hex digits)');
  if (values.none === (values.read || values.repair)) throw new UsageError('delegate needs --read and/or --repair, or --none');
  const permissions = (values.read ? PERMISSION.read : 0) | (values.repair ? PERMISSION.repair : 0);
  const delegate = getAddress(positionals[0].toLowerCase());
  const settings = resolveSettings(values, io.env);
  const ctx = await userContext(settings);
  await setDelegate(
    { publicClient: ctx.connection.publicClient, walletClient: ctx.marketplace.walletClient, market: ctx.connection.deployment.contracts.Marketplace },
    { delegate, permissions, signal: io.signal },
  );
  const what = [values.read && 'read', values.repair && 'repair'].filter(Boolean).join(' and ') || 'nothing';
  if (values.json) io.stdout.write(`${JSON.stringify({ owner: ctx.account.address, delegate, permissions })}\n`);
  else io.stdout.write(`${delegate} may now ${what === 'nothing' ? 'do nothing' : what} for the deals of ${ctx.account.address}\n`);
  return 0;
}
