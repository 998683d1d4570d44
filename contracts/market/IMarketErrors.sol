// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DealId, SlotId, SlotState} from "./MarketTypes.sol";

/// @title Errors of the marketplace
/// @notice Every custom error `Marketplace` reverts with, declared once. Registry and token errors
/// (for example `InsufficientUnlockedStake` when a peer's stake cannot cover the collateral) bubble up.
interface IMarketErrors {
    /// @notice A configuration value is out of range (constructor).
    /// @param field The name of the offending `MarketConfig` field.
    error InvalidMarketConfig(string field);

    /// @notice An address that must be set is the zero address (constructor, `setDelegate`).
    /// @param field What the address is for: "token", "registry", "admin" or "delegate".
    error MarketZeroAddress(string field);

    /// @notice A deal with this id exists already.
    /// @param id The deal id.
    error DealAlreadyExists(DealId id);

    /// @notice No deal has this id.
    /// @param id The deal id.
    error DealNotFound(DealId id);

    /// @notice A parameter of `openDeal`, `extendDeal` or `commitRoot` is zero or too large.
    /// @param field The parameter's name.
    error InvalidDealParameter(string field);

    /// @notice Only the deal's owner may do this.
    /// @param id The deal id.
    /// @param caller The caller.
    error NotDealOwner(DealId id, address caller);

    /// @notice The deal root was committed already.
    /// @param id The deal id.
    error RootAlreadyCommitted(DealId id);

    /// @notice The deal root is not committed yet.
    /// @param id The deal id.
    error RootNotCommitted(DealId id);

    /// @notice `commitRoot` got a segment count of zero or more than the slot's bytes allow.
    /// @param segmentCount The segment count given.
    /// @param maxSegments `ceil(bytesPerSlot / 512)`.
    error SegmentCountOutOfRange(uint64 segmentCount, uint64 maxSegments);

    /// @notice The owner cancelled the deal.
    /// @param id The deal id.
    error DealIsCancelled(DealId id);

    /// @notice The deal is over (current epoch at or past its end).
    /// @param id The deal id.
    /// @param endEpoch The deal's end epoch.
    error DealHasEnded(DealId id, uint64 endEpoch);

    /// @notice The deal is neither over nor cancelled.
    /// @param id The deal id.
    /// @param endEpoch The deal's end epoch.
    error DealNotEnded(DealId id, uint64 endEpoch);

    /// @notice The column is not one of the deal's slots.
    /// @param column The column.
    /// @param slots The deal's slot count.
    error ColumnOutOfRange(uint16 column, uint16 slots);

    /// @notice The assignment's deadline has passed.
    /// @param deadline The assignment's deadline.
    /// @param timestamp The block timestamp.
    error AssignmentExpired(uint64 deadline, uint256 timestamp);

    /// @notice The assignment is signed for this column, peer and deadline neither by the deal's owner nor by
    /// a delegate of the owner holding `PERMISSION_REPAIR`.
    /// @param id The deal id.
    /// @param column The column.
    /// @param peer The caller, the would-be peer.
    error InvalidAssignment(DealId id, uint16 column, address peer);

    /// @notice The slot is held by a peer or finished, so it cannot be filled.
    /// @param slot The slot id.
    /// @param state The slot's state.
    error SlotNotFillable(SlotId slot, SlotState state);

    /// @notice The peer is not active in the registry.
    /// @param peer The peer.
    error PeerNotActive(address peer);

    /// @notice A Merkle proof's length is not the depth of the tree.
    /// @param length The proof's length.
    /// @param depth The tree's depth.
    error InvalidProofLength(uint256 length, uint256 depth);

    /// @notice The slot root is not at `column` in the deal root.
    /// @param id The deal id.
    /// @param column The column.
    /// @param slotRoot The slot root given.
    error SlotRootNotInDeal(DealId id, uint16 column, bytes32 slotRoot);

    /// @notice The slot is not held by a peer.
    /// @param slot The slot id.
    /// @param state The slot's state.
    error SlotNotFilled(SlotId slot, SlotState state);

    /// @notice The peer's heartbeat is too recent for its slot to be freed.
    /// @param peer The peer.
    /// @param freeableAt The first timestamp at which the slot can be freed.
    error HeartbeatNotLapsed(address peer, uint256 freeableAt);

    /// @notice Nobody fixed the seed block of this epoch (in time).
    /// @param epoch The epoch.
    error SeedBlockNotFixed(uint64 epoch);

    /// @notice The epoch's seed is recorded already.
    /// @param epoch The epoch.
    error SeedAlreadyRecorded(uint64 epoch);

    /// @notice The seed block is not mined yet (its hash becomes readable in the block after it).
    /// @param epoch The epoch.
    /// @param seedBlock The seed block's number.
    error SeedBlockNotMined(uint64 epoch, uint256 seedBlock);

    /// @notice The seed block is more than 256 blocks old: its hash is gone, the seed unrecordable.
    /// @param epoch The epoch.
    /// @param seedBlock The seed block's number.
    error SeedExpired(uint64 epoch, uint256 seedBlock);

    /// @notice The epoch's seed is not recorded.
    /// @param epoch The epoch.
    error SeedNotRecorded(uint64 epoch);

    /// @notice The slot is not challenged in this epoch (or the epoch is outside its paid range).
    /// @param slot The slot id.
    /// @param epoch The epoch.
    error NotChallenged(SlotId slot, uint64 epoch);

    /// @notice A segment must be exactly 512 bytes.
    /// @param length The length given.
    error InvalidSegmentLength(uint256 length);

    /// @notice The slot's challenge of this epoch is proven already.
    /// @param slot The slot id.
    /// @param epoch The epoch.
    error AlreadyProven(SlotId slot, uint64 epoch);

    /// @notice The segment and proof do not lead to the slot root at the challenged index.
    /// @param slot The slot id.
    /// @param epoch The epoch.
    /// @param segmentIndex The challenged segment.
    error InvalidProof(SlotId slot, uint64 epoch, uint64 segmentIndex);

    /// @notice The epoch's proof can only be marked missing while the current epoch is in (epoch, epoch + window].
    /// @param epoch The epoch.
    /// @param currentEpoch The current epoch.
    error NotInMissingWindow(uint64 epoch, uint64 currentEpoch);

    /// @notice The slot's proof of this epoch is marked missing already.
    /// @param slot The slot id.
    /// @param epoch The epoch.
    error AlreadyMarked(SlotId slot, uint64 epoch);

    /// @notice Only the slot's peer may claim.
    /// @param slot The slot id.
    /// @param caller The caller.
    error NotSlotPeer(SlotId slot, address caller);

    /// @notice No epoch can be settled now and the slot cannot finish yet.
    /// @param slot The slot id.
    /// @param settledThrough The last settled epoch.
    error NothingToClaim(SlotId slot, uint64 settledThrough);

    /// @notice The deal holds nothing for the owner now.
    /// @param id The deal id.
    error NothingToRefund(DealId id);

    /// @notice An owner cannot be its own delegate.
    /// @param delegate The address given (the caller).
    error InvalidDelegate(address delegate);

    /// @notice The permission bits are not a combination of `PERMISSION_READ` (1) and `PERMISSION_REPAIR` (2).
    /// @param permissions The bits given.
    error InvalidPermissions(uint8 permissions);
}
