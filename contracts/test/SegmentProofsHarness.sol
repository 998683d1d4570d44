// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SegmentProofs} from "../market/SegmentProofs.sol";

/// @title Test harness for {SegmentProofs}
/// @notice Exposes the library's internal functions so that tests compare them with protocol/merkle.ts.
contract SegmentProofsHarness {
    /// @notice See {SegmentProofs-depthOf}.
    /// @param count Number of leaves.
    /// @return The depth.
    function depthOf(uint256 count) external pure returns (uint256) {
        return SegmentProofs.depthOf(count);
    }

    /// @notice See {SegmentProofs-segmentLeaf}.
    /// @param index The segment's index.
    /// @param segment The segment.
    /// @return The leaf.
    function segmentLeaf(uint64 index, bytes calldata segment) external pure returns (bytes32) {
        return SegmentProofs.segmentLeaf(index, segment);
    }

    /// @notice See {SegmentProofs-slotRootLeaf}.
    /// @param column The column.
    /// @param slotRoot The slot root.
    /// @return The leaf.
    function slotRootLeaf(uint64 column, bytes32 slotRoot) external pure returns (bytes32) {
        return SegmentProofs.slotRootLeaf(column, slotRoot);
    }

    /// @notice See {SegmentProofs-verify}, with the segment's leaf computed here.
    /// @param root The expected root.
    /// @param index The segment's index.
    /// @param count Number of segments.
    /// @param segment The segment.
    /// @param proof The siblings.
    /// @return True when valid.
    function verifySegment(
        bytes32 root,
        uint64 index,
        uint256 count,
        bytes calldata segment,
        bytes32[] calldata proof
    ) external pure returns (bool) {
        if (segment.length != SegmentProofs.SEGMENT_BYTES) return false;
        return SegmentProofs.verify(root, SegmentProofs.segmentLeaf(index, segment), index, count, proof);
    }

    /// @notice See {SegmentProofs-rootOfLeaves}.
    /// @param leaves The leaves.
    /// @return The root.
    function rootOfLeaves(bytes32[] calldata leaves) external pure returns (bytes32) {
        return SegmentProofs.rootOfLeaves(leaves[:]);
    }

    /// @notice Whether `rootProof` proves `slotRoot` at `column` in the deal root `dealRoot` of a deal of
    /// `slots` slots: the check `fillSlot` makes (the column is below `slots`, the proof as deep as the tree).
    /// @param dealRoot The committed deal root.
    /// @param column The column.
    /// @param slots The deal's slot count.
    /// @param slotRoot The slot root.
    /// @param rootProof The siblings of the slot-root leaf, bottom-up.
    /// @return True when valid.
    function verifySlotRoot(
        bytes32 dealRoot,
        uint16 column,
        uint16 slots,
        bytes32 slotRoot,
        bytes32[] calldata rootProof
    ) external pure returns (bool) {
        return SegmentProofs.verify(dealRoot, SegmentProofs.slotRootLeaf(column, slotRoot), column, slots, rootProof);
    }
}
