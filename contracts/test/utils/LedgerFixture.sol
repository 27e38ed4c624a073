// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {GradchainLedger} from "../../src/GradchainLedger.sol";
import {IGradchainLedger} from "../../src/IGradchainLedger.sol";
import {TestBase} from "./Vm.sol";

/// @notice A deployed ledger, named test accounts with known keys, and helpers that walk a claim through its
///         life. Test contracts inherit it; setUp deploys nothing else before the ledger.
abstract contract LedgerFixture is TestBase {
    GradchainLedger internal ledger;

    uint64 internal constant UNBONDING = 50;
    uint8 internal constant WORKER = 1;
    uint8 internal constant VERIFIER = 2;

    uint256 internal constant OWNER_KEY = 0x0A11CE;
    uint256 internal constant WORKER_KEY = 0xA11CE;
    uint256 internal constant WORKER2_KEY = 0xA11CE2;
    uint256 internal constant V1_KEY = 0xB0B1;
    uint256 internal constant V2_KEY = 0xB0B2;
    uint256 internal constant V3_KEY = 0xB0B3;
    uint256 internal constant V4_KEY = 0xB0B4;

    address internal owner;
    address internal worker;
    address internal worker2;
    address internal v1;
    address internal v2;
    address internal v3;
    address internal v4;
    address internal stranger = address(0x5757);

    bytes32 internal constant SPEC = keccak256("spec");
    bytes32 internal constant GENESIS = keccak256("genesis");
    bytes32 internal constant RESULT = keccak256("result");
    bytes32 internal constant ROOT = keccak256("transcript");
    string internal constant URI = "http://127.0.0.1:8001/artifacts/";

    function _deploy() internal {
        ledger = new GradchainLedger(UNBONDING);
        owner = vm.addr(OWNER_KEY);
        worker = vm.addr(WORKER_KEY);
        worker2 = vm.addr(WORKER2_KEY);
        v1 = vm.addr(V1_KEY);
        v2 = vm.addr(V2_KEY);
        v3 = vm.addr(V3_KEY);
        v4 = vm.addr(V4_KEY);
        address[8] memory all = [owner, worker, worker2, v1, v2, v3, v4, stranger];
        for (uint256 i; i < all.length; ++i) {
            vm.deal(all[i], 1_000 ether);
        }
        vm.roll(1_000);
    }

    function _params() internal pure returns (IGradchainLedger.JobParams memory p) {
        p = IGradchainLedger.JobParams({
            specHash: SPEC,
            genesisHead: GENESIS,
            rewardPerClaim: 1 ether,
            verifierFee: 0.1 ether,
            quorum: 2,
            maxVotes: 3,
            submitWindow: 10,
            verifyWindow: 20,
            minWorkerStake: 2 ether,
            minVerifierStake: 1 ether,
            workerSlash: 1 ether,
            verifierSlash: 0.5 ether
        });
    }

    function _createJob(IGradchainLedger.JobParams memory p, uint256 escrow) internal returns (uint256 jobId) {
        vm.prank(owner);
        jobId = ledger.createJob{value: escrow}(p);
    }

    function _createJob() internal returns (uint256) {
        return _createJob(_params(), 10 ether);
    }

    function _stake(address who, uint8 role, uint256 amount) internal {
        vm.prank(who);
        ledger.stake{value: amount}(role);
    }

    function _stakeAll() internal {
        _stake(worker, WORKER, 2 ether);
        _stake(worker2, WORKER, 2 ether);
        _stake(v1, VERIFIER, 1 ether);
        _stake(v2, VERIFIER, 1 ether);
        _stake(v3, VERIFIER, 1 ether);
        _stake(v4, VERIFIER, 1 ether);
    }

    function _submit(uint256 jobId, address who) internal returns (uint256 claimId) {
        (uint64 round, bytes32 head) = _roundAndHead(jobId);
        vm.prank(who);
        claimId = ledger.submitClaim(jobId, round, head, RESULT, ROOT, 100, URI);
    }

    function _roundAndHead(uint256 jobId) internal view returns (uint64 round, bytes32 head) {
        IGradchainLedger.JobView memory j = ledger.getJob(jobId);
        return (j.round, j.head);
    }

    /// @dev Roll to the first block at which votes on `claimId` are accepted.
    function _rollToVoting(uint256 claimId) internal {
        IGradchainLedger.ClaimView memory c = ledger.getClaim(claimId);
        vm.roll(uint256(c.seedBlock) + 1);
    }

    function _rollPastDeadline(uint256 claimId) internal {
        IGradchainLedger.ClaimView memory c = ledger.getClaim(claimId);
        vm.roll(uint256(c.deadline) + 1);
    }

    function _vote(address who, uint256 claimId, bool approve) internal {
        bytes32 seed = ledger.claimSeed(claimId);
        vm.prank(who);
        ledger.attest(claimId, approve, seed);
    }

    function _att(uint256 claimId, bool approve) internal view returns (IGradchainLedger.Attestation memory) {
        return IGradchainLedger.Attestation({
            claimId: claimId,
            approve: approve,
            transcriptRoot: ROOT,
            seed: ledger.claimSeed(claimId)
        });
    }

    function _sign(uint256 key, IGradchainLedger.Attestation memory a) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, ledger.attestationDigest(a));
        return abi.encodePacked(r, s, v);
    }

    function _credit(address who) internal view returns (uint256) {
        return ledger.creditOf(who);
    }

    function _active(address who, uint8 role) internal view returns (uint256 active) {
        (active,,,) = ledger.stakeOf(who, role);
    }

    function _locks(address who, uint8 role) internal view returns (uint32 locks) {
        (,,, locks) = ledger.stakeOf(who, role);
    }

    function _status(uint256 claimId) internal view returns (uint256) {
        return uint256(ledger.getClaim(claimId).status);
    }

    function _assertSolvent() internal view {
        assertEq(
            address(ledger).balance,
            ledger.totalEscrow() + ledger.totalCredits() + ledger.totalStakes(),
            "balance == escrow + credits + stakes"
        );
    }
}
