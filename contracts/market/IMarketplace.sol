// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IMarketErrors} from "./IMarketErrors.sol";
import {IMarketEvents} from "./IMarketEvents.sol";
import {MarketConfig} from "./MarketConfig.sol";
import {Deal, DealId, Ledger, Slot, SlotId} from "./MarketTypes.sol";

/// @title dhost storage marketplace
/// @notice Owners open deals (escrow), commit a root over their slot roots and assign each slot to a
/// peer (EIP-712); the assigned peer fills the slot, locking collateral from its registry stake. Each
/// epoch a seed challenges a random sample of slots at a random segment; proofs are Merkle proofs of
/// 512-byte segments. An epoch is paid only once settled. See docs/marketplace.md.
interface IMarketplace is IMarketErrors, IMarketEvents {
    /// @notice Opens a deal and pulls `slots * durationEpochs * pricePerSlotEpoch` from the caller (allowance).
    /// @dev Requires: unused id ({DealAlreadyExists}); non-zero `slots`, `bytesPerSlot`, `durationEpochs`,
    /// `pricePerSlotEpoch`, price and escrow below 2^128, at most 2^40 segments ({InvalidDealParameter}).
    /// startEpoch = currentEpoch() + 1. Emits {DealOpened}.
    /// @param id The file id, used as deal id.
    /// @param slots Number of slots (columns).
    /// @param bytesPerSlot Largest size of a slot in bytes.
    /// @param durationEpochs Paid epochs per slot.
    /// @param pricePerSlotEpoch Token wei per slot per epoch.
    function openDeal(DealId id, uint16 slots, uint64 bytesPerSlot, uint32 durationEpochs, uint256 pricePerSlotEpoch) external;

