// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Segment Merkle proofs
/// @notice The tree rules of DESIGN.md, bit for bit as `protocol/merkle.ts`: leaf = keccak(0x00 ‖ uint64
/// index ‖ 512-byte segment); inner node = keccak(0x01 ‖ left ‖ right); padding leaf = keccak(0x02); the
/// leaf of a slot root in its deal's tree = keccak(0x03 ‖ uint64 column ‖ slotRoot). Trees are
/// position-bound (the index bits choose left or right, no sorting) and a proof's length must equal
/// the depth ceil(log2(count)) of the tree, which the caller derives from the count the chain stores.
/// @dev The tags make a leaf never a valid inner node and vice versa (OpenZeppelin's MerkleProof warning
/// about 64-byte leaves), and binding the index stops a proof of one segment answering for another.
library SegmentProofs {
    /// @notice Bytes per segment.
    uint256 internal constant SEGMENT_BYTES = 512;
    /// @notice Deepest tree accepted: 2^40 segments (512 TiB per slot).
    uint256 internal constant MAX_DEPTH = 40;
    /// @notice The padding leaf, keccak256(0x02).
    bytes32 internal constant PAD_LEAF = keccak256(hex"02");

    /// @notice ceil(log2(count)); 0 for 0 or 1 leaves.
    /// @param count Number of leaves.
    /// @return depth The depth.
    function depthOf(uint256 count) internal pure returns (uint256 depth) {
        // count <= 2^MAX_DEPTH everywhere the market calls this, so the loop ends after at most 40 rounds.
        while ((uint256(1) << depth) < count) ++depth;
    }

    /// @notice The leaf of segment `index`.
    /// @param index The segment's index.
    /// @param segment The segment's bytes (the caller checks the length).
    /// @return The leaf.
    function segmentLeaf(uint64 index, bytes calldata segment) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x00), index, segment));
    }

    /// @notice The leaf of a slot root in its deal's tree.
    /// @param column The slot's column.
    /// @param slotRoot The slot root.
    /// @return The leaf.
    function slotRootLeaf(uint64 column, bytes32 slotRoot) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x03), column, slotRoot));
    }

    /// @notice An inner node.
    /// @param left The left child.
    /// @param right The right child.
    /// @return keccak(0x01 ‖ left ‖ right).
    function innerNode(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x01), left, right));
    }

    /// @notice The root reached from `leaf` at `index` with the siblings `proof` (bottom-up). The caller
    /// checks `proof.length` against the tree's depth and `index` against its count.
    /// @param leaf The leaf.
    /// @param index The leaf's position.
    /// @param proof The siblings, bottom-up.
    /// @return node The root.
    function rootFromProof(bytes32 leaf, uint256 index, bytes32[] calldata proof) internal pure returns (bytes32 node) {
        node = leaf;
        uint256 length = proof.length;
        for (uint256 i = 0; i < length; ++i) {
            node = (index & 1) == 1 ? innerNode(proof[i], node) : innerNode(node, proof[i]);
            index >>= 1;
        }
    }

    /// @notice Whether `proof` proves `leaf` at `index` in the tree of `count` leaves with root `root`:
    /// index < count, proof length = depthOf(count), and the path leads to `root`.
    /// @param root The expected root.
    /// @param leaf The leaf.
    /// @param index The leaf's position.
    /// @param count Number of leaves.
    /// @param proof The siblings, bottom-up.
    /// @return True when valid.
    function verify(bytes32 root, bytes32 leaf, uint256 index, uint256 count, bytes32[] calldata proof) internal pure returns (bool) {
        if (index >= count || proof.length != depthOf(count)) return false;
        return rootFromProof(leaf, index, proof) == root;
    }

    /// @notice Root over `leaves`, padded to a power of two with all-padding subtrees. Overwrites `leaves`.
    /// @param leaves At least one leaf.
    /// @return The root.
    function rootOfLeaves(bytes32[] memory leaves) internal pure returns (bytes32) {
        uint256 width = leaves.length;
        bytes32 pad = PAD_LEAF;
        while (width > 1) {
            uint256 next = (width + 1) / 2;
            for (uint256 i = 0; i < next; ++i) {
                uint256 right = 2 * i + 1;
                leaves[i] = innerNode(leaves[2 * i], right < width ? leaves[right] : pad);
            }
            pad = innerNode(pad, pad);
            width = next;
        }
        return leaves[0];
    }
}
