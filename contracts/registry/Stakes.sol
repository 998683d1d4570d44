// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IPeerRegistry} from "./IPeerRegistry.sol";
import {Peers} from "./Peers.sol";

/// @title Stakes: deposit, collateral lock, slash
/// @notice Holds the peers' stakes in one token. The operator adds stake; the market (holder of
/// `MARKET_ROLE`) locks part of it as collateral, unlocks it, or slashes it.
/// @dev Invariant: `lockedStake <= stake` for every record, and the registry's token balance is at
/// least the sum of all stakes.
abstract contract Stakes is Peers, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The role of the marketplace contract: may lock, unlock and slash stake.
    bytes32 public constant MARKET_ROLE = keccak256("MARKET_ROLE");

    IERC20 private immutable _token;

    /// @param stakeToken The token stakes are held in; reverts with `ZeroAddress("token")` when unset.
    constructor(IERC20 stakeToken) {
        if (address(stakeToken) == address(0)) revert ZeroAddress("token");
        _token = stakeToken;
    }

    /// @inheritdoc IPeerRegistry
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @inheritdoc IPeerRegistry
    function addStake(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        PeerRecord storage record = _livePeer(msg.sender);
        uint256 stake = record.stake + amount;
        _checkStake(stake);
        // stake <= MAX_STAKE, checked just above.
        record.stake = uint128(stake);
        emit StakeAdded(msg.sender, amount, stake);
        _pullStake(amount);
    }

    /// @inheritdoc IPeerRegistry
    function lockStake(address peer, uint256 amount) external onlyRole(MARKET_ROLE) {
        if (amount == 0) revert ZeroAmount();
        PeerRecord storage record = _livePeer(peer);
        uint256 locked = record.lockedStake;
        // The invariant lockedStake <= stake makes this subtraction safe.
        uint256 available = record.stake - locked;
        if (amount > available) revert InsufficientUnlockedStake(peer, available, amount);
        locked += amount;
        // locked <= stake < 2^128.
        record.lockedStake = uint128(locked);
        emit StakeLocked(peer, amount, locked);
    }

    /// @inheritdoc IPeerRegistry
    function unlockStake(address peer, uint256 amount) external onlyRole(MARKET_ROLE) {
        if (amount == 0) revert ZeroAmount();
        PeerRecord storage record = _registeredPeer(peer);
        uint256 locked = record.lockedStake;
        if (amount > locked) revert InsufficientLockedStake(peer, locked, amount);
        // Checked just above: amount <= locked.
        unchecked {
            locked -= amount;
        }
        // locked decreased: still below 2^128.
        record.lockedStake = uint128(locked);
        emit StakeUnlocked(peer, amount, locked);
    }

    /// @inheritdoc IPeerRegistry
    function slashStake(address peer, uint256 amount, address recipient) external onlyRole(MARKET_ROLE) nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (recipient == address(0)) revert ZeroAddress("recipient");
        PeerRecord storage record = _registeredPeer(peer);
        uint256 locked = record.lockedStake;
        if (amount > locked) revert InsufficientLockedStake(peer, locked, amount);
        // amount <= lockedStake <= stake < 2^128, so neither subtraction can underflow and both fit.
        unchecked {
            record.lockedStake = uint128(locked - amount);
            record.stake -= uint128(amount);
        }
        emit StakeSlashed(peer, amount, recipient);
        _token.safeTransfer(recipient, amount);
    }

    /// @dev Pulls `amount` stake tokens from the caller (reverts without an allowance).
    function _pullStake(uint256 amount) internal {
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @dev Pays `amount` stake tokens out to `to`.
    function _payStake(address to, uint256 amount) internal {
        _token.safeTransfer(to, amount);
    }
}
