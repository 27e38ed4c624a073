// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice A contract account for tests: forwards calls (with value) and can refuse or re-enter on receiving ETH.
contract Actor {
    bool public rejectEth;
    address public reenterTarget;
    bytes public reenterData;
    bool public reentered;
    bool public reenterOk;

    function setRejectEth(bool reject) external {
        rejectEth = reject;
    }

    function setReenter(address target, bytes calldata data) external {
        reenterTarget = target;
        reenterData = data;
    }

    function exec(address target, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret;
    }

    receive() external payable {
        if (rejectEth) revert("no ETH");
        if (reenterTarget != address(0) && !reentered) {
            reentered = true;
            (reenterOk,) = reenterTarget.call(reenterData);
        }
    }
}
