// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPeerRegistry} from "./IPeerRegistry.sol";
import {Peer} from "./Peer.sol";
import {RegistryConfig, RegistryConfigs} from "./RegistryConfig.sol";

/// @title Peer records and the peer list
/// @notice Keeps one record per operator and a list of registered operators that can be paged
/// through, decides which peers are active, and holds the configuration.
/// @dev The list is unordered: removal moves the last entry into the freed index (swap-and-pop).
abstract contract Peers is IPeerRegistry {
    using RegistryConfigs for RegistryConfig;

    /// @dev A {Peer} as stored: `stake` and `lockedStake` share one word, so that a penalty reads and
    /// writes one word. Stakes stay below 2^128 (checked where a stake grows, see {_checkStake}).
    struct PeerRecord {
        address operator;
        string endpoint;
        uint64 capacity;
        uint256 pricePerGiBEpoch;
        uint128 stake;
        uint128 lockedStake;
        uint64 registeredAt;
        uint64 lastHeartbeat;
        uint64 exitRequestedAt;
    }

    /// @notice The largest stake a peer may hold (the stored width).
    uint256 internal constant MAX_STAKE = type(uint128).max;

    // The configuration never changes after deployment, so it lives in immutables (no storage reads).
    uint256 internal immutable _minStake;
    uint64 internal immutable _heartbeatTimeout;
    uint64 internal immutable _evictionDelay;
    uint64 internal immutable _unbondingDelay;
    uint32 internal immutable _maxEndpointLength;

    mapping(address operator => PeerRecord record) private _peers;
    address[] private _operators;
    // Index in `_operators` plus one; 0 means "not in the list".
    mapping(address operator => uint256 indexPlusOne) private _positions;

    /// @param registryConfig Validated here; reverts with `InvalidConfig(field)`.
    constructor(RegistryConfig memory registryConfig) {
        registryConfig.validate();
        _minStake = registryConfig.minStake;
        _heartbeatTimeout = registryConfig.heartbeatTimeout;
        _evictionDelay = registryConfig.evictionDelay;
        _unbondingDelay = registryConfig.unbondingDelay;
        _maxEndpointLength = registryConfig.maxEndpointLength;
    }

    /// @inheritdoc IPeerRegistry
    function config() external view returns (RegistryConfig memory) {
        return RegistryConfig(_minStake, _heartbeatTimeout, _evictionDelay, _unbondingDelay, _maxEndpointLength);
    }

    /// @inheritdoc IPeerRegistry
    function peer(address operator) external view returns (Peer memory) {
        return _toPeer(_peers[operator]);
    }

    /// @inheritdoc IPeerRegistry
    function isRegistered(address operator) external view returns (bool) {
        return _isRegistered(operator);
    }

    /// @inheritdoc IPeerRegistry
    function isActive(address operator) external view returns (bool) {
        return _isActive(_peers[operator]);
    }

    /// @inheritdoc IPeerRegistry
    function peerCount() external view returns (uint256) {
        return _operators.length;
    }

    /// @inheritdoc IPeerRegistry
    function activePeers(uint256 offset, uint256 limit) external view returns (Peer[] memory page, uint256 next) {
        uint256 count = _operators.length;
        if (limit == 0 || offset >= count) return (new Peer[](0), count);
        // offset < count here, so `count - offset` cannot underflow; comparing first keeps
        // `offset + limit` from overflowing when the caller passes a huge limit.
        uint256 end = limit >= count - offset ? count : offset + limit;
        // Two passes: count the active entries, then copy them, so the page has no empty tail.
        uint256 found = 0;
        for (uint256 i = offset; i < end; ++i) {
            if (_isActive(_peers[_operators[i]])) ++found;
        }
        page = new Peer[](found);
        uint256 filled = 0;
        for (uint256 i = offset; i < end && filled < found; ++i) {
            PeerRecord storage record = _peers[_operators[i]];
            if (_isActive(record)) page[filled++] = _toPeer(record);
        }
        return (page, end);
    }

    /// @dev Creates the caller's record and appends it to the list. The caller checks the inputs
    /// (`stake` with {_checkStake}).
    function _addPeer(string calldata endpoint, uint64 capacity, uint256 pricePerGiBEpoch, uint256 stake) internal {
        uint64 now_ = _now();
        _peers[msg.sender] = PeerRecord({
            operator: msg.sender,
            endpoint: endpoint,
            capacity: capacity,
            pricePerGiBEpoch: pricePerGiBEpoch,
            // stake <= MAX_STAKE: checked by the caller.
            stake: uint128(stake),
            lockedStake: 0,
            registeredAt: now_,
            lastHeartbeat: now_,
            exitRequestedAt: 0
        });
        _operators.push(msg.sender);
        _positions[msg.sender] = _operators.length;
    }

    /// @dev Deletes a record and removes it from the list by moving the last entry into its place.
    function _removePeer(address operator) internal {
        // A registered operator always has a position >= 1, so `- 1` cannot underflow.
        uint256 index = _positions[operator] - 1;
        uint256 lastIndex = _operators.length - 1;
        if (index != lastIndex) {
            address moved = _operators[lastIndex];
            _operators[index] = moved;
            _positions[moved] = index + 1;
        }
        _operators.pop();
        delete _positions[operator];
        delete _peers[operator];
    }

    /// @dev Whether `operator` has a record.
    function _isRegistered(address operator) internal view returns (bool) {
        return _peers[operator].operator != address(0);
    }

    /// @dev The record of `operator`, registered or not (zeroed when not).
    function _peerRecord(address operator) internal view returns (PeerRecord storage) {
        return _peers[operator];
    }

    /// @dev The record of a registered operator; reverts with `PeerNotRegistered` otherwise.
    function _registeredPeer(address operator) internal view returns (PeerRecord storage record) {
        record = _peers[operator];
        if (record.operator == address(0)) revert PeerNotRegistered(operator);
    }

    /// @dev The record of a registered operator that is not exiting; reverts otherwise.
    function _livePeer(address operator) internal view returns (PeerRecord storage record) {
        record = _registeredPeer(operator);
        if (record.exitRequestedAt != 0) revert PeerIsExiting(operator);
    }

    /// @dev Reverts with `EndpointInvalid` or `CapacityZero` when an offer breaks the rules.
    function _checkOffer(string calldata endpoint, uint64 capacity) internal view {
        uint256 length = bytes(endpoint).length;
        if (length == 0 || length > _maxEndpointLength) revert EndpointInvalid(length, _maxEndpointLength);
        if (capacity == 0) revert CapacityZero();
    }

    /// @dev Whether a record counts as active now (see {IPeerRegistry-isActive}).
    function _isActive(PeerRecord storage record) internal view returns (bool) {
        return
            record.operator != address(0) &&
            record.exitRequestedAt == 0 &&
            record.stake >= _minStake &&
            block.timestamp <= uint256(record.lastHeartbeat) + _heartbeatTimeout;
    }

    /// @dev Reverts with `StakeAboveMaximum` when a peer's stake would pass MAX_STAKE.
    function _checkStake(uint256 stake) internal pure {
        if (stake > MAX_STAKE) revert StakeAboveMaximum(stake, MAX_STAKE);
    }

    /// @dev The view of a stored record.
    function _toPeer(PeerRecord storage record) internal view returns (Peer memory) {
        return
            Peer({
                operator: record.operator,
                endpoint: record.endpoint,
                capacity: record.capacity,
                pricePerGiBEpoch: record.pricePerGiBEpoch,
                stake: record.stake,
                lockedStake: record.lockedStake,
                registeredAt: record.registeredAt,
                lastHeartbeat: record.lastHeartbeat,
                exitRequestedAt: record.exitRequestedAt
            });
    }

    /// @dev The block timestamp as a uint64: it fits for the next 500 billion years.
    function _now() internal view returns (uint64) {
        return uint64(block.timestamp);
    }
}
