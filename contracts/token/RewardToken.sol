// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title dhost Reward Token
/// @notice The ERC-20 token peers stake in the registry and are paid in. Supports EIP-2612 `permit`,
/// so a client can approve and open a deal in one transaction.
/// @dev The whole initial supply goes to one holder at deployment. Further minting is reserved for
/// reward emissions (a later issue) and needs `MINTER_ROLE`, which nobody holds until the admin grants it.
contract RewardToken is ERC20Permit, AccessControl {
    /// @notice The role allowed to mint new tokens (reward emissions).
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @notice The admin given to the constructor is the zero address, which would leave the roles
    /// without anyone able to grant them.
    /// @param admin The rejected admin address.
    error RewardTokenInvalidAdmin(address admin);

    /// @notice Deploys the token and mints `initialSupply` to `initialHolder`.
    /// @dev Reverts with {RewardTokenInvalidAdmin} when `admin` is the zero address and with
    /// `ERC20InvalidReceiver` when `initialHolder` is the zero address.
    /// @param admin Receives `DEFAULT_ADMIN_ROLE`: may grant and revoke `MINTER_ROLE`.
    /// @param initialHolder Receives the initial supply.
    /// @param initialSupply Token wei minted at deployment.
    constructor(
        address admin,
        address initialHolder,
        uint256 initialSupply
    ) ERC20("dhost Reward Token", "DHOST") ERC20Permit("dhost Reward Token") {
        if (admin == address(0)) revert RewardTokenInvalidAdmin(admin);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _mint(initialHolder, initialSupply);
    }

    /// @notice Mints `amount` new tokens to `to`.
    /// @dev Requires `MINTER_ROLE` (else `AccessControlUnauthorizedAccount`). Emits {Transfer} from
    /// the zero address.
    /// @param to The receiver of the new tokens.
    /// @param amount Token wei to mint.
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }
}
