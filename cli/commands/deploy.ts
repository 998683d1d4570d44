import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { UsageError } from '../errors';
import type { CommandIo } from '../main';
import { runDeploy } from '../run-deploy';
import { resolveSettings } from '../settings';
import { parseTokenAmount } from '../sizes';

/**
 * `dhost deploy [--initial-supply TOKENS] [--min-stake TOKENS]`: deploys RewardToken and
 * PeerRegistry to `DHOST_RPC_URL` with `DHOST_PRIVATE_KEY`, mints the initial supply to the
 * deployer and writes `deployments/<chainId>.json`.
 *
 * @example
 * DHOST_RPC_URL=https://rpc.example DHOST_PRIVATE_KEY=0x… dhost deploy --initial-supply 1000000
 */
export async function deployCommand(io: CommandIo, args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...COMMON_OPTIONS,
    'initial-supply': { type: 'string' },
    'min-stake': { type: 'string' },
    'heartbeat-timeout': { type: 'string' },
    'unbonding-delay': { type: 'string' },
  });
  const settings = resolveSettings(values, io.env);
  if (!settings.privateKey) throw new UsageError('deploy needs DHOST_PRIVATE_KEY (the deployer, who receives the initial supply)');
  const seconds = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    if (!/^[0-9]+$/.test(v)) throw new UsageError(`--${name} must be whole seconds`);
    return Number(v);
  };
  const deployment = await runDeploy({
    root: settings.root,
    rpcUrl: settings.rpcUrl,
    privateKey: settings.privateKey,
    deploymentFile: settings.deploymentFile,
    parameters: {
      initialSupply: values['initial-supply'] ? parseTokenAmount(values['initial-supply']) : undefined,
      minStake: values['min-stake'] ? parseTokenAmount(values['min-stake']) : undefined,
      heartbeatTimeout: seconds(values['heartbeat-timeout'], 'heartbeat-timeout'),
      unbondingDelay: seconds(values['unbonding-delay'], 'unbonding-delay'),
    },
    log: (line) => io.stderr.write(`${line}\n`),
    signal: io.signal,
  });
  io.stdout.write(values.json ? `${JSON.stringify(deployment)}\n` : `deployed on chain ${deployment.chainId}: ${JSON.stringify(deployment.contracts)}\n`);
  return 0;
}
