// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IMarketplace} from "./IMarketplace.sol";
import {Deal, DealId} from "./MarketTypes.sol";
import {Seeds} from "./Seeds.sol";
import {SegmentProofs} from "./SegmentProofs.sol";

/// @title Deals: escrow, root, extension, cancel, refund
/// @notice A deal escrows `slots * durationEpochs * pricePerSlotEpoch` up front. Each column's epochs
/// are either paid to the peer holding it (when settled paid) or come back to the owner: after the end
/// (or a cancel) the owner can withdraw, at any time and repeatedly, everything no slot can still earn.
abstract contract Deals is Seeds, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @dev Four storage words; epochs as uint32 (see {Epochs-_epoch}); amounts below 2^128 (checked).
    struct DealRecord {
        address owner;
        uint16 slots;
        uint32 startEpoch;
        uint32 durationEpochs;
        bool cancelled;
        uint64 bytesPerSlot;
        uint48 segmentCount;
        uint128 pricePerSlotEpoch;
        uint16 cancelPayEpochs;
        uint128 escrow;
        uint128 repairFund;
        bytes32 root;
    }

    /// @dev Most segments a slot may have: 2^MAX_DEPTH.
    uint256 private constant MAX_SEGMENTS = uint256(1) << SegmentProofs.MAX_DEPTH;

    mapping(DealId id => DealRecord record) private _deals;
    mapping(address owner => DealId[] ids) private _ownerDeals;

    /// @inheritdoc IMarketplace
    function openDeal(
        DealId id,
        uint16 slots,
        uint64 bytesPerSlot,
        uint32 durationEpochs,
        uint256 pricePerSlotEpoch
    ) external nonReentrant {
        uint256 escrow = _checkedEscrow(slots, durationEpochs, pricePerSlotEpoch);
        _openDeal(id, slots, bytesPerSlot, durationEpochs, pricePerSlotEpoch, escrow);
    }

    /// @inheritdoc IMarketplace
    function openDealWithPermit(
        DealId id,
        uint16 slots,
        uint64 bytesPerSlot,
        uint32 durationEpochs,
        uint256 pricePerSlotEpoch,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        uint256 escrow = _checkedEscrow(slots, durationEpochs, pricePerSlotEpoch);
        // A permit can be front-run by anyone who saw it; the allowance it set is then used anyway.
        // solhint-disable-next-line no-empty-blocks
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), escrow, permitDeadline, v, r, s) {} catch {}
        _openDeal(id, slots, bytesPerSlot, durationEpochs, pricePerSlotEpoch, escrow);
    }

    /// @inheritdoc IMarketplace
    function commitRoot(DealId id, bytes32 root, uint64 segmentCount) external {
        DealRecord storage d = _ownedDeal(id);
        if (d.root != 0) revert RootAlreadyCommitted(id);
        if (d.cancelled) revert DealIsCancelled(id);
        // Zero is the stored value of "not committed".
        if (root == 0) revert InvalidDealParameter("root");
        uint64 maxSegments = _segmentsFor(d.bytesPerSlot);
        if (segmentCount == 0 || segmentCount > maxSegments) revert SegmentCountOutOfRange(segmentCount, maxSegments);
        d.root = root;
        // segmentCount <= maxSegments <= 2^40 (checked at open), so it fits in 48 bits.
        d.segmentCount = uint48(segmentCount);
        emit DealRootCommitted(id, root, segmentCount);
    }

    /// @inheritdoc IMarketplace
    function extendDeal(DealId id, uint32 extraEpochs) external nonReentrant {
        DealRecord storage d = _ownedDeal(id);
        _checkRunning(id, d);
        if (extraEpochs == 0) revert InvalidDealParameter("extraEpochs");
        uint256 end = uint256(d.startEpoch) + d.durationEpochs + extraEpochs;
        if (end > type(uint32).max) revert InvalidDealParameter("extraEpochs");
        uint256 added = uint256(d.slots) * extraEpochs * d.pricePerSlotEpoch;
        uint256 escrow = d.escrow + added;
        if (escrow > type(uint128).max) revert InvalidDealParameter("escrow");
        // Both fit: end < 2^32 and escrow < 2^128 were checked just above.
        d.durationEpochs += extraEpochs;
        d.escrow = uint128(escrow);
        emit DealExtended(id, extraEpochs, uint64(end));
        _token.safeTransferFrom(msg.sender, address(this), added);
    }

    /// @inheritdoc IMarketplace
    function cancelDeal(DealId id) external {
        DealRecord storage d = _ownedDeal(id);
        _checkRunning(id, d);
        uint64 current = _epoch();
        uint64 start = d.startEpoch;
        uint64 newEnd = current > start ? current : start;
        // _checkRunning guarantees current < end, and start <= end, so newEnd < end.
        uint64 cut = start + d.durationEpochs - newEnd;
        d.cancelPayEpochs = uint16(cut < _minFillEpochs ? cut : _minFillEpochs);
        d.durationEpochs = uint32(newEnd - start);
        d.cancelled = true;
        emit DealCancelled(id, current);
    }

    /// @inheritdoc IMarketplace
    function withdrawRefund(DealId id) external nonReentrant {
        DealRecord storage d = _ownedDeal(id);
        uint64 end = uint64(d.startEpoch) + d.durationEpochs;
        if (!d.cancelled && _epoch() < end) revert DealNotEnded(id, end);
        uint256 owed = 0;
        uint16 slots = d.slots;
        for (uint16 column = 0; column < slots; ++column) owed += _owedToSlot(id, column, d);
        // Invariant: escrow >= what the filled slots can still earn (see the contract notes).
        uint256 amount = d.escrow - owed + d.repairFund;
        if (amount == 0) revert NothingToRefund(id);
        // owed <= escrow < 2^128.
        d.escrow = uint128(owed);
        d.repairFund = 0;
        emit RefundWithdrawn(id, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IMarketplace
    function deal(DealId id) external view returns (Deal memory) {
        return _toDeal(_deals[id]);
    }

    /// @inheritdoc IMarketplace
    function dealsOf(address owner, uint256 offset, uint256 limit) external view returns (DealId[] memory ids, uint256 total) {
        return _dealPage(owner, offset, limit);
    }

    /// @dev One page of an owner's deal ids, oldest first, and the owner's number of deals.
    function _dealPage(address owner, uint256 offset, uint256 limit) internal view returns (DealId[] memory ids, uint256 total) {
        DealId[] storage all = _ownerDeals[owner];
        total = all.length;
        if (offset >= total) return (new DealId[](0), total);
        // offset < total, so total - offset cannot underflow; comparing first avoids overflowing offset + limit.
        uint256 count = limit < total - offset ? limit : total - offset;
        ids = new DealId[](count);
        for (uint256 i = 0; i < count; ++i) ids[i] = all[offset + i];
    }

    /// @dev The view of a stored deal (zeroed for an unknown id).
    function _toDeal(DealRecord storage d) internal view returns (Deal memory) {
        return
            Deal({
                owner: d.owner,
                slots: d.slots,
                bytesPerSlot: d.bytesPerSlot,
                durationEpochs: d.durationEpochs,
                pricePerSlotEpoch: d.pricePerSlotEpoch,
                startEpoch: d.startEpoch,
                endEpoch: uint64(d.startEpoch) + d.durationEpochs,
                root: d.root,
                segmentCount: d.segmentCount,
                escrow: d.escrow,
                repairFund: d.repairFund,
                cancelled: d.cancelled
            });
    }

    /// @dev What the slot at `column` can still be paid from escrow (0 unless filled).
    function _owedToSlot(DealId id, uint16 column, DealRecord storage d) internal view virtual returns (uint256);

    /// @dev The record of an existing deal; reverts with `DealNotFound` otherwise.
    function _existingDeal(DealId id) internal view returns (DealRecord storage d) {
        d = _deals[id];
        if (d.owner == address(0)) revert DealNotFound(id);
    }

    /// @dev The record of a deal, existing or not (zeroed).
    function _dealRecord(DealId id) internal view returns (DealRecord storage) {
        return _deals[id];
    }

    /// @dev ceil(bytes / 512).
    function _segmentsFor(uint64 bytesPerSlot) internal pure returns (uint64) {
        return uint64((uint256(bytesPerSlot) + SegmentProofs.SEGMENT_BYTES - 1) / SegmentProofs.SEGMENT_BYTES);
    }

    /// @dev Reverts unless the deal is neither cancelled nor over.
    function _checkRunning(DealId id, DealRecord storage d) internal view {
        if (d.cancelled) revert DealIsCancelled(id);
        uint64 end = uint64(d.startEpoch) + d.durationEpochs;
        if (_epoch() >= end) revert DealHasEnded(id, end);
    }

    /// @dev The record of an existing deal owned by the caller.
    function _ownedDeal(DealId id) private view returns (DealRecord storage d) {
        d = _existingDeal(id);
        if (d.owner != msg.sender) revert NotDealOwner(id, msg.sender);
    }

    /// @dev Validates the amounts and returns the escrow; reverts with `InvalidDealParameter`.
    function _checkedEscrow(uint16 slots, uint32 durationEpochs, uint256 pricePerSlotEpoch) private pure returns (uint256 escrow) {
        if (slots == 0) revert InvalidDealParameter("slots");
        if (durationEpochs == 0) revert InvalidDealParameter("durationEpochs");
        if (pricePerSlotEpoch == 0 || pricePerSlotEpoch > type(uint128).max) revert InvalidDealParameter("pricePerSlotEpoch");
        // < 2^16 * 2^32 * 2^128: no overflow.
        escrow = uint256(slots) * durationEpochs * pricePerSlotEpoch;
        if (escrow > type(uint128).max) revert InvalidDealParameter("escrow");
    }

    /// @dev Records a new deal (amounts already checked) and pulls its escrow.
    function _openDeal(DealId id, uint16 slots, uint64 bytesPerSlot, uint32 durationEpochs, uint256 price, uint256 escrow) private {
        DealRecord storage d = _deals[id];
        if (d.owner != address(0)) revert DealAlreadyExists(id);
        if (bytesPerSlot == 0 || _segmentsFor(bytesPerSlot) > MAX_SEGMENTS) revert InvalidDealParameter("bytesPerSlot");
        uint64 start = _epoch() + 1;
        if (uint256(start) + durationEpochs > type(uint32).max) revert InvalidDealParameter("durationEpochs");
        d.owner = msg.sender;
        d.slots = slots;
        // start + duration < 2^32 checked above; price and escrow < 2^128 checked by _checkedEscrow.
        d.startEpoch = uint32(start);
        d.durationEpochs = durationEpochs;
        d.bytesPerSlot = bytesPerSlot;
        d.pricePerSlotEpoch = uint128(price);
        d.escrow = uint128(escrow);
        _ownerDeals[msg.sender].push(id);
        emit DealOpened(id, msg.sender, slots, bytesPerSlot, durationEpochs, price, start);
        _token.safeTransferFrom(msg.sender, address(this), escrow);
    }
}
