// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IPeerRegistryErrors} from "./IPeerRegistryErrors.sol";
import {IPeerRegistryEvents} from "./IPeerRegistryEvents.sol";
import {Peer} from "./Peer.sol";
import {RegistryConfig} from "./RegistryConfig.sol";

/// @title Peer registry
/// @notice Storage peers register here with an endpoint, an offer and a stake in the reward token,
/// prove they are alive with heartbeats, and leave through an unbonding delay. The market (holder of
/// `MARKET_ROLE`) locks part of a peer's stake as collateral and penalizes it for missed proofs (a
/// marker's share is credited, the rest forfeited) or slashes it when it frees the peer's slot.
/// @dev A peer's life: `register` → (`updatePeer`, `addStake`, `heartbeat`)* → `beginExit` or `evict`
/// → unbonding → `withdrawStake`, after which the operator may register again.
interface IPeerRegistry is IPeerRegistryErrors, IPeerRegistryEvents {
    /// @notice Registers the caller as a peer and pulls its stake (needs an allowance).
    /// @dev Requires: no record for the caller ({PeerAlreadyRegistered}); endpoint non-empty and at most
    /// `maxEndpointLength` bytes ({EndpointInvalid}); `capacity > 0` ({CapacityZero}); `stake >= minStake`
    /// ({StakeBelowMinimum}). Sets `registeredAt` and `lastHeartbeat` to now. Emits {PeerRegistered}.
    /// @param endpoint Public base URL of the node's HTTP API.
    /// @param capacity Bytes offered.
    /// @param pricePerGiBEpoch Token wei asked per GiB per epoch.
    /// @param stake Token wei pulled from the caller with `transferFrom`.
    function register(string calldata endpoint, uint64 capacity, uint256 pricePerGiBEpoch, uint256 stake) external;

    /// @notice Replaces the caller's endpoint, capacity and price.
    /// @dev Requires: registered ({PeerNotRegistered}), not exiting ({PeerIsExiting}), and the same
    /// endpoint and capacity rules as {register}. Emits {PeerUpdated}.
    /// @param endpoint Public base URL of the node's HTTP API.
    /// @param capacity Bytes offered.
    /// @param pricePerGiBEpoch Token wei asked per GiB per epoch.
    function updatePeer(string calldata endpoint, uint64 capacity, uint256 pricePerGiBEpoch) external;

    /// @notice Pulls `amount` more stake from the caller (needs an allowance).
    /// @dev Requires: `amount > 0` ({ZeroAmount}), registered ({PeerNotRegistered}), not exiting
    /// ({PeerIsExiting}). Emits {StakeAdded}.
    /// @param amount Token wei to add.
    function addStake(uint256 amount) external;

    /// @notice Records that the caller is alive now. An exiting peer keeps heartbeating until it
    /// withdraws: it still serves and proves the slots it holds (which keeps the market from freeing
    /// them as lapsed), but it stays inactive and takes no new slots.
    /// @dev Requires: registered ({PeerNotRegistered}). Emits {HeartbeatReceived}.
    function heartbeat() external;

    /// @notice Starts the caller's exit: it stops being active at once (no new slots, no stake locked)
    /// and may withdraw its stake after `unbondingDelay`, once no stake is locked. Until then it keeps
    /// heartbeating and proving the slots it holds, to the end of their deals. There is no way back but withdrawing and
    /// registering again.
    /// @dev Requires: registered ({PeerNotRegistered}), not exiting ({PeerIsExiting}). Emits {ExitBegun}.
    function beginExit() external;

    /// @notice Pays out the caller's stake and deletes its record.
    /// @dev Requires: registered ({PeerNotRegistered}), exiting ({PeerNotExiting}), `unbondingDelay`
    /// passed since the exit began ({UnbondingNotOver}), no locked stake ({StakeIsLocked}). The last
    /// peer in the list takes the removed one's place. Emits {StakeWithdrawn}.
    function withdrawStake() external;

    /// @notice Starts the exit of a peer whose heartbeat lapsed more than `evictionDelay` ago, so it
    /// drops out for good. Anyone may call it. The operator can still withdraw its stake after unbonding.
    /// @dev Requires: registered ({PeerNotRegistered}), not exiting ({PeerIsExiting}), now later than
    /// `lastHeartbeat + evictionDelay` ({PeerStillAlive}). Emits {PeerEvicted}.
    /// @param peer The operator address of the peer to evict.
    function evict(address peer) external;

    /// @notice Locks `amount` of a peer's stake as collateral. Only the market.
    /// @dev Requires: `MARKET_ROLE` (`AccessControlUnauthorizedAccount`), `amount > 0` ({ZeroAmount}),
    /// registered ({PeerNotRegistered}), not exiting ({PeerIsExiting}: an exiting peer takes no new
    /// commitments), `amount <= stake - lockedStake` ({InsufficientUnlockedStake}). Emits {StakeLocked}.
    /// @param peer The operator address.
    /// @param amount Token wei to lock.
    function lockStake(address peer, uint256 amount) external;

