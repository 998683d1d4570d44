// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A peer as the registry records it. `operator == address(0)` means "no record".
struct Peer {
    /// The operator's address: the node's signing key and the stake's owner.
    address operator;
    /// Public base URL of the node's HTTP API (untrusted: clients check it before connecting).
    string endpoint;
    /// Bytes offered.
    uint64 capacity;
    /// Token wei asked per GiB per epoch.
    uint256 pricePerGiBEpoch;
    /// Token wei deposited and not yet slashed or withdrawn.
    uint256 stake;
    /// Part of `stake` the market holds as collateral; never more than `stake`.
    uint256 lockedStake;
    /// Block timestamp of the registration.
    uint64 registeredAt;
    /// Block timestamp of the last heartbeat (or of the registration).
    uint64 lastHeartbeat;
    /// Block timestamp at which the exit began (by the operator or by eviction); 0 while not exiting.
    uint64 exitRequestedAt;
}
