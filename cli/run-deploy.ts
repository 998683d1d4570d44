import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Hex } from 'viem';
import { connectChain } from '../protocol/chain/connect';
import { type Deployment, deploymentPath, loadDeployment } from '../protocol/chain/deployment';
import { ChainError } from '../protocol/errors';

/** Deployment parameters passed to the Ignition module (decimal strings, wei or seconds). */
export interface DeployParameters {
  initialSupply?: bigint;
  minStake?: bigint;
  heartbeatTimeout?: number;
  evictionDelay?: number;
  unbondingDelay?: number;
  /** Seconds per epoch (challenges and payment). */
  epochLength?: number;
  /** Per-slot, per-epoch challenge probability in parts per million. */
  challengeProbabilityPpm?: number;
  /** Seconds after a peer's last heartbeat from which anyone may free its slots (`freeLapsedSlot`). */
  lapseFreeSeconds?: number;
}

/**
 * Deploys the contracts with the Hardhat Ignition module (`scripts/hardhat/deploy.ts`) to any
 * JSON-RPC endpoint, signing locally with `privateKey`, and returns the deployment file it wrote.
 *
 * @example
 * const deployment = await runDeploy({ root, rpcUrl: 'http://127.0.0.1:8545', privateKey, log: console.error });
 */
export async function runDeploy(params: {
  root: string;
  rpcUrl: string;
  privateKey: Hex;
  deploymentFile?: string;
  parameters?: DeployParameters;
  log: (line: string) => void;
  signal?: AbortSignal;
}): Promise<Deployment> {
  const { chain } = await connectChain({ rpcUrl: params.rpcUrl });
  const file = params.deploymentFile ?? deploymentPath(path.join(params.root, 'deployments'), chain.id);
  const p = params.parameters ?? {};
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DHOST_RPC_URL: params.rpcUrl,
    DHOST_PRIVATE_KEY: params.privateKey,
    DHOST_DEPLOYMENT: file,
    ...(p.initialSupply !== undefined ? { DHOST_INITIAL_SUPPLY: p.initialSupply.toString() } : {}),
    ...(p.minStake !== undefined ? { DHOST_MIN_STAKE: p.minStake.toString() } : {}),
    ...(p.heartbeatTimeout !== undefined ? { DHOST_HEARTBEAT_TIMEOUT: String(p.heartbeatTimeout) } : {}),
    ...(p.evictionDelay !== undefined ? { DHOST_EVICTION_DELAY: String(p.evictionDelay) } : {}),
    ...(p.unbondingDelay !== undefined ? { DHOST_UNBONDING_DELAY: String(p.unbondingDelay) } : {}),
    ...(p.epochLength !== undefined ? { DHOST_EPOCH_LENGTH: String(p.epochLength) } : {}),
    ...(p.challengeProbabilityPpm !== undefined ? { DHOST_CHALLENGE_PPM: String(p.challengeProbabilityPpm) } : {}),
    ...(p.lapseFreeSeconds !== undefined ? { DHOST_LAPSE_FREE_SECONDS: String(p.lapseFreeSeconds) } : {}),
  };
  const hardhatCli = require.resolve('hardhat/internal/cli/cli', { paths: [params.root] });
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [hardhatCli, 'run', path.join('scripts', 'hardhat', 'deploy.ts'), '--network', 'dhost'], {
      cwd: params.root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: params.signal,
    });
    const collect = (chunk: Buffer) => {
      const text = chunk.toString();
      output.push(text);
      for (const line of text.split('\n')) if (line.trim()) params.log(line);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    throw new ChainError(
      'CONTRACT_REVERTED',
      `deployment to ${params.rpcUrl} failed (exit ${code}): ${output.join('').trim().split('\n').slice(-3).join(' ')}`,
      {
        details: { rpcUrl: params.rpcUrl },
      },
    );
  }
  return loadDeployment({ file, chainId: chain.id });
}