    /// @notice {openDeal}, first trying an EIP-2612 permit for the escrow; a failing permit (for example
    /// one front-run by its publication) is ignored and the allowance is used.
    /// @param id The deal id.
    /// @param slots Number of slots.
    /// @param bytesPerSlot Largest size of a slot.
    /// @param durationEpochs Paid epochs per slot.
    /// @param pricePerSlotEpoch Token wei per slot per epoch.
    /// @param permitDeadline The permit's deadline.
    /// @param v Permit signature v.
    /// @param r Permit signature r.
    /// @param s Permit signature s.
    function openDealWithPermit(
        DealId id,
        uint16 slots,
        uint64 bytesPerSlot,
        uint32 durationEpochs,
        uint256 pricePerSlotEpoch,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    /// @notice Commits the deal root, once: the root of the tree over `slotRootLeaf(column, slotRoot)` for
    /// every column (protocol/merkle.ts `rootOfLeaves` over `slotRootLeaf`s). The chain never sees the slot roots:
    /// each assigned peer proves its own against this root in {fillSlot}.
    /// @dev Requires: deal exists ({DealNotFound}); owner ({NotDealOwner}); not committed ({RootAlreadyCommitted});
    /// not cancelled ({DealIsCancelled}); `root != 0` ({InvalidDealParameter} "root": zero means "not
    /// committed"); `1 <= segmentCount <= ceil(bytesPerSlot / 512)` ({SegmentCountOutOfRange}).
    /// Emits {DealRootCommitted}.
    /// @param id The deal id.
    /// @param root The deal root over the slot-root leaves, by column.
    /// @param segmentCount Segments per slot (all columns have the same length).
    function commitRoot(DealId id, bytes32 root, uint64 segmentCount) external;

    /// @notice Fills a slot as the peer the owner assigned, locking collateral from the caller's stake.
    /// @dev Requires: deal exists, root committed, column < slots, not cancelled, not ended,
    /// `block.timestamp <= assignmentDeadline` ({AssignmentExpired}), a signature over
    /// Assignment(dealId, column, msg.sender, deadline) by the owner (ERC-1271 or ECDSA, checked first) or,
    /// failing that, an ECDSA signature by a delegate of the owner holding `PERMISSION_REPAIR`
    /// ({InvalidAssignment}), slot Empty or Freed
    /// ({SlotNotFillable}), caller active ({PeerNotActive}), `rootProof` proves `slotRoot` at `column`
    /// ({InvalidProofLength}, {SlotRootNotInDeal}). Refilling a freed slot pays the deal's repair fund to
    /// the caller. Emits {SlotFilled}.
    /// @param id The deal id.
    /// @param column The column.
    /// @param slotRoot The slot root of the bytes the caller received.
    /// @param rootProof Siblings of the slot-root leaf in the deal tree, bottom-up.
    /// @param assignmentDeadline The assignment's deadline.
    /// @param ownerSignature The EIP-712 signature of the assignment by the owner or a repair delegate.
    function fillSlot(
        DealId id,
        uint16 column,
        bytes32 slotRoot,
        bytes32[] calldata rootProof,
        uint64 assignmentDeadline,
        bytes calldata ownerSignature
    ) external;

    /// @notice Extends a deal by `extraEpochs`, pulling `slots * extraEpochs * price` from the caller.
    /// @dev Requires: owner, not cancelled, not ended, `extraEpochs > 0` ({InvalidDealParameter}). Emits {DealExtended}.
    /// @param id The deal id.
    /// @param extraEpochs Epochs to add.
    function extendDeal(DealId id, uint32 extraEpochs) external;

    /// @notice Cancels a deal: epochs before the current one settle as usual, every slot filled now is
    /// also paid `min(minFillEpochs, epochs cut)` epochs when it finishes, the rest returns via {withdrawRefund}.
    /// @dev Requires: owner, not cancelled, not ended. Emits {DealCancelled}.
    /// @param id The deal id.
    function cancelDeal(DealId id) external;

    /// @notice Frees a slot whose peer's heartbeat is older than `lapseFreeSeconds`; the remaining
    /// collateral is slashed into the deal's repair fund, unclaimed epochs are forfeited.
    /// @dev Requires: slot Filled ({SlotNotFilled}), heartbeat lapsed ({HeartbeatNotLapsed}). Emits {SlotFreed} (reason 1).
    /// @param slot The slot id.
    function freeLapsedSlot(SlotId slot) external;

    /// @notice Fixes the seed block of epoch currentEpoch()+1 as block.number + 1. The first call wins;
    /// later calls for the same epoch do nothing (no revert, no event), so racing provers waste no transaction.
    /// @dev Emits {SeedBlockFixed} on the first call.
    function fixSeedBlock() external;

    /// @notice Records the seed of `epoch`: keccak256(abi.encode(blockhash(N), epoch)).
    /// @dev Requires: N fixed ({SeedBlockNotFixed}), not recorded ({SeedAlreadyRecorded}), N < block.number
    /// ({SeedBlockNotMined}), block.number <= N + 256 ({SeedExpired}). Emits {SeedRecorded}.
    /// @param epoch The epoch.
    function recordSeed(uint64 epoch) external;

    /// @notice Whether a slot is challenged in an epoch and at which segment; false when the seed is
    /// not recorded or the epoch is outside the slot's paid range (after its fill, inside the deal).
    /// @param slot The slot id.
    /// @param epoch The epoch.
    /// @return challenged Whether it is challenged.
    /// @return segmentIndex The challenged segment (0 when not challenged).
    function challengeOf(SlotId slot, uint64 epoch) external view returns (bool challenged, uint64 segmentIndex);

    /// @notice Proves the current epoch's challenge of a slot with a 512-byte segment and its Merkle proof.
    /// @dev Anyone may send it (the ledger credits the slot's peer). Requires: slot Filled ({SlotNotFilled}),
    /// seed recorded ({SeedNotRecorded}), challenged ({NotChallenged}), segment of 512 bytes
    /// ({InvalidSegmentLength}), proof length = depth(segmentCount) ({InvalidProofLength}), not proven
    /// ({AlreadyProven}), valid ({InvalidProof}). Emits {ProofSubmitted}.
    /// @param slot The slot id.
    /// @param segment The challenged segment's bytes.
    /// @param proof Siblings bottom-up.
    function submitProof(SlotId slot, bytes calldata segment, bytes32[] calldata proof) external;

    /// @notice Marks a slot's proof of `epoch` missing: takes `slashPpm` of its collateral from the peer's
    /// locked stake in the registry (`penalizeStake`, no token moves), credits `markerRewardPpm` of that to
    /// the caller there (a pull payment: `PeerRegistry.withdrawCredit`) and forfeits the rest, which stays
    /// in the registry owned by nobody, so no deal owner profits from a host's failure. At `maxMisses` the
    /// slot is freed and its remaining collateral goes to the deal's repair fund.
    /// @dev Requires: slot Filled ({SlotNotFilled}), currentEpoch() in (epoch, epoch + window]
    /// ({NotInMissingWindow}), seed recorded ({SeedNotRecorded}), challenged ({NotChallenged}), not proven
    /// ({AlreadyProven}), not marked ({AlreadyMarked}). Emits {ProofMissed} and maybe {SlotFreed} (reason 0).
    /// @param slot The slot id.
    /// @param epoch The epoch of the missing proof.
    function markProofMissing(SlotId slot, uint64 epoch) external;

    /// @notice Settles up to `maxClaimEpochs` epochs of the caller's slot and pays the paid ones
    /// (plus subsidy when on). Once the deal is over, every epoch settled and the last missing window
    /// closed, also pays the cancel minimum (if cancelled), unlocks the collateral and finishes the slot.
    /// @dev Records a missing seed on the way when it can. Requires: slot Filled ({SlotNotFilled}), caller is
    /// its peer ({NotSlotPeer}), something to do ({NothingToClaim}). Emits {Claimed}, maybe {CollateralReleased}.
    /// @param slot The slot id.
    function claim(SlotId slot) external;

    /// @notice Pays the owner the escrow no slot can still earn, plus the leftover repair fund.
    /// @dev Requires: owner ({NotDealOwner}), deal over or cancelled ({DealNotEnded}), something to pay
    /// ({NothingToRefund}). May be called again as slots settle. Emits {RefundWithdrawn}.
    /// @param id The deal id.
    function withdrawRefund(DealId id) external;

    /// @notice Sets the permissions a delegate holds for every deal of the caller (the owner):
    /// `PERMISSION_READ` (1) lets it sign retrieval tokens and revoke them, `PERMISSION_REPAIR` (2) lets it
    /// sign slot assignments ({fillSlot}) and, off chain, write shards and commit notices and issue
    /// repair-scope tokens. `permissions == 0` removes the delegate. Replaces the previous bits.
    /// @dev Requires: `delegate != address(0)` ({MarketZeroAddress} "delegate"), `delegate != msg.sender`
    /// ({InvalidDelegate}), `permissions <= 3` ({InvalidPermissions}). Emits {DelegateSet}.
    /// @param delegate The delegate.
    /// @param permissions The permission bits.
    function setDelegate(address delegate, uint8 permissions) external;

    /// @notice Revokes one retrieval token of a deal by its nonce: {tokenRevoked} is true for it from now on.
    /// Revoking a revoked nonce is allowed (idempotent) and emits again.
    /// @dev Requires: deal exists ({DealNotFound}); caller is the owner or a delegate of the owner holding
    /// `PERMISSION_READ` ({NotDealOwner}). Works on cancelled and ended deals. Emits {TokenRevoked}.
    /// @param id The deal id.
    /// @param nonce The token's nonce.
    function revokeToken(DealId id, bytes32 nonce) external;

    /// @notice Revokes every retrieval token of a deal issued until now: sets {tokensValidAfter} to
    /// `block.timestamp`, so a token with `issuedAt <= tokensValidAfter` is revoked.
    /// @dev Requires: deal exists ({DealNotFound}); caller is the owner or a delegate of the owner holding
    /// `PERMISSION_READ` ({NotDealOwner}). Emits {AllTokensRevoked}.
    /// @param id The deal id.
    function revokeAllTokens(DealId id) external;

    /// @notice The permission bits `owner` gave `delegate` (0: none).
    /// @param owner The owner.
    /// @param delegate The delegate.
    /// @return permissions `PERMISSION_READ` (1) | `PERMISSION_REPAIR` (2).
    function delegation(address owner, address delegate) external view returns (uint8 permissions);

    /// @notice Whether a retrieval token of the deal is revoked: its nonce was revoked, or
    /// `tokensValidAfter(id) != 0` and `issuedAt <= tokensValidAfter(id)`. Peers ask before serving a read.
    /// @param id The deal id.
    /// @param nonce The token's nonce.
    /// @param issuedAt The token's issue time (unix seconds).
    /// @return True when the token must be refused.
    function tokenRevoked(DealId id, bytes32 nonce, uint64 issuedAt) external view returns (bool);

    /// @notice The time of the deal's last {revokeAllTokens}: tokens issued at or before it are revoked; 0 if never.
    /// @param id The deal id.
    /// @return Unix seconds.
    function tokensValidAfter(DealId id) external view returns (uint64);

    /// @notice The current epoch: (block.timestamp - genesis) / epochLength.
    /// @return The epoch.
    function currentEpoch() external view returns (uint64);

    /// @notice The configuration fixed at deployment.
    /// @return The configuration.
    function config() external view returns (MarketConfig memory);

    /// @notice A deal; zeroed (`owner == address(0)`) when none has that id.
    /// @param id The deal id.
    /// @return The deal.
    function deal(DealId id) external view returns (Deal memory);

    /// @notice A slot; zeroed (state Empty) when never filled.
    /// @param id The slot id.
    /// @return The slot.
    function slot(SlotId id) external view returns (Slot memory);

    /// @notice keccak256(abi.encode(id, uint256(column))).
    /// @param id The deal id.
    /// @param column The column.
    /// @return The slot id.
    function slotIdOf(DealId id, uint16 column) external pure returns (SlotId);

    /// @notice An epoch's seed; 0 when not recorded.
    /// @param epoch The epoch.
    /// @return The seed.
    function seedOf(uint64 epoch) external view returns (bytes32);

    /// @notice An epoch's seed block; 0 when not fixed.
    /// @param epoch The epoch.
    /// @return The block number.
    function seedBlockOf(uint64 epoch) external view returns (uint256);

    /// @notice Whether the slot's current fill proved its challenge of `epoch`.
    /// @param slot The slot id.
    /// @param epoch The epoch.
    /// @return True when proven.
    function isProven(SlotId slot, uint64 epoch) external view returns (bool);

    /// @notice A peer's storage contribution.
    /// @param peer The peer.
    /// @return The ledger.
    function ledger(address peer) external view returns (Ledger memory);

    /// @notice The ledgers of several peers in one call, in the order asked (a peer without a ledger
    /// gets zeros), so a client lists N peers with their ledgers in O(N / page) calls.
    /// @param peers The peers.
    /// @return books `books[i]` is the ledger of `peers[i]`.
    function ledgers(address[] calldata peers) external view returns (Ledger[] memory books);

    /// @notice One page of an owner's deals with their records, oldest first: {dealsOf} and {deal} for
    /// each id in one call.
    /// @param owner The owner.
    /// @param offset First index.
    /// @param limit Most deals returned.
    /// @return ids The page's deal ids.
    /// @return records `records[i]` is `deal(ids[i])`.
    /// @return total The owner's number of deals.
    function dealRecordsOf(
        address owner,
        uint256 offset,
        uint256 limit
    ) external view returns (DealId[] memory ids, Deal[] memory records, uint256 total);

    /// @notice One page of an owner's deals, oldest first.
    /// @param owner The owner.
    /// @param offset First index.
    /// @param limit Most ids returned.
    /// @return ids The page.
    /// @return total The owner's number of deals.
    function dealsOf(address owner, uint256 offset, uint256 limit) external view returns (DealId[] memory ids, uint256 total);

    /// @notice The EIP-712 digest the owner signs to assign `column` of deal `id` to `peer` until `deadline`.
    /// @param id The deal id.
    /// @param column The column.
    /// @param peer The peer.
    /// @param deadline Last timestamp at which the fill is accepted.
    /// @return The digest.
    function assignmentDigest(DealId id, uint16 column, address peer, uint64 deadline) external view returns (bytes32);
}
