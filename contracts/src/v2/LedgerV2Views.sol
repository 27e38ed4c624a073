// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerV2} from "./ILedgerV2.sol";
import {LedgerV2Storage} from "./LedgerV2Storage.sol";

/// @title LedgerV2Views
/// @notice The struct-returning views of LedgerV2 (documented in ILedgerV2), run by delegatecall under a
///         staticcall from the ledger. Called directly it sees only its own empty storage.
contract LedgerV2Views is LedgerV2Storage {
    function getJobParams(uint256 jobId) external view returns (ILedgerV2.JobParams memory) {
        _existingJob(jobId);
        return _loadParams(jobId);
    }


    function getJob(uint256 jobId) external view returns (ILedgerV2.JobState memory s) {
        Job memory j = _existingJob(jobId);
        Round storage r = _rounds[jobId][j.round];
        s = ILedgerV2.JobState({
            owner: j.owner,
            escrow: j.escrow,
            reserved: j.reserved,
            round: j.round,
            roundStart: j.roundStart,
            openClaims: j.openClaims,
            roundClaims: j.roundClaims,
            acceptedCount: j.acceptedCount,
            head: r.head,
            accumulator: r.accumulator,
            pendingProposal: j.pendingProposal
        });
    }


    function getClaim(uint256 claimId) external view returns (ILedgerV2.ClaimInfo memory info) {
        Claim memory c = _claims[claimId];
        if (c.status == ILedgerV2.ClaimStatus.None) revert ILedgerV2.ClaimNotFound(claimId);
        Params storage p = _params[c.jobId];
        ClaimData storage cd = _claimData[_claimKey(c.jobId, c.round, c.workerIndex)];
        uint64 seedBlock = uint64(_seedBlockOf(c));
        info = ILedgerV2.ClaimInfo({
            worker: _accountAt[c.workerIndex],
            jobId: c.jobId,
            round: c.round,
            submitBlock: c.submitBlock,
            seedBlock: seedBlock,
            voteDeadline: seedBlock + p.verifyWindow,
            challengeDeadline: seedBlock + p.verifyWindow + p.challengeWindow,
            seatCount: c.seatCount,
            segments: c.segments,
            status: c.status,
            approvedMask: c.approvedMask,
            disputeId: c.disputeId,
            result: cd.result,
            transcriptRoot: cd.transcriptRoot
        });
    }


    function committeeOf(uint256 claimId) external view returns (uint256[] memory) {
        Claim memory c = _claims[claimId];
        if (c.status == ILedgerV2.ClaimStatus.None) revert ILedgerV2.ClaimNotFound(claimId);
        bytes32 seed = _peekSeed(_seedBlockOf(c));
        if (seed == 0) revert ILedgerV2.SeedUnavailable(_seedBlockOf(c), block.number);
        return _committee(claimId, c, seed);
    }


    function isCommitteeMember(uint256 claimId, address account) external view returns (bool, uint256) {
        uint256 pos = _positionOf(_committeeView(claimId), account);
        return (pos != type(uint256).max, pos);
    }


    function getDispute(uint256 disputeId) external view returns (ILedgerV2.DisputeInfo memory info) {
        Dispute storage d = _disputes[disputeId];
        if (d.status == ILedgerV2.DisputeStatus.None) revert ILedgerV2.DisputeNotFound(disputeId);
        uint64 seedBlock = uint64(_jurySeedBlock(d));
        Params storage p = _params[d.jobId];
        uint256 n = d.segmentCount;
        uint256[] memory segs = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            segs[i] = (d.segmentsPacked >> (16 * i)) & 0xffff;
        }
        Challenger[] storage ch = _challengers[disputeId];
        address[] memory who = new address[](ch.length);
        for (uint256 i; i < ch.length; ++i) {
            who[i] = ch[i].account;
        }
        info = ILedgerV2.DisputeInfo({
            kind: d.kind,
            status: d.status,
            subjectId: d.subject,
            jobId: d.jobId,
            openBlock: d.openBlock,
            seatCount: d.seatCount,
            attempt: d.attempt,
            jurySeedBlock: seedBlock,
            commitDeadline: seedBlock + p.commitWindow,
            revealDeadline: seedBlock + p.commitWindow + p.revealWindow,
            segments: segs,
            faultyMask: d.faultyMask,
            reveals: d.reveals,
            challengers: who
        });
    }


    function juryOf(uint256 disputeId) external view returns (uint256[] memory) {
        Dispute storage d = _disputes[disputeId];
        if (d.status == ILedgerV2.DisputeStatus.None) revert ILedgerV2.DisputeNotFound(disputeId);
        uint256 b = _jurySeedBlock(d);
        bytes32 seed = _peekSeed(b);
        if (seed == 0 && d.juryAttemptPlusOne != d.attempt + 1) revert ILedgerV2.SeedUnavailable(b, block.number);
        return _currentJury(disputeId, d, seed);
    }


    function getProposal(uint256 proposalId) external view returns (ILedgerV2.ProposalInfo memory) {
        Proposal memory pr = _proposals[proposalId];
        if (pr.status == ILedgerV2.ProposalStatus.None) revert ILedgerV2.ProposalNotFound(proposalId);
        return ILedgerV2.ProposalInfo({
            proposer: pr.proposer,
            jobId: pr.jobId,
            round: pr.round,
            status: pr.status,
            proposeBlock: pr.proposeBlock,
            disputeId: pr.disputeId,
            parent: _rounds[pr.jobId][pr.round].head,
            newHead: pr.newHead
        });
    }


    function stakeOf(address account, uint8 role) external view returns (ILedgerV2.StakeInfo memory) {
        StakeRecord memory s = _stakes[account][_role(role)];
        return ILedgerV2.StakeInfo(s.active, s.locked, s.unbonding, s.unlockBlock, s.credit, s.seatPlusOne);
    }


    function _committeeView(uint256 claimId) private view returns (uint256[] memory) {
        Claim memory c = _claims[claimId];
        if (c.status == ILedgerV2.ClaimStatus.None) revert ILedgerV2.ClaimNotFound(claimId);
        bytes32 seed = _peekSeed(_seedBlockOf(c));
        if (seed == 0) revert ILedgerV2.SeedUnavailable(_seedBlockOf(c), block.number);
        return _committee(claimId, c, seed);
    }

    function _role(uint8 role) private pure returns (ILedgerV2.Role) {
        if (role != uint8(ILedgerV2.Role.Worker) && role != uint8(ILedgerV2.Role.Verifier)) revert ILedgerV2.InvalidRole(role);
        return ILedgerV2.Role(role);
    }
}
