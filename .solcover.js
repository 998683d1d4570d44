/*
 * solidity-coverage (`npm run coverage` = `hardhat coverage`) for contracts/.
 *
 * - skipFiles: contracts/test/** are test harnesses and a hostile token, not product code.
 * - Only test/contracts runs under coverage. The other suites (cli, integration, node) start their
 *   chains in child processes (`dhost devnet`, `hardhat run scripts/hardhat/deploy.ts`), which coverage
 *   cannot observe, and those children recompile artifacts/ without instrumentation — after which every
 *   contract test deploys uninstrumented bytecode and the report reads 0 %. `--testfiles` still wins.
 */
const path = require('node:path');

module.exports = {
  skipFiles: ['test/'],
  onCompileComplete: async () => {
    // The running Hardhat environment (this file is loaded inside `hardhat coverage`).
    const hre = require('hardhat');
    hre.config.paths.tests = path.join(hre.config.paths.root, 'test', 'contracts');
  },
};
