// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPeerRegistryErrors} from "./IPeerRegistryErrors.sol";

/// @notice Every tunable number of the peer registry, fixed at deployment.
/// @dev The deployment defaults and the reasons for them live in `ignition/modules/Dhost.ts`.
struct RegistryConfig {
    /// Smallest stake a peer may be active with (token wei). Positive: staking is what makes a
    /// fake peer cost something.
    uint256 minStake;
    /// Seconds without a heartbeat after which a peer counts as inactive. Positive.
    uint64 heartbeatTimeout;
    /// Seconds without a heartbeat after which anyone may evict the peer. At least `heartbeatTimeout`,
    /// so a peer is never evicted while it still counts as active.
    uint64 evictionDelay;
    /// Seconds between the start of an exit (or an eviction) and the withdrawal of the stake.
    uint64 unbondingDelay;
    /// Longest endpoint URL accepted, in bytes. Positive.
    uint32 maxEndpointLength;
}

/// @title Validation of the registry configuration
library RegistryConfigs {
    /// @notice Longest accepted delay (100 years). Larger values are typos, and keeping them far
    /// below 2^64 lets `timestamp + delay` never overflow a uint64.
    uint64 internal constant MAX_DELAY = 100 * 365 days;

    /// @notice Reverts with `InvalidConfig(field)` naming the first field out of range.
    /// @param config The configuration to check.
    function validate(RegistryConfig memory config) internal pure {
        if (config.minStake == 0) revert IPeerRegistryErrors.InvalidConfig("minStake");
        if (config.heartbeatTimeout == 0 || config.heartbeatTimeout > MAX_DELAY) {
            revert IPeerRegistryErrors.InvalidConfig("heartbeatTimeout");
        }
        if (config.evictionDelay < config.heartbeatTimeout || config.evictionDelay > MAX_DELAY) {
            revert IPeerRegistryErrors.InvalidConfig("evictionDelay");
        }
        if (config.unbondingDelay > MAX_DELAY) revert IPeerRegistryErrors.InvalidConfig("unbondingDelay");
        if (config.maxEndpointLength == 0) revert IPeerRegistryErrors.InvalidConfig("maxEndpointLength");
    }
}
