// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Events of the peer registry
/// @notice Every event `PeerRegistry` emits, each right after the state change it reports and
/// indexed by the peer's operator address, so dashboards and nodes can follow a peer's history.
/// `penalizeStake` emits none (it runs inside every `markProofMissing`, which has a gas goal): the
/// market's `ProofMissed(slot, epoch, marker, slashed, markerReward)` reports each penalty — the peer's
/// stake fell by `slashed`, the marker's credit rose by `markerReward`, `slashed - markerReward` was forfeited.
interface IPeerRegistryEvents {
    /// @notice A new peer registered.
    /// @param peer The operator address.
    /// @param endpoint Public base URL of the node's HTTP API.
    /// @param capacity Bytes offered.
    /// @param pricePerGiBEpoch Token wei asked per GiB per epoch.
    /// @param stake The stake deposited.
    event PeerRegistered(address indexed peer, string endpoint, uint64 capacity, uint256 pricePerGiBEpoch, uint256 stake);

    /// @notice A peer changed its offer.
    /// @param peer The operator address.
    /// @param endpoint Public base URL of the node's HTTP API.
    /// @param capacity Bytes offered.
    /// @param pricePerGiBEpoch Token wei asked per GiB per epoch.
    event PeerUpdated(address indexed peer, string endpoint, uint64 capacity, uint256 pricePerGiBEpoch);

    /// @notice A peer deposited more stake.
    /// @param peer The operator address.
    /// @param amount The amount deposited.
    /// @param stake The peer's stake after the deposit.
    event StakeAdded(address indexed peer, uint256 amount, uint256 stake);

    /// @notice A peer signalled that it is alive.
    /// @param peer The operator address.
    /// @param at The block timestamp recorded as its last heartbeat.
    event HeartbeatReceived(address indexed peer, uint64 at);

    /// @notice A peer began its exit: it is no longer active and may withdraw after unbonding.
    /// @param peer The operator address.
    /// @param withdrawableAt The first timestamp at which the stake can be withdrawn.
    event ExitBegun(address indexed peer, uint64 withdrawableAt);

    /// @notice A peer whose heartbeat lapsed was evicted: its exit began on someone else's call.
    /// @param peer The operator address.
    /// @param by The caller that evicted it.
    /// @param withdrawableAt The first timestamp at which the operator can withdraw its stake.
    event PeerEvicted(address indexed peer, address indexed by, uint64 withdrawableAt);

    /// @notice An exited peer withdrew its stake; its record is gone.
    /// @param peer The operator address.
    /// @param amount The stake paid out.
    event StakeWithdrawn(address indexed peer, uint256 amount);

    /// @notice The market locked part of a peer's stake as collateral.
    /// @param peer The operator address.
    /// @param amount The amount locked by this call.
    /// @param lockedStake The peer's locked stake after the call.
    event StakeLocked(address indexed peer, uint256 amount, uint256 lockedStake);

    /// @notice The market released part of a peer's locked stake.
    /// @param peer The operator address.
    /// @param amount The amount unlocked by this call.
    /// @param lockedStake The peer's locked stake after the call.
    event StakeUnlocked(address indexed peer, uint256 amount, uint256 lockedStake);

    /// @notice The market slashed part of a peer's locked stake.
    /// @param peer The operator address.
    /// @param amount The amount taken from the stake.
    /// @param recipient Who received the slashed tokens.
    event StakeSlashed(address indexed peer, uint256 amount, address indexed recipient);

    /// @notice An account withdrew its whole credit.
    /// @param account The account paid.
    /// @param amount Token wei paid.
    event CreditWithdrawn(address indexed account, uint256 amount);
}
