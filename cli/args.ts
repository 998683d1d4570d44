import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors';

/** Options every command that talks to the chain accepts. */
export const COMMON_OPTIONS = {
  rpc: { type: 'string' },
  deployment: { type: 'string' },
  home: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies ParseArgsConfig['options'];

/**
 * `node:util` parseArgs, strict, with its errors turned into `UsageError`.
 *
 * @example
 * const { values, positionals } = parseCommandArgs(args, { ...COMMON_OPTIONS, out: { type: 'string', short: 'o' } });
 */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}
