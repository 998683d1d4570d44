import fs from 'node:fs/promises';
import path from 'node:path';
import { type Address, getAddress } from 'viem';
import { z } from 'zod';
import { ChainError } from '../errors';

/** Contract names a deployment maps to addresses. */
export const DEPLOYED_CONTRACTS = ['RewardToken', 'PeerRegistry', 'Marketplace'] as const;
/** A deployed contract's name. */
export type DeployedContract = (typeof DEPLOYED_CONTRACTS)[number];

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/)
  .transform((a) => getAddress(a.toLowerCase()));

/**
 * `deployments/<chainId>.json`, as `dhost deploy` writes it.
 *
 * @example
 * deploymentSchema.parse({ chainId: 31337, blockNumber: 1, contracts: { RewardToken: '0x…', PeerRegistry: '0x…', Marketplace: '0x…' } });
 */
export const deploymentSchema = z.object({
  chainId: z.number().int().positive(),
  blockNumber: z.number().int().nonnegative(),
  contracts: z.object({ RewardToken: address, PeerRegistry: address, Marketplace: address }).catchall(address),
  deployer: address.optional(),
  deployedAt: z.string().optional(),
});
/** A parsed deployment. */
export type Deployment = z.infer<typeof deploymentSchema> & { contracts: Record<DeployedContract, Address> };

/**
 * The default place of a chain's deployment file under a deployments folder.
 *
 * @example
 * deploymentPath('/srv/dhost/deployments', 31337); // '/srv/dhost/deployments/31337.json'
 */
export function deploymentPath(dir: string, chainId: number): string {
  return path.join(dir, `${chainId}.json`);
}

/**
 * Reads and validates a deployment file. When `chainId` is given, refuses a file made for
 * another chain. Throws `ChainError` (`DEPLOYMENT_MISSING`, `DEPLOYMENT_MALFORMED`, `CHAIN_MISMATCH`).
 *
 * @example
 * const deployment = await loadDeployment({ file: 'deployments/31337.json', chainId: 31337 });
 */
export async function loadDeployment(params: { file: string; chainId?: number }): Promise<Deployment> {
  let text: string;
  try {
    text = await fs.readFile(params.file, 'utf8');
  } catch (cause) {
    throw new ChainError(
      'DEPLOYMENT_MISSING',
      `no deployment file at ${params.file}: run \`dhost deploy\` (or \`npm start\` for the devnet) first, or pass --deployment`,
      {
        details: { file: params.file },
        cause,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ChainError('DEPLOYMENT_MALFORMED', `deployment file ${params.file} is not JSON`, { details: { file: params.file }, cause });
  }
  const parsed = deploymentSchema.safeParse(json);
  if (!parsed.success) {
    throw new ChainError(
      'DEPLOYMENT_MALFORMED',
      `deployment file ${params.file} is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      {
        details: { file: params.file },
      },
    );
  }
  if (params.chainId !== undefined && parsed.data.chainId !== params.chainId) {
    throw new ChainError(
      'CHAIN_MISMATCH',
      `deployment file ${params.file} is for chain ${parsed.data.chainId}, but the RPC endpoint serves chain ${params.chainId}`,
      {
        details: { file: params.file, fileChainId: parsed.data.chainId, rpcChainId: params.chainId },
      },
    );
  }
  return parsed.data as Deployment;
}

/**
 * Writes a deployment file atomically (temporary file, then rename).
 *
 * @example
 * await writeDeployment({ file: 'deployments/31337.json', deployment });
 */
export async function writeDeployment(params: { file: string; deployment: Deployment }): Promise<void> {
  await fs.mkdir(path.dirname(params.file), { recursive: true });
  const tmp = `${params.file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify(params.deployment, null, 2)}\n`);
  await fs.rename(tmp, params.file);
}
