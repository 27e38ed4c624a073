// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IGradchainLedger} from "../src/IGradchainLedger.sol";
import {LedgerFixture} from "./utils/LedgerFixture.sol";
import {Actor} from "./utils/Actor.sol";

/// @notice Unit tests: jobs, escrow, stakes, withdrawals, views and deployment facts.
contract LedgerJobsStakesTest is LedgerFixture {
    function setUp() public {
        _deploy();
    }

    // ----------------------------------------------------------------------------------------------- deployment

    function test_constants() public view {
        assertEq(ledger.SEED_DELAY(), 2, "SEED_DELAY");
        assertEq(ledger.MAX_VERIFY_WINDOW(), 200, "MAX_VERIFY_WINDOW");
        assertEq(ledger.MAX_VOTES_PER_CLAIM(), 16, "MAX_VOTES_PER_CLAIM");
        assertEq(ledger.unbondingDelay(), UNBONDING, "unbondingDelay");
    }

    function test_runtimeCodeFitsEip170() public view {
        assertTrue(address(ledger).code.length <= 24_576, "ledger runtime <= 24576 bytes");
    }

    function test_rejectsPlainEth() public {
        vm.prank(stranger);
        (bool ok,) = address(ledger).call{value: 1 ether}("");
        assertTrue(!ok, "plain ETH rejected");
        vm.prank(stranger);
        (ok,) = address(ledger).call{value: 1 ether}(hex"deadbeef");
        assertTrue(!ok, "unknown selector with ETH rejected");
    }

    // ----------------------------------------------------------------------------------------------- createJob

    function test_createJob_storesAndEmits() public {
        IGradchainLedger.JobParams memory p = _params();
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.JobCreated(1, owner, SPEC, GENESIS, 10 ether, p);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.RoundStarted(1, 0, GENESIS, uint64(block.number));
        uint256 jobId = _createJob(p, 10 ether);
        assertEq(jobId, 1, "first job id");
        assertEq(_createJob(p, 0), 2, "second job id");

        IGradchainLedger.JobView memory j = ledger.getJob(1);
        assertEq(j.owner, owner, "owner");
        assertEq(j.params.specHash, SPEC, "spec");
        assertEq(j.params.genesisHead, GENESIS, "genesis");
        assertEq(j.params.rewardPerClaim, 1 ether, "reward");
        assertEq(j.params.verifierFee, 0.1 ether, "fee");
        assertEq(j.params.quorum, 2, "quorum");
        assertEq(j.params.maxVotes, 3, "maxVotes");
        assertEq(j.params.submitWindow, 10, "submitWindow");
        assertEq(j.params.verifyWindow, 20, "verifyWindow");
        assertEq(j.params.minWorkerStake, 2 ether, "minWorkerStake");
        assertEq(j.params.minVerifierStake, 1 ether, "minVerifierStake");
        assertEq(j.params.workerSlash, 1 ether, "workerSlash");
        assertEq(j.params.verifierSlash, 0.5 ether, "verifierSlash");
        assertEq(j.escrow, 10 ether, "escrow");
        assertEq(j.reserved, 0, "reserved");
        assertEq(j.round, 0, "round");
        assertEq(j.roundStart, block.number, "roundStart");
        assertEq(j.head, GENESIS, "head");
        assertEq(j.openClaims, 0, "openClaims");
        assertEq(j.pendingProposal, 0, "pendingProposal");

        (uint64 start, bytes32 head, uint32 open, uint32 accepted, bytes32 acc) = ledger.roundInfo(1, 0);
        assertEq(start, block.number, "round start");
        assertEq(head, GENESIS, "round head");
        assertEq(open + accepted, 0, "round counts");
        assertEq(acc, bytes32(0), "acc starts at 0");
        assertEq(ledger.totalEscrow(), 10 ether, "totalEscrow");
        (uint256 lastJob,,) = ledger.counters();
        assertEq(lastJob, 2, "counters");
        _assertSolvent();
    }

    function _expectCreateRevert(IGradchainLedger.JobParams memory p, bytes memory err) internal {
        vm.expectRevert(err);
        vm.prank(owner);
        ledger.createJob(p);
    }

    function test_createJob_revertsOnBadParams() public {
        IGradchainLedger.JobParams memory p = _params();
        p.quorum = 0;
        _expectCreateRevert(p, abi.encodeWithSelector(IGradchainLedger.InvalidQuorum.selector, 0, 3));
        p = _params();
        p.quorum = 4;
        _expectCreateRevert(p, abi.encodeWithSelector(IGradchainLedger.InvalidQuorum.selector, 4, 3));
        p = _params();
        p.maxVotes = 17;
        _expectCreateRevert(p, abi.encodeWithSelector(IGradchainLedger.TooManyMaxVotes.selector, 17, 16));
        p = _params();
        p.submitWindow = 0;
        _expectCreateRevert(p, abi.encodeWithSelector(IGradchainLedger.ZeroWindow.selector, 0, 20));
        p = _params();
        p.verifyWindow = 0;
        _expectCreateRevert(p, abi.encodeWithSelector(IGradchainLedger.ZeroWindow.selector, 10, 0));
        p = _params();
        p.verifyWindow = 201;
        _expectCreateRevert(p, abi.encodeWithSelector(IGradchainLedger.VerifyWindowTooLong.selector, 201, 200));
        p = _params();
        p.workerSlash = 2 ether + 1;
        _expectCreateRevert(
            p, abi.encodeWithSelector(IGradchainLedger.SlashExceedsMinStake.selector, 2 ether + 1, 2 ether)
        );
        p = _params();
        p.verifierSlash = 1 ether + 1;
        _expectCreateRevert(
            p, abi.encodeWithSelector(IGradchainLedger.SlashExceedsMinStake.selector, 1 ether + 1, 1 ether)
        );
        p = _params();
        p.genesisHead = bytes32(0);
        _expectCreateRevert(p, abi.encodeWithSelector(IGradchainLedger.ZeroHash.selector));
        p = _params();
        p.rewardPerClaim = uint256(type(uint96).max);
        _expectCreateRevert(
            p,
            abi.encodeWithSelector(
                SafeCast.SafeCastOverflowedUintDowncast.selector, 96, uint256(type(uint96).max) + 0.3 ether
            )
        );
        p = _params();
        p.minWorkerStake = uint256(type(uint96).max) + 1;
        _expectCreateRevert(
            p,
            abi.encodeWithSelector(
                SafeCast.SafeCastOverflowedUintDowncast.selector, 96, uint256(type(uint96).max) + 1 | 1 ether
            )
        );
    }

    // ----------------------------------------------------------------------------------------------- fund / withdrawEscrow

    function test_fund() public {
        uint256 jobId = _createJob();
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.JobFunded(jobId, stranger, 3 ether, 13 ether);
        vm.prank(stranger);
        ledger.fund{value: 3 ether}(jobId);
        assertEq(ledger.getJob(jobId).escrow, 13 ether, "escrow");
        assertEq(ledger.totalEscrow(), 13 ether, "total");
        _assertSolvent();
    }

    function test_fund_reverts() public {
        uint256 jobId = _createJob();
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.ZeroAmount.selector));
        ledger.fund(jobId);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.JobNotFound.selector, 9));
        ledger.fund{value: 1}(9);
    }

    function test_withdrawEscrow() public {
        uint256 jobId = _createJob();
        uint256 before = owner.balance;
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.EscrowWithdrawn(jobId, owner, 4 ether, 6 ether);
        vm.prank(owner);
        ledger.withdrawEscrow(jobId, 4 ether);
        assertEq(owner.balance, before + 4 ether, "paid");
        assertEq(ledger.getJob(jobId).escrow, 6 ether, "escrow");
        assertEq(ledger.totalEscrow(), 6 ether, "total");
        _assertSolvent();
    }

    function test_withdrawEscrow_reverts() public {
        uint256 jobId = _createJob();
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.JobNotFound.selector, 5));
        ledger.withdrawEscrow(5, 1);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.NotJobOwner.selector, jobId, stranger, owner));
        vm.prank(stranger);
        ledger.withdrawEscrow(jobId, 1);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.ZeroAmount.selector));
        vm.prank(owner);
        ledger.withdrawEscrow(jobId, 0);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.InsufficientEscrow.selector, jobId, 10 ether, 11 ether));
        vm.prank(owner);
        ledger.withdrawEscrow(jobId, 11 ether);

        _stakeAll();
        _submit(jobId, worker);
        // 10 - (1 + 0.1 * 3) = 8.7 available, but a claim is open.
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.OpenClaims.selector, jobId, 1));
        vm.prank(owner);
        ledger.withdrawEscrow(jobId, 1 ether);
    }

    function test_withdrawEscrow_transferFailed() public {
        Actor a = new Actor();
        vm.deal(address(a), 10 ether);
        bytes memory ret = a.exec{value: 5 ether}(address(ledger), abi.encodeCall(ledger.createJob, (_params())));
        uint256 jobId = abi.decode(ret, (uint256));
        a.setRejectEth(true);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.TransferFailed.selector, address(a), 1 ether));
        a.exec(address(ledger), abi.encodeCall(ledger.withdrawEscrow, (jobId, 1 ether)));
    }

    // ----------------------------------------------------------------------------------------------- stakes

    function test_stake() public {
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.Staked(worker, IGradchainLedger.Role.Worker, 2 ether, 2 ether, 1);
        _stake(worker, WORKER, 2 ether);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.Staked(worker, IGradchainLedger.Role.Worker, 1 ether, 3 ether, 1);
        _stake(worker, WORKER, 1 ether);
        // Same account, other role: same account index.
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.Staked(worker, IGradchainLedger.Role.Verifier, 1 ether, 1 ether, 1);
        _stake(worker, VERIFIER, 1 ether);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.Staked(v1, IGradchainLedger.Role.Verifier, 1 ether, 1 ether, 2);
        _stake(v1, VERIFIER, 1 ether);

        (uint256 active, uint256 unbonding, uint64 unlock, uint32 locks) = ledger.stakeOf(worker, WORKER);
        assertEq(active, 3 ether, "active");
        assertEq(unbonding + unlock + locks, 0, "rest");
        assertEq(ledger.totalStakes(), 5 ether, "total");
        _assertSolvent();
    }

    function test_stake_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.InvalidRole.selector, 0));
        ledger.stake{value: 1}(0);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.InvalidRole.selector, 3));
        ledger.stake{value: 1}(3);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.ZeroAmount.selector));
        ledger.stake(WORKER);
        uint256 huge = uint256(1) << 80;
        vm.deal(stranger, huge);
        vm.expectRevert(abi.encodeWithSelector(SafeCast.SafeCastOverflowedUintDowncast.selector, 80, huge));
        vm.prank(stranger);
        ledger.stake{value: huge}(WORKER);
    }

    function test_requestUnstake_and_withdrawStake() public {
        _stake(v1, VERIFIER, 3 ether);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.UnstakeRequested(
            v1, IGradchainLedger.Role.Verifier, 1 ether, 2 ether, 1 ether, uint64(block.number) + UNBONDING
        );
        vm.prank(v1);
        ledger.requestUnstake(VERIFIER, 1 ether);

        vm.roll(block.number + 10);
        uint64 unlock = uint64(block.number) + UNBONDING;
        vm.prank(v1);
        ledger.requestUnstake(VERIFIER, 0.5 ether); // merges and re-times
        (uint256 active, uint256 unbonding, uint64 unlockBlock,) = ledger.stakeOf(v1, VERIFIER);
        assertEq(active, 1.5 ether, "active");
        assertEq(unbonding, 1.5 ether, "unbonding");
        assertEq(unlockBlock, unlock, "unlock");
        assertEq(ledger.totalStakes(), 3 ether, "unbonding still counted");

        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.StakeStillBonded.selector, unlock, block.number));
        vm.prank(v1);
        ledger.withdrawStake(VERIFIER);

        vm.roll(unlock);
        uint256 before = v1.balance;
        vm.expectEmit(true, true, true, true, address(ledger));
        emit IGradchainLedger.StakeWithdrawn(v1, IGradchainLedger.Role.Verifier, 1.5 ether);
        vm.prank(v1);
        ledger.withdrawStake(VERIFIER);
        assertEq(v1.balance, before + 1.5 ether, "paid");
        (active, unbonding, unlockBlock,) = ledger.stakeOf(v1, VERIFIER);
        assertEq(active, 1.5 ether, "active kept");
        assertEq(unbonding + unlockBlock, 0, "cleared");
        assertEq(ledger.totalStakes(), 1.5 ether, "total");
        _assertSolvent();
    }

    function test_requestUnstake_reverts() public {
        _stake(worker, WORKER, 2 ether);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.InvalidRole.selector, 7));
        ledger.requestUnstake(7, 1);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.ZeroAmount.selector));
        vm.prank(worker);
        ledger.requestUnstake(WORKER, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGradchainLedger.InsufficientStake.selector, worker, IGradchainLedger.Role.Worker, 3 ether, 2 ether
            )
        );
        vm.prank(worker);
        ledger.requestUnstake(WORKER, 3 ether);

        uint256 jobId = _createJob();
        _submit(jobId, worker);
        vm.expectRevert(
            abi.encodeWithSelector(IGradchainLedger.StakeLocked.selector, worker, IGradchainLedger.Role.Worker, 1)
        );
        vm.prank(worker);
        ledger.requestUnstake(WORKER, 1 ether);
    }

    function test_withdrawStake_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.InvalidRole.selector, 0));
        ledger.withdrawStake(0);
        vm.expectRevert(
            abi.encodeWithSelector(IGradchainLedger.NothingUnbonding.selector, v1, IGradchainLedger.Role.Verifier)
        );
        vm.prank(v1);
        ledger.withdrawStake(VERIFIER);

        Actor a = new Actor();
        vm.deal(address(a), 10 ether);
        a.exec{value: 1 ether}(address(ledger), abi.encodeCall(ledger.stake, (VERIFIER)));
        a.exec(address(ledger), abi.encodeCall(ledger.requestUnstake, (VERIFIER, 1 ether)));
        vm.roll(block.number + UNBONDING);
        a.setRejectEth(true);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.TransferFailed.selector, address(a), 1 ether));
        a.exec(address(ledger), abi.encodeCall(ledger.withdrawStake, (VERIFIER)));
    }

    // ----------------------------------------------------------------------------------------------- withdraw

    function test_withdraw_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.NothingToWithdraw.selector, stranger));
        vm.prank(stranger);
        ledger.withdraw();
    }

    /// @dev A credited contract that re-enters withdraw() from its receive hook gets nothing twice: the inner
    ///      call hits the reentrancy guard, and the outer payment stands.
    function test_withdraw_reentrancyBlocked() public {
        uint256 jobId = _createJob();
        Actor a = new Actor();
        vm.deal(address(a), 10 ether);
        a.exec{value: 2 ether}(address(ledger), abi.encodeCall(ledger.stake, (WORKER)));
        _stakeAll();
        (uint64 round, bytes32 head) = _roundAndHead(jobId);
        bytes memory ret = a.exec(
            address(ledger), abi.encodeCall(ledger.submitClaim, (jobId, round, head, RESULT, ROOT, 100, URI))
        );
        uint256 claimId = abi.decode(ret, (uint256));
        _rollToVoting(claimId);
        _vote(v1, claimId, true);
        _vote(v2, claimId, true);
        _vote(v3, claimId, true);
        ledger.finalizeClaim(claimId);
        assertEq(ledger.creditOf(address(a)), 1 ether, "credited");

        a.setReenter(address(ledger), abi.encodeCall(ledger.withdraw, ()));
        uint256 before = address(a).balance;
        a.exec(address(ledger), abi.encodeCall(ledger.withdraw, ()));
        assertTrue(a.reentered() && !a.reenterOk(), "inner withdraw reverted");
        assertEq(address(a).balance, before + 1 ether, "paid once");
        assertEq(ledger.creditOf(address(a)), 0, "credit cleared");
        _assertSolvent();

        // And a refusing recipient keeps its credit.
        Actor b = new Actor();
        b.setRejectEth(true);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.NothingToWithdraw.selector, address(b)));
        b.exec(address(ledger), abi.encodeCall(ledger.withdraw, ()));
    }

    // ----------------------------------------------------------------------------------------------- views

    function test_views_revertOnUnknownIds() public {
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.JobNotFound.selector, 1));
        ledger.getJob(1);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.JobNotFound.selector, 1));
        ledger.roundInfo(1, 0);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.ClaimNotFound.selector, 1));
        ledger.getClaim(1);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.ClaimNotFound.selector, 1));
        ledger.votesOf(1);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.ClaimNotFound.selector, 1));
        ledger.claimSeed(1);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.ProposalNotFound.selector, 1));
        ledger.getProposal(1);
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.InvalidRole.selector, 0));
        ledger.stakeOf(worker, 0);
        uint256 jobId = _createJob();
        vm.expectRevert(abi.encodeWithSelector(IGradchainLedger.RoundNotStarted.selector, jobId, 1, 0));
        ledger.roundInfo(jobId, 1);
        assertEq(ledger.creditOf(stranger), 0, "no credit");
    }
}
