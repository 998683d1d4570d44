// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IPeerRegistry} from "../registry/IPeerRegistry.sol";
import {MarketConfig} from "../market/MarketConfig.sol";
import {SlotId} from "../market/MarketTypes.sol";
import {Marketplace} from "../market/Marketplace.sol";

/// @title Test harness for the challenge rule of {Marketplace}
/// @notice Runs the contract's own challenge rule over many slot ids in one call, for the statistical test.
contract MarketplaceHarness is Marketplace {
    /// @param token The reward token.
    /// @param registry The peer registry.
    /// @param marketConfig The configuration.
    /// @param admin The admin.
    constructor(
        IERC20 token,
        IPeerRegistry registry,
        MarketConfig memory marketConfig,
        address admin
    ) Marketplace(token, registry, marketConfig, admin) {}

    /// @notice The challenge of slot id `slotId` under `seed` for a slot of `segmentCount` segments.
    /// @param slotId The slot id.
    /// @param seed The seed.
    /// @param segmentCount Segments of the slot.
    /// @return challenged Whether it is challenged.
    /// @return segmentIndex The challenged segment.
    function challengeUnder(SlotId slotId, bytes32 seed, uint64 segmentCount) external view returns (bool challenged, uint64 segmentIndex) {
        return _challengeUnder(slotId, seed, segmentCount);
    }

    /// @notice How many of the slot ids keccak256(abi.encode(seed, i)) for i < count are challenged under `seed`,
    /// and the sum of their segment indices (for a uniformity check).
    /// @param seed The seed.
    /// @param count Number of slot ids.
    /// @param segmentCount Segments of each slot.
    /// @return challenged The number challenged.
    /// @return indexSum The sum of the challenged segment indices.
    function challengeCount(bytes32 seed, uint256 count, uint64 segmentCount) external view returns (uint256 challenged, uint256 indexSum) {
        for (uint256 i = 0; i < count; ++i) {
            (bool hit, uint64 index) = _challengeUnder(SlotId.wrap(keccak256(abi.encode(seed, i))), seed, segmentCount);
            if (hit) {
                ++challenged;
                indexSum += index;
            }
        }
    }
}
