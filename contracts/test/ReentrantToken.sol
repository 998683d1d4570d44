// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title A hostile ERC-20 for reentrancy tests
/// @notice Behaves as a plain ERC-20 with open minting, except that once armed its next `transfer` or
/// `transferFrom` first calls a configured target with configured calldata (as a token with transfer
/// hooks lets a receiver do), then moves the tokens. The reentrant call's outcome is recorded and
/// announced, never bubbled, so a test sees both the refused reentry and the outer payout.
/// @dev One shot: the token disarms itself before the call, so a reentrant call that moves tokens
/// does not recurse.
contract ReentrantToken is ERC20 {
    /// @notice The reentrant call was made.
    /// @param target The contract called.
    /// @param success Whether the call succeeded.
    /// @param result Its return data, or its revert data (for example `ReentrancyGuardReentrantCall()`).
    event Reentered(address indexed target, bool success, bytes result);

    address private _target;
    bytes private _data;
    bool private _armed;
    bool private _lastSuccess;
    bytes private _lastResult;

    /// @param initialHolder Receives `initialSupply`.
    /// @param initialSupply Token wei minted at deployment.
    constructor(address initialHolder, uint256 initialSupply) ERC20("Reentrant Token", "REENTER") {
        _mint(initialHolder, initialSupply);
    }

    /// @notice Makes the next `transfer` or `transferFrom` call `target` with `data` first.
    /// @param target The contract to call back into.
    /// @param data The calldata of the reentrant call.
    function arm(address target, bytes calldata data) external {
        _target = target;
        _data = data;
        _armed = true;
    }

    /// @notice Mints `amount` to `to`; open to anyone (the market's subsidy mints through it).
    /// @param to The receiver.
    /// @param amount Token wei.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Whether the token is armed (the reentrant call has not happened yet).
    /// @return True while armed.
    function armed() external view returns (bool) {
        return _armed;
    }

    /// @notice The outcome of the last reentrant call.
    /// @return success Whether it succeeded.
    /// @return result Its return or revert data.
    function lastReentry() external view returns (bool success, bytes memory result) {
        return (_lastSuccess, _lastResult);
    }

    /// @inheritdoc ERC20
    function transfer(address to, uint256 value) public override returns (bool) {
        _reenter();
        return super.transfer(to, value);
    }

    /// @inheritdoc ERC20
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        _reenter();
        return super.transferFrom(from, to, value);
    }

    /// @dev Makes the armed call once, recording and announcing its outcome.
    function _reenter() private {
        if (!_armed) return;
        _armed = false;
        // solhint-disable-next-line avoid-low-level-calls
        (bool success, bytes memory result) = _target.call(_data);
        _lastSuccess = success;
        _lastResult = result;
        emit Reentered(_target, success, result);
    }
}
