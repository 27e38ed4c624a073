// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerV2} from "../../src/v2/ILedgerV2.sol";
import {LedgerV2Storage} from "../../src/v2/LedgerV2Storage.sol";
import {TestBase} from "../utils/Vm.sol";

/// @notice Exposes the ledger's own selection code (_committee, _currentJury over _drawSeats) on a seat registry
///         written directly, since the vector's registry (seat 5 registered after seat 6) cannot arise by staking.
contract SelectionHarness is LedgerV2Storage {
    function pushSeat(address account, uint40 registeredAt, uint40 retiredAt) external {
        _seats.push(ILedgerV2.Seat(account, registeredAt, retiredAt));
    }

    function committee(bytes32 seed, uint256 claimId, uint256 seatCount, uint256 submitBlock, uint8 size, address worker)
        external
        returns (uint256[] memory)
    {
        _params[1].committeeSize = size;
        _accountAt[1] = worker;
        Claim memory c;
        c.workerIndex = 1;
        c.jobId = 1;
        c.submitBlock = uint40(submitBlock);
        c.seatCount = uint32(seatCount);
        return _committee(claimId, c, seed);
    }

    /// @dev A head dispute whose parties are `parties[0]` (proposer) and the rest (challengers).
    function jury(bytes32 seed, uint256 disputeId, uint256 seatCount, uint256 openBlock, uint8 size, address[] calldata parties)
        external
        returns (uint256[] memory)
    {
        _params[2].jurySize = size;
        _proposals[7].proposer = parties[0];
        for (uint256 i = 1; i < parties.length; ++i) {
            _challengers[disputeId].push(Challenger(parties[i], 1));
        }
        Dispute storage d = _disputes[disputeId];
        d.kind = ILedgerV2.DisputeKind.Head;
        d.subject = 7;
        d.jobId = 2;
        d.seatCount = uint32(seatCount);
        d.openBlock = uint40(openBlock);
        return _currentJury(disputeId, d, seed);
    }
}

/// @notice Replays the "selection" section of contracts/test/vectors/protocol_v2.json (made by
///         scripts/make_protocol_vectors.py from verifier/committee.py): the Solidity committee and jury selection
///         must pick the same seats in the same order.
contract LedgerV2SelectionTest is TestBase {
    string internal json;
    SelectionHarness internal h;

    function setUp() public {
        json = vm.readFile("contracts/test/vectors/protocol_v2.json");
        h = new SelectionHarness();
        for (uint256 i; ; ++i) {
            string memory k = string.concat(".selection.seats[", vm.toString(i), "]");
            if (!vm.keyExistsJson(json, k)) break;
            h.pushSeat(
                vm.parseJsonAddress(json, string.concat(k, ".account")),
                uint40(vm.parseJsonUint(json, string.concat(k, ".registered_at"))),
                uint40(vm.parseJsonUint(json, string.concat(k, ".retired_at")))
            );
            assertEq(vm.parseJsonUint(json, string.concat(k, ".index")), i, "registry in index order");
        }
    }

    function test_vector_committee() public {
        string memory c = ".selection.committee";
        uint256[] memory got = h.committee(
            vm.parseJsonBytes32(json, string.concat(c, ".seed")),
            vm.parseJsonUint(json, string.concat(c, ".claim_id")),
            vm.parseJsonUint(json, string.concat(c, ".seat_count")),
            vm.parseJsonUint(json, string.concat(c, ".submit_block")),
            uint8(vm.parseJsonUint(json, string.concat(c, ".size"))),
            vm.parseJsonAddress(json, string.concat(c, ".worker"))
        );
        uint256[] memory want = vm.parseJsonUintArray(json, string.concat(c, ".members"));
        assertEq(got.length, want.length, "committee size");
        for (uint256 i; i < want.length; ++i) {
            assertEq(got[i], want[i], "committee member, in draw order");
        }
    }

    function test_vector_jury() public {
        string memory c = ".selection.jury";
        uint256[] memory got = h.jury(
            vm.parseJsonBytes32(json, string.concat(c, ".seed")),
            vm.parseJsonUint(json, string.concat(c, ".dispute_id")),
            vm.parseJsonUint(json, string.concat(c, ".seat_count")),
            vm.parseJsonUint(json, string.concat(c, ".open_block")),
            uint8(vm.parseJsonUint(json, string.concat(c, ".size"))),
            vm.parseJsonAddressArray(json, string.concat(c, ".parties"))
        );
        uint256[] memory want = vm.parseJsonUintArray(json, string.concat(c, ".members"));
        assertEq(got.length, want.length, "jury size");
        for (uint256 i; i < want.length; ++i) {
            assertEq(got[i], want[i], "juror, in draw order");
        }
    }
}
