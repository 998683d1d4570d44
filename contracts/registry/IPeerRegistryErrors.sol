// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Errors of the peer registry
/// @notice Every custom error `PeerRegistry` reverts with, declared once. Role checks revert with
/// OpenZeppelin's `AccessControlUnauthorizedAccount(account, neededRole)` instead.
interface IPeerRegistryErrors {
    /// @notice A configuration value is out of range (constructor).
    /// @param field The name of the offending `RegistryConfig` field.
    error InvalidConfig(string field);

    /// @notice An address that must be set is the zero address.
    /// @param field What the address is for: "token", "admin", "recipient" or "rewardee".
    error ZeroAddress(string field);

    /// @notice A token amount that must be positive is zero.
    error ZeroAmount();

    /// @notice The caller already has a record (possibly an exiting one, until it withdraws).
    /// @param peer The operator address.
    error PeerAlreadyRegistered(address peer);

    /// @notice The address has no record in the registry.
    /// @param peer The operator address.
    error PeerNotRegistered(address peer);

    /// @notice The peer has begun its exit (or was evicted) and may no longer change its record.
    /// @param peer The operator address.
    error PeerIsExiting(address peer);

    /// @notice The peer has not begun its exit, so its stake cannot be withdrawn.
    /// @param peer The operator address.
    error PeerNotExiting(address peer);

    /// @notice The stake offered at registration is below the configured minimum.
    /// @param stake The offered stake.
    /// @param minStake The configured minimum stake.
    error StakeBelowMinimum(uint256 stake, uint256 minStake);

    /// @notice A peer's stake would pass the largest stake the registry stores.
    /// @param stake The stake the peer would hold.
    /// @param maxStake The largest stake, 2^128 - 1.
    error StakeAboveMaximum(uint256 stake, uint256 maxStake);

    /// @notice The endpoint URL is empty or longer than allowed.
    /// @param length The endpoint's length in bytes.
    /// @param maxLength The configured maximum length in bytes.
    error EndpointInvalid(uint256 length, uint256 maxLength);

    /// @notice The offered capacity is zero.
    error CapacityZero();

    /// @notice The unbonding delay after the exit has not passed yet.
    /// @param peer The operator address.
    /// @param withdrawableAt The first timestamp at which the stake can be withdrawn.
    error UnbondingNotOver(address peer, uint64 withdrawableAt);

    /// @notice Part of the stake is locked as collateral by the market, so it cannot be withdrawn.
    /// @param peer The operator address.
    /// @param lockedStake The stake currently locked.
    error StakeIsLocked(address peer, uint256 lockedStake);

    /// @notice The market tries to lock more than the peer's unlocked stake.
    /// @param peer The operator address.
    /// @param available The stake not yet locked.
    /// @param needed The amount the market tried to lock.
    error InsufficientUnlockedStake(address peer, uint256 available, uint256 needed);

    /// @notice The market tries to unlock, slash or penalize more than the peer's locked stake.
    /// @param peer The operator address.
    /// @param locked The stake currently locked.
    /// @param needed The amount the market tried to unlock, slash or penalize.
    error InsufficientLockedStake(address peer, uint256 locked, uint256 needed);

    /// @notice The market tries to credit a rewardee more than the penalty it takes.
    /// @param reward The reward asked for.
    /// @param amount The penalty taken from the locked stake.
    error RewardExceedsAmount(uint256 reward, uint256 amount);

    /// @notice The caller has no credit to withdraw.
    /// @param account The caller.
    error NothingToWithdraw(address account);

    /// @notice The peer's last heartbeat is too recent for it to be evicted.
    /// @param peer The operator address.
    /// @param evictableAt The first timestamp at which the peer can be evicted.
    error PeerStillAlive(address peer, uint64 evictableAt);
}
