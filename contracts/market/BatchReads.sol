// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IMarketplace} from "./IMarketplace.sol";
import {Deal, DealId, Ledger} from "./MarketTypes.sol";
import {Payments} from "./Payments.sol";

/// @title BatchReads: the views a client reads in bulk
/// @notice A client lists every active peer with its ledger (placement's score) and every deal of its
/// owner (`dhost ls`). One call per page instead of one per peer or per deal keeps those lists at
/// O(n / page) JSON-RPC calls: 1,000 peers take 5 ledger calls of 200, 10,000 deals 50 pages of 200.
/// @dev Views only. Their cost is the caller's `eth_call` gas, linear in the page: a page of 200 deals
/// measured 2.9 Mgas, far under the usual call gas caps of RPC endpoints.
abstract contract BatchReads is Payments {
    /// @inheritdoc IMarketplace
    function ledger(address peer) external view returns (Ledger memory) {
        return _toLedger(_ledgerOf(peer));
    }

    /// @inheritdoc IMarketplace
    function ledgers(address[] calldata peers) external view returns (Ledger[] memory books) {
        uint256 count = peers.length;
        books = new Ledger[](count);
        for (uint256 i = 0; i < count; ++i) books[i] = _toLedger(_ledgerOf(peers[i]));
    }

    /// @inheritdoc IMarketplace
    function dealRecordsOf(
        address owner,
        uint256 offset,
        uint256 limit
    ) external view returns (DealId[] memory ids, Deal[] memory records, uint256 total) {
        (ids, total) = _dealPage(owner, offset, limit);
        uint256 count = ids.length;
        records = new Deal[](count);
        for (uint256 i = 0; i < count; ++i) records[i] = _toDeal(_dealRecord(ids[i]));
    }

    /// @dev The view of a stored ledger.
    function _toLedger(LedgerRecord storage book) private view returns (Ledger memory) {
        return Ledger(book.bytesHeld, book.epochsProven, book.proofsMissed, book.earned, book.subsidy);
    }
}