    /// @notice Releases `amount` of a peer's locked stake. Only the market.
    /// @dev Requires: `MARKET_ROLE` (`AccessControlUnauthorizedAccount`), `amount > 0` ({ZeroAmount}),
    /// registered ({PeerNotRegistered}), `amount <= lockedStake` ({InsufficientLockedStake}). Works on
    /// exiting peers too. Emits {StakeUnlocked}.
    /// @param peer The operator address.
    /// @param amount Token wei to unlock.
    function unlockStake(address peer, uint256 amount) external;

    /// @notice Takes `amount` from a peer's locked stake and sends it to `recipient`. Only the market.
    /// @dev Requires: `MARKET_ROLE` (`AccessControlUnauthorizedAccount`), `amount > 0` ({ZeroAmount}),
    /// `recipient` set ({ZeroAddress}), registered ({PeerNotRegistered}), `amount <= lockedStake`
    /// ({InsufficientLockedStake}). Reduces both `stake` and `lockedStake`; works on exiting peers too.
    /// The peer may fall below `minStake` and so become inactive until it adds stake. Emits {StakeSlashed}.
    /// @param peer The operator address.
    /// @param amount Token wei to slash.
    /// @param recipient Receiver of the slashed tokens.
    function slashStake(address peer, uint256 amount, address recipient) external;

    /// @notice Takes `amount` from a peer's locked stake without moving a token: `reward` of it is
    /// credited to `rewardee` (withdrawn with {withdrawCredit}), the rest is forfeited — it stays in the
    /// registry owned by nobody, as Sia sends missed-proof collateral to the void, so that nobody (a
    /// deal owner in particular) profits from a host's failure beyond the rewardee's share. Only the market.
    /// @dev Requires: `MARKET_ROLE` (`AccessControlUnauthorizedAccount`), `amount > 0` ({ZeroAmount}),
    /// `reward <= amount` ({RewardExceedsAmount}), `rewardee` set when `reward > 0` ({ZeroAddress}),
    /// `amount <= lockedStake` ({InsufficientLockedStake}; an unknown peer has none locked). Reduces both
    /// `stake` and `lockedStake`; works on exiting peers too. The peer may fall below `minStake` and so
    /// become inactive until it adds stake. Emits no event (gas: it runs in every `markProofMissing`);
    /// the market's `ProofMissed` reports the amount and the reward (see {IPeerRegistryEvents}).
    /// @param peer The operator address.
    /// @param amount Token wei taken from the stake.
    /// @param rewardee Who is credited `reward` (ignored when `reward == 0`).
    /// @param reward Part of `amount` credited to `rewardee`.
    function penalizeStake(address peer, uint256 amount, address rewardee, uint256 reward) external;

    /// @notice Pays the caller its whole credit (marker rewards of {penalizeStake}).
    /// @dev Requires: a non-zero credit ({NothingToWithdraw}). Emits {CreditWithdrawn}.
    function withdrawCredit() external;

    /// @notice The credit `account` can withdraw now.
    /// @param account The account.
    /// @return Token wei.
    function creditOf(address account) external view returns (uint256);

    /// @notice The total stake forfeited by {penalizeStake} since deployment: tokens the registry holds
    /// that belong to nobody.
    /// @return Token wei.
    function forfeitedStake() external view returns (uint256);

    /// @notice The configuration fixed at deployment.
    /// @return The registry configuration.
    function config() external view returns (RegistryConfig memory);

    /// @notice The token stakes are held in.
    /// @return The stake token.
    function token() external view returns (IERC20);

    /// @notice A peer's record; a zeroed struct (`operator == address(0)`) when there is none.
    /// @param operator The operator address.
    /// @return The record.
    function peer(address operator) external view returns (Peer memory);

    /// @notice Whether `operator` has a record (exiting peers included, until they withdraw).
    /// @param operator The operator address.
    /// @return True when registered.
    function isRegistered(address operator) external view returns (bool);

    /// @notice Whether `operator` is registered, not exiting, staked at least `minStake`, and its last
    /// heartbeat is at most `heartbeatTimeout` seconds old.
    /// @param operator The operator address.
    /// @return True when active.
    function isActive(address operator) external view returns (bool);

    /// @notice The number of registered peers, exiting ones included, until they withdraw.
    /// @return The length of the peer list.
    function peerCount() external view returns (uint256);

    /// @notice One page of the active peers. Scans at most `limit` list entries from index `offset`
    /// and returns the active ones among them, so a page may hold fewer than `limit` peers (or none)
    /// before the end of the list. Loop until `next >= peerCount()`.
    /// @dev The list order changes when a peer withdraws (the last entry moves into its place), so a
    /// scan spanning several blocks may miss or repeat a peer.
    /// @param offset The first list index to scan.
    /// @param limit The most list entries to scan; 0 returns an empty page.
    /// @return page The active peers among the scanned entries, in list order.
    /// @return next `min(offset + limit, peerCount())`: where the next page starts.
    function activePeers(uint256 offset, uint256 limit) external view returns (Peer[] memory page, uint256 next);
}
