// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Deals} from "./Deals.sol";
import {IMarketplace} from "./IMarketplace.sol";
import {DealId} from "./MarketTypes.sol";

/// @title Access: delegates and retrieval-token revocation
/// @notice An owner may let other keys act for all of its deals: a delegate with {PERMISSION_READ}
/// signs retrieval tokens (reads) and may revoke them; one with {PERMISSION_REPAIR} signs slot
/// assignments ({fillSlot}) for the owner's deals. Retrieval tokens are checked off chain by the peers,
/// which ask {tokenRevoked} before they serve a read: a single token is revoked by its nonce, every token
/// issued up to now by {revokeAllTokens}.
/// @dev Kept apart from the deal record (its own mappings) so that opening a deal costs the same.
abstract contract Access is Deals {
    /// @notice May sign retrieval tokens (reads) for the owner's deals, and revoke them.
    uint8 public constant PERMISSION_READ = 1;
    /// @notice May sign slot assignments for the owner's deals ({fillSlot}), write shards and commit
    /// notices and issue repair-scope tokens off chain.
    uint8 public constant PERMISSION_REPAIR = 2;
    /// @dev Every permission bit defined: larger values are rejected.
    uint8 private constant ALL_PERMISSIONS = PERMISSION_READ | PERMISSION_REPAIR;

    mapping(address owner => mapping(address delegate => uint8 permissions)) private _delegations;
    mapping(DealId id => mapping(bytes32 nonce => bool revoked)) private _revokedTokens;
    mapping(DealId id => uint64 validAfter) private _tokensValidAfter;

    /// @inheritdoc IMarketplace
    function setDelegate(address delegate, uint8 permissions) external {
        if (delegate == address(0)) revert MarketZeroAddress("delegate");
        if (delegate == msg.sender) revert InvalidDelegate(delegate);
        if (permissions > ALL_PERMISSIONS) revert InvalidPermissions(permissions);
        _delegations[msg.sender][delegate] = permissions;
        emit DelegateSet(msg.sender, delegate, permissions);
    }

    /// @inheritdoc IMarketplace
    function revokeToken(DealId id, bytes32 nonce) external {
        _checkRevoker(id);
        // Idempotent: revoking a revoked nonce writes the same value and announces it again.
        _revokedTokens[id][nonce] = true;
        emit TokenRevoked(id, nonce, msg.sender);
    }

    /// @inheritdoc IMarketplace
    function revokeAllTokens(DealId id) external {
        _checkRevoker(id);
        // block.timestamp fits in 64 bits for the next 500 billion years.
        uint64 validAfter = uint64(block.timestamp);
        _tokensValidAfter[id] = validAfter;
        emit AllTokensRevoked(id, validAfter, msg.sender);
    }

    /// @inheritdoc IMarketplace
    function delegation(address owner, address delegate) external view returns (uint8 permissions) {
        return _delegations[owner][delegate];
    }

    /// @inheritdoc IMarketplace
    function tokenRevoked(DealId id, bytes32 nonce, uint64 issuedAt) external view returns (bool) {
        if (_revokedTokens[id][nonce]) return true;
        uint64 validAfter = _tokensValidAfter[id];
        return validAfter != 0 && issuedAt <= validAfter;
    }

    /// @inheritdoc IMarketplace
    function tokensValidAfter(DealId id) external view returns (uint64) {
        return _tokensValidAfter[id];
    }

    /// @dev Whether `signature` is an ECDSA signature of `digest` by a delegate of `owner` holding
    /// {PERMISSION_REPAIR}. Only plain keys can be delegates (no ERC-1271 here).
    function _signedByRepairDelegate(address owner, bytes32 digest, bytes calldata signature) internal view returns (bool) {
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, signature);
        // A failed recovery gives address(0), which never holds a permission (setDelegate refuses it).
        return err == ECDSA.RecoverError.NoError && _delegations[owner][signer] & PERMISSION_REPAIR != 0;
    }

    /// @dev Reverts with `DealNotFound`, or `NotDealOwner` unless the caller owns the deal or is a
    /// delegate of its owner holding {PERMISSION_READ}.
    function _checkRevoker(DealId id) private view {
        address owner = _existingDeal(id).owner;
        if (msg.sender != owner && _delegations[owner][msg.sender] & PERMISSION_READ == 0) {
            revert NotDealOwner(id, msg.sender);
        }
    }
}
