import path from 'node:path';
import '@nomicfoundation/hardhat-toolbox';
import { TASK_COMPILE, TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from 'hardhat/builtin-tasks/task-names';
import { subtask, task } from 'hardhat/config';
import type { HardhatUserConfig } from 'hardhat/types';
import { exportAbis } from './scripts/hardhat/export-abis';

const SOLC_VERSION = '0.8.30';

// Hardhat cannot download compilers on this network: compile with the solc-js build that the
// `solc` npm package ships (pinned to SOLC_VERSION in package.json).
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper();
  const compilerPath = require.resolve('solc/soljson.js');
  return { compilerPath, isSolcJs: true, version: args.solcVersion, longVersion: args.solcVersion };
});

// After every compile, write the ABIs as typed TypeScript constants for viem (protocol/chain/generated).
task(TASK_COMPILE, async (args, hre, runSuper) => {
  const result = await runSuper(args);
  await exportAbis(hre, path.join(__dirname, 'protocol', 'chain', 'generated'));
  return result;
});

const remote = process.env.DHOST_RPC_URL;
const remoteKey = process.env.DHOST_PRIVATE_KEY;

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: 'cancun' },
  },
  networks: {
    hardhat: {},
    localhost: { url: 'http://127.0.0.1:8545' },
    ...(remote ? { dhost: { url: remote, accounts: remoteKey ? [remoteKey] : 'remote' } } : {}),
  },
  mocha: { timeout: 300_000, spec: ['test/**/*.test.ts'] } as Record<string, unknown>,
  gasReporter: { enabled: process.env.REPORT_GAS === '1', offline: true },
  typechain: { outDir: 'typechain-types', target: 'ethers-v6' },
};

export default config;
