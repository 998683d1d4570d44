// The chaos run's chain (`hardhat --config scripts/chaos/chain.hardhat.config.js node`): Hardhat's
// defaults, as the project's own `hardhat` network, except that blocks may share a timestamp. By
// default every automined block takes its own second, so a chain busy with heartbeats, deals, fills
// and proofs (several transactions a second) runs minutes ahead of the wall clock, and heartbeat
// timeouts and lapse delays measured in chain time would fire long before the peers' wall-clock
// schedules expect. With shared timestamps the chain's clock follows the wall clock.
// Forty development accounts (Hardhat's mnemonic; the project's default is twenty): twelve operators,
// six uploaders and three repairers each send their own transactions. No per-call log: decoding and
// printing every call costs the single-threaded chain more CPU than the calls themselves.
module.exports = {
  networks: { hardhat: { allowBlocksWithSameTimestamp: true, accounts: { count: 40 }, loggingEnabled: false } },
};
