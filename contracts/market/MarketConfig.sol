// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IMarketErrors} from "./IMarketErrors.sol";

/// @notice Every tunable number of the marketplace, fixed at deployment.
/// @dev The deployment defaults and the reasons for them live in `ignition/modules/Dhost.ts`.
struct MarketConfig {
    /// Seconds per epoch. Positive.
    uint64 epochLength;
    /// Chance, in parts per million, that a filled slot is challenged in an epoch. At most 1e6.
    uint32 challengeProbabilityPpm;
    /// Share of a slot's collateral slashed per missed proof (ppm). `slashPpm * maxMisses <= 1e6`.
    uint32 slashPpm;
    /// Share of each slash credited to whoever marked the proof missing (ppm, withdrawn from the
    /// registry); the rest is forfeited, so no deal owner profits from a host's failure.
    uint32 markerRewardPpm;
    /// Missed proofs after which the slot is freed. Positive.
    uint8 maxMisses;
    /// A proof of epoch e may be marked missing while the current epoch is in (e, e + window]. 1..64.
    uint16 missingWindowEpochs;
    /// Collateral = pricePerSlotEpoch * collateralEpochs + minCollateral.
    uint32 collateralEpochs;
    /// Collateral floor per slot (token wei). Positive, so that every slot can be slashed.
    uint256 minCollateral;
    /// Seconds after a peer's last heartbeat when anyone may free its slots. Positive.
    uint64 lapseFreeSeconds;
    /// Epochs paid to each filled slot when the owner cancels early.
    uint16 minFillEpochs;
    /// Epochs settled per claim call (bounds gas). Positive.
    uint16 maxClaimEpochs;
    /// Tokens minted per paid GiB-epoch; 0 = off.
    uint256 subsidyPerGiBEpoch;
    /// Lifetime subsidy cap per peer.
    uint256 subsidyCapPerPeer;
}

/// @title Validation of the marketplace configuration
library MarketConfigs {
    /// @notice Parts per million: the unit of every probability and share.
    uint256 internal constant PPM = 1_000_000;
    /// @notice The longest missing window accepted, in epochs.
    uint16 internal constant MAX_MISSING_WINDOW = 64;
    /// @notice Longest accepted time setting (100 years); larger values are typos.
    uint64 internal constant MAX_SECONDS = 100 * 365 days;

    /// @notice Reverts with `InvalidMarketConfig(field)` naming the first field out of range.
    /// @param config The configuration to check.
    function validate(MarketConfig memory config) internal pure {
        if (config.epochLength == 0 || config.epochLength > MAX_SECONDS) revert IMarketErrors.InvalidMarketConfig("epochLength");
        if (config.challengeProbabilityPpm > PPM) revert IMarketErrors.InvalidMarketConfig("challengeProbabilityPpm");
        if (config.maxMisses == 0) revert IMarketErrors.InvalidMarketConfig("maxMisses");
        if (uint256(config.slashPpm) * config.maxMisses > PPM) revert IMarketErrors.InvalidMarketConfig("slashPpm");
        if (config.markerRewardPpm > PPM) revert IMarketErrors.InvalidMarketConfig("markerRewardPpm");
        if (config.missingWindowEpochs == 0 || config.missingWindowEpochs > MAX_MISSING_WINDOW) {
            revert IMarketErrors.InvalidMarketConfig("missingWindowEpochs");
        }
        if (config.minCollateral == 0 || config.minCollateral > type(uint128).max) {
            revert IMarketErrors.InvalidMarketConfig("minCollateral");
        }
        if (config.lapseFreeSeconds == 0 || config.lapseFreeSeconds > MAX_SECONDS) {
            revert IMarketErrors.InvalidMarketConfig("lapseFreeSeconds");
        }
        if (config.maxClaimEpochs == 0) revert IMarketErrors.InvalidMarketConfig("maxClaimEpochs");
        if (config.subsidyPerGiBEpoch > type(uint128).max) revert IMarketErrors.InvalidMarketConfig("subsidyPerGiBEpoch");
    }
}
