// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DealId, SlotId} from "./MarketTypes.sol";

/// @title Events of the marketplace
/// @notice Every event `Marketplace` emits, each right after the state change it reports, indexed by id.
interface IMarketEvents {
    /// @notice A deal was opened and its escrow pulled.
    /// @param id The deal id.
    /// @param owner The owner.
    /// @param slots Number of slots.
    /// @param bytesPerSlot Largest size of a slot.
    /// @param durationEpochs Paid epochs per slot.
    /// @param pricePerSlotEpoch Token wei per slot per epoch.
    /// @param startEpoch First paid epoch.
    event DealOpened(
        DealId indexed id,
        address indexed owner,
        uint16 slots,
        uint64 bytesPerSlot,
        uint32 durationEpochs,
        uint256 pricePerSlotEpoch,
        uint64 startEpoch
    );

    /// @notice The owner committed the deal root. The slot roots themselves travel off chain (each peer
    /// computes its own from the bytes it received and proves it against this root in `fillSlot`).
    /// @param id The deal id.
    /// @param root The root over the slot-root leaves.
    /// @param segmentCount Segments per slot.
    event DealRootCommitted(DealId indexed id, bytes32 root, uint64 segmentCount);

    /// @notice A peer filled a slot and locked its collateral.
    /// @param id The deal id.
    /// @param slot The slot id.
    /// @param column The column.
    /// @param peer The peer.
    /// @param collateral The collateral locked.
    event SlotFilled(DealId indexed id, SlotId indexed slot, uint16 column, address indexed peer, uint256 collateral);

    /// @notice The owner extended the deal.
    /// @param id The deal id.
    /// @param extraEpochs Epochs added.
    /// @param endEpoch The new end epoch.
    event DealExtended(DealId indexed id, uint32 extraEpochs, uint64 endEpoch);

    /// @notice The owner cancelled the deal.
    /// @param id The deal id.
    /// @param atEpoch The epoch of the cancel: the deal's new end epoch, unless it had not started.
    event DealCancelled(DealId indexed id, uint64 atEpoch);

    /// @notice The seed block of an epoch was fixed.
    /// @param epoch The epoch whose seed the block gives.
    /// @param blockNumber The seed block.
    event SeedBlockFixed(uint64 indexed epoch, uint256 blockNumber);

    /// @notice An epoch's seed was recorded.
    /// @param epoch The epoch.
    /// @param seed The seed.
    event SeedRecorded(uint64 indexed epoch, bytes32 seed);

    /// @notice A slot's challenge was proven.
    /// @param slot The slot id.
    /// @param epoch The epoch.
    /// @param by The sender of the proof.
    event ProofSubmitted(SlotId indexed slot, uint64 indexed epoch, address indexed by);

    /// @notice A slot's proof was marked missing and its collateral slashed in the registry: `markerReward`
    /// credited to the marker there (withdrawn with `PeerRegistry.withdrawCredit`), the rest forfeited.
    /// @param slot The slot id.
    /// @param epoch The epoch of the missing proof.
    /// @param marker Who marked it.
    /// @param slashed Collateral taken from the peer's locked stake.
    /// @param markerReward Part of `slashed` credited to the marker in the registry.
    event ProofMissed(SlotId indexed slot, uint64 indexed epoch, address indexed marker, uint256 slashed, uint256 markerReward);

    /// @notice A slot was freed; its remaining collateral went to the deal's repair fund.
    /// @param slot The slot id.
    /// @param id The deal id.
    /// @param column The column.
    /// @param peer The peer that held it.
    /// @param reason 0 = too many missed proofs, 1 = lapsed heartbeat.
    event SlotFreed(SlotId indexed slot, DealId indexed id, uint16 column, address indexed peer, uint8 reason);

    /// @notice A slot's peer claimed its settled epochs.
    /// @param slot The slot id.
    /// @param peer The peer.
    /// @param amount Token wei paid from escrow.
    /// @param settledThrough The last settled epoch.
    event Claimed(SlotId indexed slot, address indexed peer, uint256 amount, uint64 settledThrough);

    /// @notice A finished slot's collateral was unlocked in the registry.
    /// @param slot The slot id.
    /// @param peer The peer.
    /// @param amount The collateral unlocked.
    event CollateralReleased(SlotId indexed slot, address indexed peer, uint256 amount);

    /// @notice The owner withdrew escrow not owed to any slot (and the leftover repair fund).
    /// @param id The deal id.
    /// @param amount Token wei paid.
    event RefundWithdrawn(DealId indexed id, uint256 amount);

    /// @notice An owner set the permissions of a delegate for all of its deals (0: the delegate was removed).
    /// @param owner The owner.
    /// @param delegate The delegate.
    /// @param permissions The delegate's permission bits now: `PERMISSION_READ` (1) | `PERMISSION_REPAIR` (2).
    event DelegateSet(address indexed owner, address indexed delegate, uint8 permissions);

    /// @notice A retrieval token of a deal was revoked by its nonce.
    /// @param id The deal id.
    /// @param nonce The token's nonce.
    /// @param by The owner or the delegate that revoked it.
    event TokenRevoked(DealId indexed id, bytes32 indexed nonce, address by);

    /// @notice Every retrieval token of a deal issued at or before `validAfter` was revoked.
    /// @param id The deal id.
    /// @param validAfter The deal's new `tokensValidAfter`: the block timestamp of the revocation.
    /// @param by The owner or the delegate that revoked them.
    event AllTokensRevoked(DealId indexed id, uint64 validAfter, address by);
}
