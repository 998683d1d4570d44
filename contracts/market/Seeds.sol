// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Epochs} from "./Epochs.sol";
import {IMarketplace} from "./IMarketplace.sol";

/// @title Challenge seeds
/// @notice One seed per epoch, from the hash of a block chosen before the epoch starts: the first
/// `fixSeedBlock` call in epoch e-1 fixes block N = block.number + 1 for epoch e, and anyone records
/// keccak256(abi.encode(blockhash(N), e)) once N is mined and while its hash is readable (256 blocks).
/// The block producer of N could bias the seed by withholding its block: a trusted producer is assumed.
abstract contract Seeds is Epochs {
    /// @dev How many recent block hashes the EVM exposes.
    uint256 private constant BLOCKHASH_WINDOW = 256;

    mapping(uint64 epoch => uint256 blockNumber) private _seedBlocks;
    mapping(uint64 epoch => bytes32 seed) private _seeds;

    /// @inheritdoc IMarketplace
    function fixSeedBlock() external {
        uint64 epoch = _epoch() + 1;
        // First call wins; later calls are a silent no-op so that racing provers never revert.
        if (_seedBlocks[epoch] != 0) return;
        uint256 blockNumber = block.number + 1;
        _seedBlocks[epoch] = blockNumber;
        emit SeedBlockFixed(epoch, blockNumber);
    }

    /// @inheritdoc IMarketplace
    function recordSeed(uint64 epoch) external {
        uint256 blockNumber = _seedBlocks[epoch];
        if (blockNumber == 0) revert SeedBlockNotFixed(epoch);
        if (_seeds[epoch] != 0) revert SeedAlreadyRecorded(epoch);
        if (block.number <= blockNumber) revert SeedBlockNotMined(epoch, blockNumber);
        if (block.number > blockNumber + BLOCKHASH_WINDOW) revert SeedExpired(epoch, blockNumber);
        _record(epoch, blockNumber);
    }

    /// @inheritdoc IMarketplace
    function seedOf(uint64 epoch) external view returns (bytes32) {
        return _seeds[epoch];
    }

    /// @inheritdoc IMarketplace
    function seedBlockOf(uint64 epoch) external view returns (uint256) {
        return _seedBlocks[epoch];
    }

    /// @dev The recorded seed of `epoch`, or zero.
    function _seedOf(uint64 epoch) internal view returns (bytes32) {
        return _seeds[epoch];
    }

    /// @dev The seed of a past epoch for settlement: `(seed, true)` when recorded (recording it on the
    /// way when it can), `(0, true)` when it can never be recorded (no block fixed before the epoch
    /// passed, or the block's hash is gone), `(0, false)` when it may still be recorded later.
    /// Only call it for epochs before the current one: their seed block can no longer be fixed.
    function _settledSeed(uint64 epoch) internal returns (bytes32 seed, bool settled) {
        seed = _seeds[epoch];
        if (seed != 0) return (seed, true);
        uint256 blockNumber = _seedBlocks[epoch];
        if (blockNumber == 0 || block.number > blockNumber + BLOCKHASH_WINDOW) return (0, true);
        if (block.number <= blockNumber) return (0, false);
        return (_record(epoch, blockNumber), true);
    }

    /// @dev Stores and announces the seed of `epoch` from its (readable) seed block.
    function _record(uint64 epoch, uint256 blockNumber) private returns (bytes32 seed) {
        seed = keccak256(abi.encode(blockhash(blockNumber), epoch));
        _seeds[epoch] = seed;
        emit SeedRecorded(epoch, seed);
    }
}
