// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IPeerRegistry} from "../registry/IPeerRegistry.sol";
import {Epochs} from "./Epochs.sol";
import {MarketConfig} from "./MarketConfig.sol";
import {BatchReads} from "./BatchReads.sol";

/// @title dhost storage marketplace
/// @notice Deals, assigned slots, challenges, proofs, settlement and slashing. See {IMarketplace} and
/// docs/marketplace.md.
/// @dev Composed of {Epochs} (clock, configuration), {Seeds}, {Deals}, {Access} (delegates, token revocation),
/// {Slots}, {Proofs}, {Payments} and {BatchReads} (bulk views for clients).
/// Needs `MARKET_ROLE` on the registry and, for the subsidy, `MINTER_ROLE` on the token.
/// Invariant: the token balance equals the sum over deals of escrow + repairFund (a missed proof moves
/// no token: its slash stays in the registry as the marker's credit and forfeited stake).
contract Marketplace is BatchReads, AccessControl {
    /// @notice Deploys the marketplace; its epoch 0 starts now.
    /// @dev Reverts with `InvalidMarketConfig(field)` or `MarketZeroAddress(field)`.
    /// @param token The reward token deals pay in (the registry's stake token).
    /// @param registry The peer registry.
    /// @param marketConfig The configuration, fixed for the marketplace's lifetime.
    /// @param admin Receives `DEFAULT_ADMIN_ROLE` (reserved: no function needs a role today).
    constructor(
        IERC20 token,
        IPeerRegistry registry,
        MarketConfig memory marketConfig,
        address admin
    ) Epochs(token, registry, marketConfig) {
        if (admin == address(0)) revert MarketZeroAddress("admin");
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }
}
