// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IMarketplace} from "./IMarketplace.sol";
import {SlotId, SlotState} from "./MarketTypes.sol";
import {Proofs} from "./Proofs.sol";

/// @notice The minting entry point of the reward token (`RewardToken.mint`, needs `MINTER_ROLE`).
interface IMintableToken {
    /// @notice Mints `amount` to `to`.
    /// @param to The receiver.
    /// @param amount Token wei.
    function mint(address to, uint256 amount) external;
}

/// @title Payments: settlement and claims
/// @notice An epoch e of a filled slot is settled once e < currentEpoch() and: it was proven (paid), or
/// its seed is recorded and the slot was not challenged (paid), or it was challenged and not proven
/// (unpaid), or its seed can no longer be recorded (unpaid). Unpaid epochs stay in escrow for the owner.
abstract contract Payments is Proofs {
    using SafeERC20 for IERC20;

    /// @dev 2^30 bytes.
    uint256 private constant GIB = 1 << 30;

    /// @inheritdoc IMarketplace
    function claim(SlotId slotId) external nonReentrant {
        SlotRecord storage s = _filledSlot(slotId);
        address peer = s.peer;
        if (msg.sender != peer) revert NotSlotPeer(slotId, msg.sender);
        DealRecord storage d = _dealRecord(s.dealId);
        uint64 current = _epoch();
        uint64 end = uint64(d.startEpoch) + d.durationEpochs;
        uint64 first = s.settledThrough + 1;
        (uint64 next, uint256 paidEpochs) = _settle(slotId, s, d, first, current < end ? current : end);
        // The last epoch's missing window must close before the collateral leaves.
        bool finish = next >= end && current >= end + _missingWindowEpochs;
        if (next == first && !finish) revert NothingToClaim(slotId, next - 1);
        uint256 price = d.pricePerSlotEpoch;
        uint256 amount = paidEpochs * price;
        uint256 collateral = 0;
        if (next != first) s.settledThrough = uint32(next - 1);
        if (finish) {
            if (d.cancelled) amount += uint256(d.cancelPayEpochs) * price;
            collateral = _collateralOf(d, s.misses);
            s.state = SlotState.Finished;
            _ledgerOf(peer).bytesHeld -= d.bytesPerSlot;
        }
        // The filled slot's pay is covered by escrow (see Deals); amount < 2^128.
        d.escrow -= uint128(amount);
        LedgerRecord storage book = _ledgerOf(peer);
        book.earned += amount;
        uint256 subsidy = _subsidyFor(book, d.bytesPerSlot, paidEpochs);
        if (subsidy != 0) book.subsidy += subsidy;
        emit Claimed(slotId, peer, amount, next - 1);
        if (finish) {
            emit CollateralReleased(slotId, peer, collateral);
            if (collateral != 0) _registry.unlockStake(peer, collateral);
        }
        if (amount != 0) _token.safeTransfer(peer, amount);
        if (subsidy != 0) IMintableToken(address(_token)).mint(peer, subsidy);
    }

    /// @dev Settles epochs from `first` while they are before `bound` (at most `maxClaimEpochs`), stopping
    /// at the first whose seed may still be recorded. Returns the first unsettled epoch and the paid count.
    function _settle(
        SlotId slotId,
        SlotRecord storage s,
        DealRecord storage d,
        uint64 first,
        uint64 bound
    ) private returns (uint64 next, uint256 paid) {
        uint256 limit = uint256(first) + _maxClaimEpochs;
        if (limit < bound) bound = uint64(limit);
        uint32 fillEpoch = s.fillEpoch;
        uint64 segmentCount = d.segmentCount;
        for (next = first; next < bound; ++next) {
            if (_isProven(slotId, fillEpoch, next)) {
                ++paid;
                continue;
            }
            (bytes32 seed, bool settled) = _settledSeed(next);
            if (!settled) break;
            if (seed == 0) continue;
            (bool challenged, ) = _challengeUnder(slotId, seed, segmentCount);
            if (!challenged) ++paid;
        }
    }

    /// @dev The subsidy for `paidEpochs` epochs of a slot of `bytesPerSlot`, within the peer's cap.
    function _subsidyFor(LedgerRecord storage book, uint64 bytesPerSlot, uint256 paidEpochs) private view returns (uint256) {
        if (_subsidyPerGiBEpoch == 0 || paidEpochs == 0) return 0;
        uint256 cap = _subsidyCapPerPeer;
        uint256 already = book.subsidy;
        if (already >= cap) return 0;
        // subsidyPerGiBEpoch < 2^128, bytes < 2^64, epochs < 2^32: no overflow.
        uint256 amount = (_subsidyPerGiBEpoch * bytesPerSlot * paidEpochs) / GIB;
        return amount < cap - already ? amount : cap - already;
    }
}
