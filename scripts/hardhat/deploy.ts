// Deploys RewardToken, PeerRegistry and Marketplace and writes the deployment file the nodes and clients read.
//
//   npx hardhat run scripts/hardhat/deploy.ts --network dhost   (DHOST_RPC_URL, DHOST_PRIVATE_KEY)
//
// Optional parameters (decimal strings): DHOST_INITIAL_SUPPLY, DHOST_MIN_STAKE (token wei),
// DHOST_HEARTBEAT_TIMEOUT, DHOST_EVICTION_DELAY, DHOST_UNBONDING_DELAY (seconds),
// DHOST_MAX_ENDPOINT_LENGTH (bytes); the marketplace's DHOST_EPOCH_LENGTH, DHOST_CHALLENGE_PPM,
// DHOST_SLASH_PPM, DHOST_MARKER_REWARD_PPM, DHOST_MAX_MISSES, DHOST_MISSING_WINDOW_EPOCHS,
// DHOST_COLLATERAL_EPOCHS, DHOST_MIN_COLLATERAL, DHOST_LAPSE_FREE_SECONDS, DHOST_MIN_FILL_EPOCHS,
// DHOST_MAX_CLAIM_EPOCHS, DHOST_SUBSIDY_PER_GIB_EPOCH, DHOST_SUBSIDY_CAP_PER_PEER. Output: DHOST_DEPLOYMENT, or deployments/<chainId>.json.
// Every run deploys fresh contracts (no Ignition journal): see deploy-dhost.ts.
import path from 'node:path';
import hre from 'hardhat';
import { deploymentPath, writeDeployment } from '../../protocol/chain/deployment';
import { deployDhost, dhostParametersFromEnv } from './deploy-dhost';

async function main(): Promise<void> {
  const params = dhostParametersFromEnv(process.env);
  const { deployment } = await deployDhost(hre, params);
  const file = process.env.DHOST_DEPLOYMENT
    ? path.resolve(process.env.DHOST_DEPLOYMENT)
    : deploymentPath(path.join(hre.config.paths.root, 'deployments'), deployment.chainId);
  await writeDeployment({ file, deployment });
  console.log(`dhost deployed on chain ${deployment.chainId} at block ${deployment.blockNumber} by ${deployment.deployer}`);
  console.log(`  RewardToken   ${deployment.contracts.RewardToken}`);
  console.log(`  PeerRegistry  ${deployment.contracts.PeerRegistry}`);
  console.log(`  Marketplace   ${deployment.contracts.Marketplace}`);
  console.log(`deployment written to ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
