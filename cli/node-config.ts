import fs from 'node:fs';
import path from 'node:path';
import type { Hex } from 'viem';
import { z } from 'zod';
import { UsageError } from './errors';
import { parseSize, parseTokenAmount } from './sizes';

const fitsSize = (v: string) => {
  try {
    parseSize(v);
    return true;
  } catch {
    return false;
  }
};
const fitsTokens = (v: string) => /^\s*[0-9]+(?:\.[0-9]{1,18})?\s*$/.test(v);
const nonEmpty = z.string().trim().min(1, 'must be a non-empty string');

/**
 * The node's config file (JSON), as `dhost node --config FILE` reads it. Unknown keys are refused.
 * Secrets are never inline: `privateKeyFile` and `apiKeyFile` name files holding them, readable by
 * their owner only. Relative paths are resolved against the config file's folder.
 *
 * @example
 * nodeConfigSchema.parse({ rpcUrl: 'https://sepolia.example', dataDir: '/var/lib/dhost', port: 7001, capacity: '100GiB' });
 */
export const nodeConfigSchema = z.strictObject({
  rpcUrl: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  deployment: nonEmpty.optional(),
  port: z.int('must be a whole number').min(0, 'must be 0-65535').max(65535, 'must be 0-65535').optional(),
  host: nonEmpty.optional(),
  dataDir: nonEmpty.optional(),
  capacity: z.string().refine(fitsSize, 'must be a size such as 512MiB, 10GiB or 1TB').optional(),
  maxShard: z.string().refine(fitsSize, 'must be a size such as 4MiB').optional(),
  stake: z.string().refine(fitsTokens, 'must be a decimal token amount such as "1000" or "0.5"').optional(),
  endpoint: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  pricePerGiBEpoch: z.string().refine(fitsTokens, 'must be a decimal token amount such as "0.001"').optional(),
  privateKeyFile: nonEmpty.optional(),
  apiKeyFile: nonEmpty.optional(),
});
/** A parsed node config file. */
export type NodeConfig = z.infer<typeof nodeConfigSchema>;

/** What `dhost node` runs with once flags, environment and config file are merged. */
export interface NodeSettings {
  rpcUrl?: string;
  deployment?: string;
  port?: number;
  host?: string;
  dataDir?: string;
  capacityBytes: number;
  maxShardBytes?: number;
  stake?: bigint;
  endpoint?: string;
  pricePerGiBEpoch?: bigint;
  privateKey?: Hex;
  apiKey?: string;
}

/**
 * Reads and validates a node config file. Relative paths in it (`deployment`, `dataDir`, the key
 * files) become absolute, resolved against the file's folder. Throws `UsageError` naming the file
 * and the offending key.
 *
 * @example
 * const config = readNodeConfig('/etc/dhost/node.json');
 */
export function readNodeConfig(file: string): NodeConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the config file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the config file ${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = nodeConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === 'unrecognized_keys') {
      throw new UsageError(`unknown key "${issue.keys[0]}" in the config file ${file} (known: ${Object.keys(nodeConfigSchema.shape).join(', ')})`);
    }
    if (issue.path.length === 0) throw new UsageError(`the config file ${file} must hold a JSON object`);
    throw new UsageError(`"${issue.path.join('.')}" in the config file ${file} ${issue.message}`);
  }
  const dir = path.dirname(path.resolve(file));
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(dir, p));
  return {
    ...parsed.data,
    deployment: abs(parsed.data.deployment),
    dataDir: abs(parsed.data.dataDir),
    privateKeyFile: abs(parsed.data.privateKeyFile),
    apiKeyFile: abs(parsed.data.apiKeyFile),
  };
}

/**
 * Reads a secret from a file that only its owner may read (as ssh does with private keys): a file
 * whose mode grants anything to group or others is refused. The content is trimmed.
 *
 * @example
 * const key = readSecretFile('/etc/dhost/operator.key', 'privateKeyFile');
 */
export function readSecretFile(file: string, key: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw new UsageError(`cannot read ${key} ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!stat.isFile()) throw new UsageError(`${key} ${file} is not a file`);
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(3, '0');
    throw new UsageError(`${key} ${file} is readable by others (mode ${mode}): the secret is refused; run \`chmod 600 ${file}\``);
  }
  const secret = fs.readFileSync(file, 'utf8').trim();
  if (!secret) throw new UsageError(`${key} ${file} is empty`);
  return secret;
}

/**
 * Merges the node's settings: flags over the config file; for secrets and the RPC URL, the
 * environment (`DHOST_PRIVATE_KEY`, `DHOST_API_KEY`, `DHOST_RPC_URL`, `DHOST_DEPLOYMENT`) over the
 * config file as well. Key files are read (and their mode checked) only when the environment does
 * not already hold the secret.
 *
 * @example
 * const settings = mergeNodeSettings({ port: '7001' }, process.env, readNodeConfig('node.json'));
 */
export function mergeNodeSettings(
  flags: {
    rpc?: string;
    deployment?: string;
    port?: string;
    host?: string;
    data?: string;
    capacity?: string;
    'max-shard'?: string;
    stake?: string;
    price?: string;
    endpoint?: string;
  },
  env: NodeJS.ProcessEnv,
  config: NodeConfig = {},
): NodeSettings {
  let port: number | undefined = config.port;
  if (flags.port !== undefined) {
    if (!/^[0-9]{1,5}$/.test(flags.port) || Number(flags.port) > 65535) throw new UsageError('--port must be 0-65535');
    port = Number(flags.port);
  }
  let privateKey: Hex | undefined;
  const envKey = env.DHOST_PRIVATE_KEY?.trim();
  if (envKey) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(envKey)) throw new UsageError('DHOST_PRIVATE_KEY must be 0x followed by 64 hex digits');
    privateKey = envKey as Hex;
  } else if (config.privateKeyFile) {
    const key = readSecretFile(config.privateKeyFile, 'privateKeyFile');
    const hex = key.startsWith('0x') ? key : `0x${key}`;
    if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new UsageError(`privateKeyFile ${config.privateKeyFile} must hold 64 hex digits (optionally after 0x)`);
    privateKey = hex as Hex;
  }
  const apiKey = env.DHOST_API_KEY || (config.apiKeyFile ? readSecretFile(config.apiKeyFile, 'apiKeyFile') : undefined);
  const capacity = flags.capacity ?? config.capacity;
  const maxShard = flags['max-shard'] ?? config.maxShard;
  const stake = flags.stake ?? config.stake;
  const price = flags.price ?? config.pricePerGiBEpoch;
  return {
    rpcUrl: flags.rpc ?? (env.DHOST_RPC_URL || undefined) ?? config.rpcUrl,
    deployment: flags.deployment ?? (env.DHOST_DEPLOYMENT || undefined) ?? config.deployment,
    port,
    host: flags.host ?? config.host,
    dataDir: flags.data ? path.resolve(flags.data) : config.dataDir,
    capacityBytes: parseSize(capacity ?? '10GiB'),
    maxShardBytes: maxShard ? parseSize(maxShard) : undefined,
    stake: stake ? parseTokenAmount(stake) : undefined,
    endpoint: flags.endpoint ?? config.endpoint,
    pricePerGiBEpoch: price ? parseTokenAmount(price) : undefined,
    privateKey,
    apiKey: apiKey || undefined,
  };
}
