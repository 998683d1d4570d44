// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A deal's id: the file id the client drew (32 random bytes).
type DealId is bytes32;

/// @notice A slot's id: `keccak256(abi.encode(dealId, uint256(column)))`.
type SlotId is bytes32;

/// @notice Where a slot is in its life: never filled, held by a peer, freed (misses or a lapsed
/// heartbeat; may be filled again), or settled to the end with its collateral released.
enum SlotState {
    Empty,
    Filled,
    Freed,
    Finished
}

/// @notice A deal as the `deal(id)` view returns it. `owner == address(0)` means "no deal".
struct Deal {
    /// Who opened (and pays for) the deal; signs the slot assignments.
    address owner;
    /// Number of slots (columns).
    uint16 slots;
    /// Largest number of bytes a slot holds.
    uint64 bytesPerSlot;
    /// Paid epochs per slot (after extensions; shortened by a cancel).
    uint32 durationEpochs;
    /// Token wei per slot per paid epoch.
    uint256 pricePerSlotEpoch;
    /// First paid epoch.
    uint64 startEpoch;
    /// First epoch after the deal (exclusive): `startEpoch + durationEpochs`.
    uint64 endEpoch;
    /// Root of the tree over the slot-root leaves (protocol/merkle.ts `slotRootLeaf`); zero until `commitRoot`.
    bytes32 root;
    /// Segments per slot; zero until `commitRoot`.
    uint64 segmentCount;
    /// Tokens held for the deal and not yet paid out or refunded.
    uint256 escrow;
    /// Remaining collateral of this deal's freed slots (per-miss slashes go elsewhere, see
    /// `markProofMissing`), paid to the peer that refills a freed slot; what is left at the end is refunded.
    uint256 repairFund;
    /// Whether the owner cancelled the deal.
    bool cancelled;
}

/// @notice A slot as the `slot(id)` view returns it.
struct Slot {
    /// The deal the slot belongs to (zero while the slot was never filled).
    DealId dealId;
    /// The slot's column in its deal.
    uint16 column;
    /// The peer holding (or last holding) the slot.
    address peer;
    /// The epoch of the fill; challenges and pay start at `fillEpoch + 1`.
    uint64 fillEpoch;
    /// The last epoch settled by `claim` (paid or unpaid).
    uint64 settledThrough;
    /// Proofs marked missing since the fill.
    uint8 misses;
    /// Collateral still locked for the slot (0 once freed or finished).
    uint256 collateral;
    /// The slot's state.
    SlotState state;
}

/// @notice A peer's storage contribution as the chain records it.
struct Ledger {
    /// Sum of `bytesPerSlot` over the slots the peer holds now.
    uint64 bytesHeld;
    /// Proofs accepted for the peer's slots.
    uint64 epochsProven;
    /// Proofs of the peer's slots marked missing.
    uint64 proofsMissed;
    /// Tokens paid to the peer by `claim` (escrow only).
    uint256 earned;
    /// Tokens minted to the peer as subsidy.
    uint256 subsidy;
}
