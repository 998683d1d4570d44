// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Credits} from "./Credits.sol";
import {IPeerRegistry} from "./IPeerRegistry.sol";
import {Peers} from "./Peers.sol";
import {RegistryConfig} from "./RegistryConfig.sol";
import {Stakes} from "./Stakes.sol";

/// @title dhost peer registry
/// @notice Where storage peers register, keep themselves alive and leave. See {IPeerRegistry}.
/// @dev Composed of {Peers} (records, list, activity, configuration), {Stakes} (deposit, lock,
/// slash) and {Credits} (penalties, marker credits, forfeited stake); this contract adds the peer's
/// life cycle.
contract PeerRegistry is Credits {
    /// @notice Deploys the registry.
    /// @dev Reverts with `InvalidConfig(field)` when a configuration value is out of range and with
    /// `ZeroAddress("token")` or `ZeroAddress("admin")` when an address is unset.
    /// @param stakeToken The token stakes are held in (the reward token).
    /// @param registryConfig The configuration, fixed for the registry's lifetime.
    /// @param admin Receives `DEFAULT_ADMIN_ROLE`: grants `MARKET_ROLE` to the marketplace.
    constructor(
        IERC20 stakeToken,
        RegistryConfig memory registryConfig,
        address admin
    ) Peers(registryConfig) Stakes(stakeToken) {
        if (admin == address(0)) revert ZeroAddress("admin");
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IPeerRegistry
    function register(
        string calldata endpoint,
        uint64 capacity,
        uint256 pricePerGiBEpoch,
        uint256 stake
    ) external nonReentrant {
        if (_isRegistered(msg.sender)) revert PeerAlreadyRegistered(msg.sender);
        _checkOffer(endpoint, capacity);
        if (stake < _minStake) revert StakeBelowMinimum(stake, _minStake);
        _checkStake(stake);
        _addPeer(endpoint, capacity, pricePerGiBEpoch, stake);
        emit PeerRegistered(msg.sender, endpoint, capacity, pricePerGiBEpoch, stake);
        _pullStake(stake);
    }

    /// @inheritdoc IPeerRegistry
    function updatePeer(string calldata endpoint, uint64 capacity, uint256 pricePerGiBEpoch) external {
        PeerRecord storage record = _livePeer(msg.sender);
        _checkOffer(endpoint, capacity);
        record.endpoint = endpoint;
        record.capacity = capacity;
        record.pricePerGiBEpoch = pricePerGiBEpoch;
        emit PeerUpdated(msg.sender, endpoint, capacity, pricePerGiBEpoch);
    }

    /// @inheritdoc IPeerRegistry
    function heartbeat() external {
        // Exiting peers too: until they withdraw they serve and prove the slots they hold, and a lapsed
        // heartbeat would let anyone free those slots and forfeit their collateral
        // (Marketplace.freeLapsedSlot). Exiting stays final: {isActive} is false whatever the heartbeat.
        PeerRecord storage record = _registeredPeer(msg.sender);
        uint64 now_ = _now();
        record.lastHeartbeat = now_;
        emit HeartbeatReceived(msg.sender, now_);
    }

    /// @inheritdoc IPeerRegistry
    function beginExit() external {
        PeerRecord storage record = _livePeer(msg.sender);
        uint64 withdrawableAt = _startExit(record);
        emit ExitBegun(msg.sender, withdrawableAt);
    }

    /// @inheritdoc IPeerRegistry
    function withdrawStake() external nonReentrant {
        PeerRecord storage record = _registeredPeer(msg.sender);
        uint64 exitRequestedAt = record.exitRequestedAt;
        if (exitRequestedAt == 0) revert PeerNotExiting(msg.sender);
        // The configuration bounds both terms far below 2^64 (see RegistryConfigs.MAX_DELAY).
        uint64 withdrawableAt = exitRequestedAt + _unbondingDelay;
        if (_now() < withdrawableAt) revert UnbondingNotOver(msg.sender, withdrawableAt);
        if (record.lockedStake != 0) revert StakeIsLocked(msg.sender, record.lockedStake);
        uint256 amount = record.stake;
        _removePeer(msg.sender);
        emit StakeWithdrawn(msg.sender, amount);
        if (amount != 0) _payStake(msg.sender, amount);
    }

    /// @inheritdoc IPeerRegistry
    function evict(address peer) external {
        PeerRecord storage record = _livePeer(peer);
        uint64 evictableAt = record.lastHeartbeat + _evictionDelay + 1;
        if (_now() < evictableAt) revert PeerStillAlive(peer, evictableAt);
        uint64 withdrawableAt = _startExit(record);
        emit PeerEvicted(peer, msg.sender, withdrawableAt);
    }

    /// @dev Marks the exit as begun now and returns when the stake becomes withdrawable.
    function _startExit(PeerRecord storage record) private returns (uint64 withdrawableAt) {
        uint64 now_ = _now();
        record.exitRequestedAt = now_;
        return now_ + _unbondingDelay;
    }
}
