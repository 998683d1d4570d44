import os from 'node:os';
import path from 'node:path';
import type { Chain, Hex, PublicClient, Transport } from 'viem';
import { connectChain } from '../protocol/chain/connect';
import { type Deployment, deploymentPath, loadDeployment } from '../protocol/chain/deployment';
import { defaults } from '../protocol/config';
import { ChainError } from '../protocol/errors';
import { packageRoot } from '../protocol/package-root';
import { UsageError } from './errors';

/** Settings shared by every command: flags first, then environment, then defaults. */
export interface Settings {
  /** JSON-RPC endpoint (`--rpc`, `DHOST_RPC_URL`, default the devnet's 127.0.0.1:8545). */
  rpcUrl: string;
  /** Operator or user key (`DHOST_PRIVATE_KEY`); when absent, user commands use the keystore's key. */
  privateKey?: Hex;
  /** Deployment file (`--deployment`, `DHOST_DEPLOYMENT`, default `<package>/deployments/<chainId>.json`). */
  deploymentFile?: string;
  /** Local keystore folder (`--home`, `DHOST_HOME`, default `~/.dhost`). */
  home: string;
  /** The dhost package folder. */
  root: string;
}

/**
 * Resolves the shared settings from parsed flags and an environment.
 *
 * @example
 * const settings = resolveSettings({ rpc: undefined }, process.env);
 */
export function resolveSettings(flags: { rpc?: string; deployment?: string; home?: string }, env: NodeJS.ProcessEnv): Settings {
  const privateKey = env.DHOST_PRIVATE_KEY?.trim();
  if (privateKey !== undefined && privateKey !== '' && !/^0x[0-9a-fA-F]{64}$/.test(privateKey)) {
    throw new UsageError('DHOST_PRIVATE_KEY must be 0x followed by 64 hex digits');
  }
  return {
    rpcUrl: flags.rpc ?? env.DHOST_RPC_URL ?? defaults.rpcUrl,
    privateKey: privateKey ? (privateKey as Hex) : undefined,
    deploymentFile: flags.deployment ?? env.DHOST_DEPLOYMENT ?? undefined,
    home: path.resolve(flags.home ?? env.DHOST_HOME ?? path.join(os.homedir(), '.dhost')),
    root: packageRoot(),
  };
}

/** A chain connection with its deployment. */
export interface Connection {
  publicClient: PublicClient<Transport, Chain>;
  chain: Chain;
  chainId: number;
  deployment: Deployment;
  /** The connection's transport, for wallet clients on the same endpoint. */
  transport: Transport;
}

/**
 * Connects to the RPC endpoint and loads the deployment for its chain. Fails with a named error
 * when the endpoint is unreachable, the deployment file is missing or malformed, or it was made for
 * another chain.
 *
 * @example
 * const { publicClient, deployment } = await connect(settings);
 */
export async function connect(settings: Settings): Promise<Connection> {
  const { publicClient, chain, transport } = await connectChain({ rpcUrl: settings.rpcUrl });
  const file = settings.deploymentFile ?? deploymentPath(path.join(settings.root, 'deployments'), chain.id);
  const deployment = await loadDeployment({ file, chainId: chain.id });
  const code = await publicClient.getCode({ address: deployment.contracts.PeerRegistry });
  if (!code || code === '0x') {
    throw new ChainError(
      'DEPLOYMENT_MISSING',
      `no PeerRegistry contract at ${deployment.contracts.PeerRegistry} on chain ${chain.id}: the deployment file ${file} is stale (was the chain restarted?)`,
      {
        details: { file },
      },
    );
  }
  return { publicClient, chain, chainId: chain.id, deployment, transport };
}
