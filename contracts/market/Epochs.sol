// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IPeerRegistry} from "../registry/IPeerRegistry.sol";
import {IMarketplace} from "./IMarketplace.sol";
import {MarketConfig, MarketConfigs} from "./MarketConfig.sol";

/// @title Epochs and configuration
/// @notice The marketplace's clock, `(block.timestamp - genesis) / epochLength`, and its configuration,
/// kept in immutables because it never changes (no storage reads on the hot paths).
abstract contract Epochs is IMarketplace {
    using MarketConfigs for MarketConfig;

    IERC20 internal immutable _token;
    IPeerRegistry internal immutable _registry;
    uint256 internal immutable _genesis;

    uint64 internal immutable _epochLength;
    uint32 internal immutable _challengeProbabilityPpm;
    uint32 internal immutable _slashPpm;
    uint32 internal immutable _markerRewardPpm;
    uint8 internal immutable _maxMisses;
    uint16 internal immutable _missingWindowEpochs;
    uint32 internal immutable _collateralEpochs;
    uint256 internal immutable _minCollateral;
    uint64 internal immutable _lapseFreeSeconds;
    uint16 internal immutable _minFillEpochs;
    uint16 internal immutable _maxClaimEpochs;
    uint256 internal immutable _subsidyPerGiBEpoch;
    uint256 internal immutable _subsidyCapPerPeer;

    /// @param token The reward token deals pay in.
    /// @param registry The peer registry holding the peers' stakes.
    /// @param marketConfig Validated here; reverts with `InvalidMarketConfig(field)`.
    constructor(IERC20 token, IPeerRegistry registry, MarketConfig memory marketConfig) {
        if (address(token) == address(0)) revert MarketZeroAddress("token");
        if (address(registry) == address(0)) revert MarketZeroAddress("registry");
        marketConfig.validate();
        _token = token;
        _registry = registry;
        _genesis = block.timestamp;
        _epochLength = marketConfig.epochLength;
        _challengeProbabilityPpm = marketConfig.challengeProbabilityPpm;
        _slashPpm = marketConfig.slashPpm;
        _markerRewardPpm = marketConfig.markerRewardPpm;
        _maxMisses = marketConfig.maxMisses;
        _missingWindowEpochs = marketConfig.missingWindowEpochs;
        _collateralEpochs = marketConfig.collateralEpochs;
        _minCollateral = marketConfig.minCollateral;
        _lapseFreeSeconds = marketConfig.lapseFreeSeconds;
        _minFillEpochs = marketConfig.minFillEpochs;
        _maxClaimEpochs = marketConfig.maxClaimEpochs;
        _subsidyPerGiBEpoch = marketConfig.subsidyPerGiBEpoch;
        _subsidyCapPerPeer = marketConfig.subsidyCapPerPeer;
    }

    /// @inheritdoc IMarketplace
    function currentEpoch() external view returns (uint64) {
        return _epoch();
    }

    /// @inheritdoc IMarketplace
    function config() external view returns (MarketConfig memory) {
        return
            MarketConfig({
                epochLength: _epochLength,
                challengeProbabilityPpm: _challengeProbabilityPpm,
                slashPpm: _slashPpm,
                markerRewardPpm: _markerRewardPpm,
                maxMisses: _maxMisses,
                missingWindowEpochs: _missingWindowEpochs,
                collateralEpochs: _collateralEpochs,
                minCollateral: _minCollateral,
                lapseFreeSeconds: _lapseFreeSeconds,
                minFillEpochs: _minFillEpochs,
                maxClaimEpochs: _maxClaimEpochs,
                subsidyPerGiBEpoch: _subsidyPerGiBEpoch,
                subsidyCapPerPeer: _subsidyCapPerPeer
            });
    }

    /// @dev The current epoch. Epochs are stored as uint32 in the deal and slot records: with one-second
    /// epochs that lasts 136 years, and `epochLength` is at least one second.
    function _epoch() internal view returns (uint64) {
        // block.timestamp >= _genesis (set at deployment) and _epochLength > 0 (validated).
        return uint64((block.timestamp - _genesis) / _epochLength);
    }
}
