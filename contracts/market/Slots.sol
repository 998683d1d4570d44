// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Peer} from "../registry/Peer.sol";
import {Access} from "./Access.sol";
import {Deals} from "./Deals.sol";
import {IMarketplace} from "./IMarketplace.sol";
import {MarketConfigs} from "./MarketConfig.sol";
import {DealId, Slot, SlotId, SlotState} from "./MarketTypes.sol";
import {SegmentProofs} from "./SegmentProofs.sol";

/// @title Slots: assigned fills, collateral, freeing
/// @notice Only the peer the owner (or the owner's repair delegate, see {Access}) assigned (EIP-712
/// `Assignment`) can fill a slot, and only with a slot root that the committed deal root contains at that
/// column, so nobody can front-run a fill with the public root. A fill locks
/// `pricePerSlotEpoch * collateralEpochs + minCollateral` of the peer's stake.
abstract contract Slots is Access, EIP712 {
    using SafeERC20 for IERC20;

    /// @dev Two storage words plus the slot root. Epochs as uint32 (see {Epochs-_epoch}).
    struct SlotRecord {
        DealId dealId;
        address peer;
        uint16 column;
        uint32 fillEpoch;
        uint32 settledThrough;
        uint8 misses;
        SlotState state;
        bytes32 slotRoot;
    }

    /// @dev One storage word for the counters, so a proof or a miss writes a non-zero word.
    struct LedgerRecord {
        uint64 bytesHeld;
        uint64 epochsProven;
        uint64 proofsMissed;
        uint256 earned;
        uint256 subsidy;
    }

    /// @notice The EIP-712 type of a slot assignment.
    // solhint-disable-next-line gas-small-strings
    bytes32 public constant ASSIGNMENT_TYPEHASH = keccak256("Assignment(bytes32 dealId,uint16 column,address peer,uint64 deadline)");

    mapping(SlotId id => SlotRecord record) private _slots;
    mapping(address peer => LedgerRecord record) private _ledgers;

    constructor() EIP712("dhost Marketplace", "1") {}

    /// @inheritdoc IMarketplace
    function fillSlot(
        DealId id,
        uint16 column,
        bytes32 slotRoot,
        bytes32[] calldata rootProof,
        uint64 assignmentDeadline,
        bytes calldata ownerSignature
    ) external nonReentrant {
        DealRecord storage d = _checkAssignment(id, column, assignmentDeadline, ownerSignature);
        _checkSlotRoot(id, column, slotRoot, rootProof, d);
        (uint256 collateral, uint256 repairReward) = _recordFill(id, column, slotRoot, d);
        _registry.lockStake(msg.sender, collateral);
        if (repairReward != 0) _token.safeTransfer(msg.sender, repairReward);
    }

    /// @inheritdoc IMarketplace
    function freeLapsedSlot(SlotId slotId) external nonReentrant {
        SlotRecord storage s = _filledSlot(slotId);
        Peer memory record = _registry.peer(s.peer);
        uint256 freeableAt = uint256(record.lastHeartbeat) + _lapseFreeSeconds + 1;
        if (block.timestamp < freeableAt) revert HeartbeatNotLapsed(s.peer, freeableAt);
        _freeSlot(slotId, s, _dealRecord(s.dealId), 1);
    }

    /// @inheritdoc IMarketplace
    function slot(SlotId id) external view returns (Slot memory) {
        SlotRecord storage s = _slots[id];
        uint256 collateral = s.state == SlotState.Filled ? _collateralOf(_dealRecord(s.dealId), s.misses) : 0;
        return
            Slot({
                dealId: s.dealId,
                column: s.column,
                peer: s.peer,
                fillEpoch: s.fillEpoch,
                settledThrough: s.settledThrough,
                misses: s.misses,
                collateral: collateral,
                state: s.state
            });
    }

    /// @inheritdoc IMarketplace
    function slotIdOf(DealId id, uint16 column) external pure returns (SlotId) {
        return _slotIdOf(id, column);
    }

    /// @inheritdoc IMarketplace
    function assignmentDigest(DealId id, uint16 column, address peer, uint64 deadline) external view returns (bytes32) {
        return _assignmentDigest(id, column, peer, deadline);
    }

    /// @dev Frees a filled slot: forfeits its unclaimed epochs and its remaining collateral (slashed into
    /// the deal's repair fund). `reason`: 0 misses, 1 lapsed heartbeat.
    function _freeSlot(SlotId slotId, SlotRecord storage s, DealRecord storage d, uint8 reason) internal {
        address peer = s.peer;
        uint256 remaining = _collateralOf(d, s.misses);
        s.state = SlotState.Freed;
        _ledgers[peer].bytesHeld -= d.bytesPerSlot;
        // remaining <= full collateral < 2^129; a deal's repair fund never nears 2^128 in practice,
        // and the cast below would revert (checked addition first) rather than wrap.
        d.repairFund = uint128(d.repairFund + remaining);
        emit SlotFreed(slotId, s.dealId, s.column, peer, reason);
        if (remaining != 0) _registry.slashStake(peer, remaining, address(this));
    }

    /// @dev Checks the deal and the assignment of `column` to the caller, signed by the owner or, when
    /// that fails, by a delegate of the owner holding `PERMISSION_REPAIR`; returns the deal.
    function _checkAssignment(
        DealId id,
        uint16 column,
        uint64 deadline,
        bytes calldata ownerSignature
    ) private view returns (DealRecord storage d) {
        d = _existingDeal(id);
        if (d.root == 0) revert RootNotCommitted(id);
        if (column >= d.slots) revert ColumnOutOfRange(column, d.slots);
        _checkRunning(id, d);
        if (block.timestamp > deadline) revert AssignmentExpired(deadline, block.timestamp);
        bytes32 digest = _assignmentDigest(id, column, msg.sender, deadline);
        address owner = d.owner;
        // The owner's path first and unchanged; the delegate's only when it fails.
        if (
            !SignatureChecker.isValidSignatureNow(owner, digest, ownerSignature) &&
            !_signedByRepairDelegate(owner, digest, ownerSignature)
        ) revert InvalidAssignment(id, column, msg.sender);
    }

    /// @dev Reverts unless `rootProof` proves `slotRoot` at `column` in the deal root.
    function _checkSlotRoot(DealId id, uint16 column, bytes32 slotRoot, bytes32[] calldata rootProof, DealRecord storage d) private view {
        uint256 depth = SegmentProofs.depthOf(d.slots);
        if (rootProof.length != depth) revert InvalidProofLength(rootProof.length, depth);
        if (SegmentProofs.rootFromProof(SegmentProofs.slotRootLeaf(column, slotRoot), column, rootProof) != d.root) {
            revert SlotRootNotInDeal(id, column, slotRoot);
        }
    }

    /// @dev Checks that the slot is fillable and the caller active, writes the fill, emits {SlotFilled};
    /// returns the collateral to lock and the repair reward owed to the caller (the deal's whole repair
    /// fund when it refills a freed slot).
    function _recordFill(
        DealId id,
        uint16 column,
        bytes32 slotRoot,
        DealRecord storage d
    ) private returns (uint256 collateral, uint256 repairReward) {
        SlotId slotId = _slotIdOf(id, column);
        SlotRecord storage s = _slots[slotId];
        SlotState state = s.state;
        if (state != SlotState.Empty && state != SlotState.Freed) revert SlotNotFillable(slotId, state);
        if (!_registry.isActive(msg.sender)) revert PeerNotActive(msg.sender);
        uint64 current = _epoch();
        uint32 beforeStart = d.startEpoch - 1;
        if (state == SlotState.Empty) s.dealId = id;
        s.peer = msg.sender;
        s.column = column;
        // current < end < 2^32 (_checkRunning).
        s.fillEpoch = uint32(current);
        s.settledThrough = current > beforeStart ? uint32(current) : beforeStart;
        s.misses = 0;
        s.state = SlotState.Filled;
        s.slotRoot = slotRoot;
        _ledgers[msg.sender].bytesHeld += d.bytesPerSlot;
        if (state == SlotState.Freed) {
            repairReward = d.repairFund;
            if (repairReward != 0) d.repairFund = 0;
        }
        collateral = _fullCollateral(d.pricePerSlotEpoch);
        emit SlotFilled(id, slotId, column, msg.sender, collateral);
    }

    /// @inheritdoc Deals
    function _owedToSlot(DealId id, uint16 column, DealRecord storage d) internal view override returns (uint256) {
        SlotRecord storage s = _slots[_slotIdOf(id, column)];
        if (s.state != SlotState.Filled) return 0;
        uint256 end = uint256(d.startEpoch) + d.durationEpochs;
        uint256 settled = s.settledThrough;
        uint256 epochs = end > settled + 1 ? end - settled - 1 : 0;
        if (d.cancelled) epochs += d.cancelPayEpochs;
        return epochs * d.pricePerSlotEpoch;
    }

    /// @dev The record of a filled slot; reverts with `SlotNotFilled` otherwise.
    function _filledSlot(SlotId slotId) internal view returns (SlotRecord storage s) {
        s = _slots[slotId];
        if (s.state != SlotState.Filled) revert SlotNotFilled(slotId, s.state);
    }

    /// @dev The record of a slot, filled or not.
    function _slotRecordOf(SlotId slotId) internal view returns (SlotRecord storage) {
        return _slots[slotId];
    }

    /// @dev The peer's ledger record.
    function _ledgerOf(address peer) internal view returns (LedgerRecord storage) {
        return _ledgers[peer];
    }

    /// @dev Collateral still locked after `misses` slashes: full - misses * slash, never negative
    /// because slashPpm * maxMisses <= 1e6 and misses <= maxMisses.
    function _collateralOf(DealRecord storage d, uint8 misses) internal view returns (uint256) {
        uint256 full = _fullCollateral(d.pricePerSlotEpoch);
        return full - misses * _slashOf(full);
    }

    /// @dev The collateral a fill locks.
    function _fullCollateral(uint256 price) internal view returns (uint256) {
        return price * _collateralEpochs + _minCollateral;
    }

    /// @dev One slash of a slot whose full collateral is `full`.
    function _slashOf(uint256 full) internal view returns (uint256) {
        return (full * _slashPpm) / MarketConfigs.PPM;
    }

    /// @dev keccak256(abi.encode(id, uint256(column))), as protocol/ids.ts `slotIdOf`.
    function _slotIdOf(DealId id, uint16 column) internal pure returns (SlotId) {
        return SlotId.wrap(keccak256(abi.encode(id, uint256(column))));
    }

    /// @dev The EIP-712 digest of Assignment(dealId, column, peer, deadline).
    function _assignmentDigest(DealId id, uint16 column, address peer, uint64 deadline) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(ASSIGNMENT_TYPEHASH, id, column, peer, deadline)));
    }
}
