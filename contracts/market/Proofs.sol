// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IMarketplace} from "./IMarketplace.sol";
import {MarketConfigs} from "./MarketConfig.sol";
import {SlotId, SlotState} from "./MarketTypes.sol";
import {SegmentProofs} from "./SegmentProofs.sol";
import {Slots} from "./Slots.sol";

/// @title Proofs: challenges, proofs, missed proofs
/// @notice Slot s is challenged in epoch e iff h % 1e6 < challengeProbabilityPpm, with
/// h = uint256(keccak256(abi.encode(seed_e, s))), at segment (h >> 128) % segmentCount
/// (protocol/challenge.ts). Only epochs in the slot's paid range are challenged: after its fill
/// epoch, from the deal's start, before its end.
/// @dev Proof and miss bits live in words of 127 epochs each, keyed by fill epoch and bucket:
/// bit i = proven, bit 128 + i = marked missing, for epoch fillEpoch + 1 + 127 * bucket + i.
abstract contract Proofs is Slots {
    /// @dev Epochs per bit word.
    uint256 private constant EPOCHS_PER_WORD = 127;

    mapping(SlotId id => mapping(uint256 key => uint256 bits)) private _proofBits;

    /// @inheritdoc IMarketplace
    function submitProof(SlotId slotId, bytes calldata segment, bytes32[] calldata proof) external {
        uint64 epoch = _epoch();
        SlotRecord storage s = _filledSlot(slotId);
        uint64 index = _provableIndex(slotId, s, epoch, segment.length, proof.length);
        _checkSegment(slotId, s.slotRoot, epoch, index, segment, proof);
        (uint256 key, uint256 bit) = _bitOf(s.fillEpoch, epoch);
        uint256 bits = _proofBits[slotId][key];
        if (bits & (1 << bit) != 0) revert AlreadyProven(slotId, epoch);
        _proofBits[slotId][key] = bits | (1 << bit);
        ++_ledgerOf(s.peer).epochsProven;
        emit ProofSubmitted(slotId, epoch, msg.sender);
    }

    /// @inheritdoc IMarketplace
    function markProofMissing(SlotId slotId, uint64 epoch) external nonReentrant {
        SlotRecord storage s = _filledSlot(slotId);
        uint64 current = _epoch();
        if (current <= epoch || current > epoch + _missingWindowEpochs) revert NotInMissingWindow(epoch, current);
        DealRecord storage d = _dealRecord(s.dealId);
        (bool challenged, ) = _challenge(slotId, s, d, epoch);
        if (!challenged) revert NotChallenged(slotId, epoch);
        (uint256 key, uint256 bit) = _bitOf(s.fillEpoch, epoch);
        uint256 bits = _proofBits[slotId][key];
        if (bits & (1 << bit) != 0) revert AlreadyProven(slotId, epoch);
        if (bits & (1 << (bit + 128)) != 0) revert AlreadyMarked(slotId, epoch);
        _proofBits[slotId][key] = bits | (1 << (bit + 128));
        uint8 misses = s.misses + 1;
        s.misses = misses;
        address peer = s.peer;
        ++_ledgerOf(peer).proofsMissed;
        uint256 slashed = _slashOf(_fullCollateral(d.pricePerSlotEpoch));
        uint256 reward = (slashed * _markerRewardPpm) / MarketConfigs.PPM;
        emit ProofMissed(slotId, epoch, msg.sender, slashed, reward);
        // No token moves: the registry credits the marker's share and forfeits the rest (see IMarketplace).
        if (slashed != 0) _registry.penalizeStake(peer, slashed, msg.sender, reward);
        if (misses >= _maxMisses) _freeSlot(slotId, s, d, 0);
    }

    /// @inheritdoc IMarketplace
    function challengeOf(SlotId slotId, uint64 epoch) external view returns (bool challenged, uint64 segmentIndex) {
        SlotRecord storage s = _slotRecordOf(slotId);
        if (s.state != SlotState.Filled) return (false, 0);
        return _challengeView(slotId, s, _dealRecord(s.dealId), epoch);
    }

    /// @inheritdoc IMarketplace
    function isProven(SlotId slotId, uint64 epoch) external view returns (bool) {
        SlotRecord storage s = _slotRecordOf(slotId);
        if (s.state == SlotState.Empty || epoch <= s.fillEpoch) return false;
        return _isProven(slotId, s.fillEpoch, epoch);
    }

    /// @dev Whether the fill at `fillEpoch` proved `epoch` (> fillEpoch).
    function _isProven(SlotId slotId, uint32 fillEpoch, uint64 epoch) internal view returns (bool) {
        (uint256 key, uint256 bit) = _bitOf(fillEpoch, epoch);
        return _proofBits[slotId][key] & (1 << bit) != 0;
    }

    /// @dev The challenge of a filled slot in `epoch`; reverts with `SeedNotRecorded` when the epoch is
    /// in the paid range but has no seed.
    function _challenge(SlotId slotId, SlotRecord storage s, DealRecord storage d, uint64 epoch) internal view returns (bool, uint64) {
        if (!_inPaidRange(s, d, epoch)) return (false, 0);
        bytes32 seed = _seedOf(epoch);
        if (seed == 0) revert SeedNotRecorded(epoch);
        return _challengeUnder(slotId, seed, d.segmentCount);
    }

    /// @dev Whether `seed` challenges the slot, and where.
    function _challengeUnder(SlotId slotId, bytes32 seed, uint64 segmentCount) internal view returns (bool, uint64) {
        uint256 h = uint256(keccak256(abi.encode(seed, slotId)));
        if (h % MarketConfigs.PPM >= _challengeProbabilityPpm) return (false, 0);
        // segmentCount > 0 for a filled slot (root committed); the result is < segmentCount <= 2^40.
        return (true, uint64((h >> 128) % segmentCount));
    }

    /// @dev Whether `epoch` is in the slot's paid range: after the fill, in [start, end).
    function _inPaidRange(SlotRecord storage s, DealRecord storage d, uint64 epoch) internal view returns (bool) {
        return epoch > s.fillEpoch && epoch >= d.startEpoch && epoch < uint64(d.startEpoch) + d.durationEpochs;
    }

    /// @dev The challenged segment of a filled slot in `epoch`, after checking the proof's shape.
    function _provableIndex(
        SlotId slotId,
        SlotRecord storage s,
        uint64 epoch,
        uint256 segmentLength,
        uint256 proofLength
    ) private view returns (uint64 index) {
        DealRecord storage d = _dealRecord(s.dealId);
        bool challenged;
        (challenged, index) = _challenge(slotId, s, d, epoch);
        if (!challenged) revert NotChallenged(slotId, epoch);
        if (segmentLength != SegmentProofs.SEGMENT_BYTES) revert InvalidSegmentLength(segmentLength);
        uint256 depth = SegmentProofs.depthOf(d.segmentCount);
        if (proofLength != depth) revert InvalidProofLength(proofLength, depth);
    }

    /// @dev Reverts with `InvalidProof` unless `segment` is at `index` under `slotRoot`.
    function _checkSegment(
        SlotId slotId,
        bytes32 slotRoot,
        uint64 epoch,
        uint64 index,
        bytes calldata segment,
        bytes32[] calldata proof
    ) private pure {
        if (SegmentProofs.rootFromProof(SegmentProofs.segmentLeaf(index, segment), index, proof) != slotRoot) {
            revert InvalidProof(slotId, epoch, index);
        }
    }

    /// @dev The word key and bit index of `epoch` (> fillEpoch) for the fill at `fillEpoch`.
    function _bitOf(uint32 fillEpoch, uint64 epoch) private pure returns (uint256 key, uint256 bit) {
        uint256 offset = epoch - fillEpoch - 1;
        key = (uint256(fillEpoch) << 64) | (offset / EPOCHS_PER_WORD);
        bit = offset % EPOCHS_PER_WORD;
    }

    /// @dev {_challenge} without reverting: (false, 0) when there is no seed.
    function _challengeView(SlotId slotId, SlotRecord storage s, DealRecord storage d, uint64 epoch) private view returns (bool, uint64) {
        if (!_inPaidRange(s, d, epoch)) return (false, 0);
        bytes32 seed = _seedOf(epoch);
        if (seed == 0) return (false, 0);
        return _challengeUnder(slotId, seed, d.segmentCount);
    }
}
