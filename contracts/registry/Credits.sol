// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPeerRegistry} from "./IPeerRegistry.sol";
import {Stakes} from "./Stakes.sol";

/// @title Credits: penalties without transfers, pull payments, forfeited stake
/// @notice A missed proof costs the peer part of its locked stake, but no token moves when it is
/// marked: the marker's share becomes a credit here, withdrawn whenever the marker likes
/// ({withdrawCredit}), and the rest is forfeited — it stays in the registry owned by nobody, as Sia
/// sends missed-proof collateral to the void, so no deal owner profits from a host's failure.
/// @dev Invariant: the registry's token balance equals the sum of all stakes + all credits + the
/// forfeited total.
abstract contract Credits is Stakes {
    // Credit plus one once an account was first credited, 0 before: the word never goes back to zero,
    // so a repeat marker's next credit is a cheap non-zero to non-zero write.
    mapping(address account => uint256 creditPlusOne) private _credits;
    uint256 private _forfeited;

    /// @inheritdoc IPeerRegistry
    function penalizeStake(address peer, uint256 amount, address rewardee, uint256 reward) external onlyRole(MARKET_ROLE) {
        if (amount == 0) revert ZeroAmount();
        if (reward > amount) revert RewardExceedsAmount(reward, amount);
        if (reward != 0 && rewardee == address(0)) revert ZeroAddress("rewardee");
        // No registered-peer check (it would cost a cold read): only a registered peer has stake locked,
        // and `amount <= lockedStake` is checked here.
        PeerRecord storage record = _peerRecord(peer);
        uint256 locked = record.lockedStake;
        if (amount > locked) revert InsufficientLockedStake(peer, locked, amount);
        // amount <= lockedStake <= stake < 2^128 and reward <= amount: no subtraction can underflow,
        // and both stored values fit.
        unchecked {
            record.lockedStake = uint128(locked - amount);
            record.stake -= uint128(amount);
            uint256 forfeited = amount - reward;
            if (forfeited != 0) _forfeited += forfeited;
        }
        if (reward != 0) {
            uint256 stored = _credits[rewardee];
            _credits[rewardee] = (stored == 0 ? 1 : stored) + reward;
        }
        // No event of its own: see {IPeerRegistryEvents} (the market's ProofMissed reports the penalty).
    }

    /// @inheritdoc IPeerRegistry
    function withdrawCredit() external nonReentrant {
        uint256 stored = _credits[msg.sender];
        if (stored <= 1) revert NothingToWithdraw(msg.sender);
        uint256 amount;
        // stored > 1 checked just above.
        unchecked {
            amount = stored - 1;
        }
        _credits[msg.sender] = 1;
        emit CreditWithdrawn(msg.sender, amount);
        _payStake(msg.sender, amount);
    }

    /// @inheritdoc IPeerRegistry
    function creditOf(address account) external view returns (uint256) {
        uint256 stored = _credits[account];
        // stored >= 1 whenever it is non-zero.
        unchecked {
            return stored == 0 ? 0 : stored - 1;
        }
    }

    /// @inheritdoc IPeerRegistry
    function forfeitedStake() external view returns (uint256) {
        return _forfeited;
    }
}
