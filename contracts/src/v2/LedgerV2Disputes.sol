// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerV2} from "./ILedgerV2.sol";
import {LedgerV2Rules} from "./LedgerV2Rules.sol";
import {LedgerV2Storage} from "./LedgerV2Storage.sol";
import {LedgerDraws} from "../LedgerDraws.sol";

/// @title LedgerV2Disputes
/// @notice challenge, challengeHead, commitVerdict, revealVerdict and resolveDispute of LedgerV2, run by
///         delegatecall on the ledger's storage (documented in ILedgerV2). Called directly it sees only its own
///         empty storage.
contract LedgerV2Disputes is LedgerV2Storage {
    /// @dev Who shares a verdict's pot.
    struct Winner {
        address account;
        ILedgerV2.Role role;
    }

    // ---------------------------------------------------------------------------------------------
    // Challenges
    // ---------------------------------------------------------------------------------------------

    /// @dev What checking a challenge's segments needs (kept in memory: the stack is too shallow for it).
    struct Ctx {
        uint256 claimId;
        uint256 disputeId;
        bytes32 seed;
        uint256 segments; // S
        uint256 samples; // s
        uint256 approvedMask;
        uint256 bond; // challengeBond
        uint256[] committee;
    }

    function challenge(
        uint256 claimId,
        uint256[] calldata segments,
        address[] calldata approvers,
        uint256[] calldata drawIndices
    ) external returns (uint256 disputeId) {
        uint256 n = segments.length;
        if (n == 0 || n > _MAX_DISPUTE_SEGMENTS || approvers.length != n || drawIndices.length != n) {
            revert ILedgerV2.InvalidChallenge(n, approvers.length, drawIndices.length);
        }
        Ctx memory x = _challengeContext(claimId);
        disputeId = x.disputeId;
        _addChallenger(disputeId, claimId, x.bond);
        _nameSegments(x, segments, approvers, drawIndices);
        emit ILedgerV2.Challenged(claimId, disputeId, msg.sender, segments, approvers, drawIndices);
    }

    function _nameSegments(
        Ctx memory x,
        uint256[] calldata segments,
        address[] calldata approvers,
        uint256[] calldata drawIndices
    ) private {
        Dispute storage d = _disputes[x.disputeId];
        uint256 count = d.segmentCount;
        uint256 packed = d.segmentsPacked;
        uint256 named;
        for (uint256 i; i < segments.length; ++i) {
            uint256 seg = segments[i];
            _checkHeld(x, seg, approvers[i], drawIndices[i]);
            uint256 at;
            (packed, count, at) = _insert(x.disputeId, packed, count, seg);
            named |= 1 << at;
        }
        d.segmentCount = uint8(count);
        d.segmentsPacked = packed;
        Challenger[] storage ch = _challengers[x.disputeId];
        ch[ch.length - 1].namedMask = uint16(named);
    }

    /// @dev Window, parties and eligibility of a claim challenge; opens the claim's dispute if it has none.
    function _challengeContext(uint256 claimId) private returns (Ctx memory x) {
        Claim storage cs = _claims[claimId];
        Claim memory c = cs;
        if (c.status == ILedgerV2.ClaimStatus.None) revert ILedgerV2.ClaimNotFound(claimId);
        if (c.status != ILedgerV2.ClaimStatus.Pending) revert ILedgerV2.ClaimNotPending(claimId, c.status);
        Params storage p = _params[c.jobId];
        uint256 seedBlock = _seedBlockOf(c);
        uint256 closes = seedBlock + p.verifyWindow + p.challengeWindow;
        if (block.number <= seedBlock || block.number > closes) {
            revert ILedgerV2.ChallengeClosed(claimId, seedBlock, closes, block.number);
        }
        if (msg.sender == _accountAt[c.workerIndex]) revert ILedgerV2.WorkerCannotVote(claimId, msg.sender);
        x.claimId = claimId;
        x.seed = _recordSeed(seedBlock);
        x.segments = c.segments;
        x.samples = p.samplesPerMember;
        x.bond = p.challengeBond;
        x.approvedMask = c.approvedMask;
        x.committee = _committee(claimId, c, x.seed);
        uint256 pos = _positionOf(x.committee, msg.sender);
        (bool live,) = _liveSeat(_stakes[msg.sender][ILedgerV2.Role.Verifier]);
        bool approver = pos != type(uint256).max && c.approvedMask & (1 << pos) != 0;
        if ((!live && pos == type(uint256).max) || approver) {
            revert ILedgerV2.NotEligibleChallenger(claimId, msg.sender);
        }
        uint256 disputeId = c.disputeId;
        if (disputeId == 0) {
            disputeId = ++_lastDisputeId;
            Dispute storage d = _open(disputeId, ILedgerV2.DisputeKind.Claim, claimId, c.jobId);
            d.claimSeed = x.seed;
            cs.disputeId = uint32(disputeId);
        } else {
            Dispute storage d = _disputes[disputeId];
            if (d.status != ILedgerV2.DisputeStatus.Open) revert ILedgerV2.DisputeNotOpen(disputeId, d.status);
            uint256 seal = _sealBlock(d);
            if (block.number > seal) revert ILedgerV2.DisputeSealed(disputeId, seal, block.number);
        }
        x.disputeId = disputeId;
    }

    /// @dev A named segment exists, and a held-against entry points at that approver's own sample draw.
    function _checkHeld(Ctx memory x, uint256 seg, address a, uint256 di) private view {
        if (seg >= x.segments) revert ILedgerV2.SegmentOutOfRange(seg, x.segments);
        if (a == address(0)) return;
        uint256 pos = _positionOf(x.committee, a);
        if (
            pos == type(uint256).max || x.approvedMask & (1 << pos) == 0 || di >= x.samples
                || LedgerDraws.sampleIndex(x.seed, x.claimId, a, di, x.segments) != seg
        ) revert ILedgerV2.NotInSample(a, di, seg);
    }

    /// @dev Position of `seg` in the dispute's packed segment list, appending it if new.
    function _insert(uint256 disputeId, uint256 packed, uint256 count, uint256 seg)
        private
        pure
        returns (uint256, uint256, uint256)
    {
        for (uint256 k; k < count; ++k) {
            if ((packed >> (16 * k)) & 0xffff == seg) return (packed, count, k);
        }
        if (count == _MAX_DISPUTE_SEGMENTS) revert ILedgerV2.DisputeFull(disputeId);
        return (packed | (seg << (16 * count)), count + 1, count);
    }

    function challengeHead(uint256 proposalId) external returns (uint256 disputeId) {
        Proposal storage pr = _proposals[proposalId];
        ILedgerV2.ProposalStatus st = pr.status;
        if (st == ILedgerV2.ProposalStatus.None) revert ILedgerV2.ProposalNotFound(proposalId);
        if (st != ILedgerV2.ProposalStatus.Pending) revert ILedgerV2.ProposalNotPending(proposalId, st);
        uint256 jobId = pr.jobId;
        Params storage p = _params[jobId];
        uint256 closes = uint256(pr.proposeBlock) + p.headWindow;
        if (block.number > closes) revert ILedgerV2.HeadWindowClosed(proposalId, closes, block.number);
        if (pr.disputeId != 0) revert ILedgerV2.HeadAlreadyChallenged(proposalId, pr.disputeId);
        (bool live,) = _liveSeat(_stakes[msg.sender][ILedgerV2.Role.Verifier]);
        if (!live || msg.sender == pr.proposer) revert ILedgerV2.NotEligibleChallenger(proposalId, msg.sender);
        disputeId = ++_lastDisputeId;
        Dispute storage d = _open(disputeId, ILedgerV2.DisputeKind.Head, proposalId, jobId);
        d.segmentCount = 1; // one verdict: bit 0 = the head is not the mean of the accepted results
        pr.disputeId = uint32(disputeId);
        _addChallenger(disputeId, proposalId, p.challengeBond);
        _challengers[disputeId][0].namedMask = 1;
        emit ILedgerV2.HeadChallenged(proposalId, disputeId, msg.sender);
    }

    function _open(uint256 disputeId, ILedgerV2.DisputeKind kind, uint256 subject, uint256 jobId)
        private
        returns (Dispute storage d)
    {
        d = _disputes[disputeId];
        d.kind = kind;
        d.status = ILedgerV2.DisputeStatus.Open;
        d.jobId = uint32(jobId);
        d.subject = uint64(subject);
        d.attemptStart = uint40(block.number);
        d.openBlock = uint40(block.number);
        uint256 seats = _seats.length;
        d.seatCount = uint32(seats);
        emit ILedgerV2.DisputeOpened(disputeId, kind, subject, jobId, uint64(block.number), seats);
    }

    function _addChallenger(uint256 disputeId, uint256 subject, uint256 bond) private {
        Challenger[] storage ch = _challengers[disputeId];
        uint256 n = ch.length;
        for (uint256 i; i < n; ++i) {
            if (ch[i].account == msg.sender) revert ILedgerV2.AlreadyChallenged(subject, msg.sender);
        }
        if (n == _MAX_CHALLENGERS) revert ILedgerV2.DisputeFull(disputeId);
        _lockBond(msg.sender, ILedgerV2.Role.Verifier, bond);
        ch.push(Challenger({account: msg.sender, namedMask: 0}));
        _disputes[disputeId].challengerCount = uint8(n + 1);
    }

    // ---------------------------------------------------------------------------------------------
    // Juries
    // ---------------------------------------------------------------------------------------------

    function _openDispute(uint256 disputeId) private view returns (Dispute storage d) {
        d = _disputes[disputeId];
        ILedgerV2.DisputeStatus st = d.status;
        if (st == ILedgerV2.DisputeStatus.None) revert ILedgerV2.DisputeNotFound(disputeId);
        if (st != ILedgerV2.DisputeStatus.Open) revert ILedgerV2.DisputeNotOpen(disputeId, st);
    }

    function commitVerdict(uint256 disputeId, bytes32 commitment) external {
        Dispute storage d = _openDispute(disputeId);
        Params storage p = _params[d.jobId];
        uint256 seedBlock = _jurySeedBlock(d);
        uint256 closes = seedBlock + p.commitWindow;
        if (block.number <= seedBlock || block.number > closes) {
            revert ILedgerV2.CommitClosed(disputeId, seedBlock, closes, block.number);
        }
        uint256 attempt = d.attempt;
        uint256[] memory seats;
        if (d.juryAttemptPlusOne != attempt + 1) {
            seats = _currentJury(disputeId, d, _recordSeed(seedBlock));
            uint256 packed;
            for (uint256 i; i < seats.length; ++i) {
                packed |= seats[i] << (16 * i);
            }
            d.juryPacked = packed;
            d.jurySeated = uint8(seats.length);
            d.juryAttemptPlusOne = uint8(attempt + 1);
            emit ILedgerV2.JurySeated(disputeId, attempt, seats);
        } else {
            seats = _currentJury(disputeId, d, 0);
        }
        if (_positionOf(seats, msg.sender) == type(uint256).max) revert ILedgerV2.NotJuror(disputeId, msg.sender);
        JurorVote storage v = _votes[disputeId][attempt][msg.sender];
        if (v.commitment != 0) revert ILedgerV2.AlreadyCommitted(disputeId, msg.sender);
        if (commitment == 0) revert ILedgerV2.CommitmentMismatch(disputeId, msg.sender);
        _lockBond(msg.sender, ILedgerV2.Role.Verifier, p.jurorBond);
        v.commitment = commitment;
        _committers[disputeId][attempt].push(msg.sender);
        emit ILedgerV2.VerdictCommitted(disputeId, attempt, msg.sender, commitment);
    }

    function revealVerdict(uint256 disputeId, uint256 verdicts, bytes32 salt) external {
        Dispute storage d = _openDispute(disputeId);
        Params storage p = _params[d.jobId];
        uint256 opens = _jurySeedBlock(d) + p.commitWindow;
        uint256 closes = opens + p.revealWindow;
        if (block.number <= opens || block.number > closes) {
            revert ILedgerV2.RevealClosed(disputeId, opens, closes, block.number);
        }
        uint256 attempt = d.attempt;
        JurorVote storage v = _votes[disputeId][attempt][msg.sender];
        if (v.commitment == 0 || v.revealed) revert ILedgerV2.NothingToReveal(disputeId, msg.sender);
        if (LedgerV2Rules.commitment(verdicts, salt, msg.sender) != v.commitment) {
            revert ILedgerV2.CommitmentMismatch(disputeId, msg.sender);
        }
        uint256 n = d.segmentCount;
        if (verdicts >> n != 0) revert ILedgerV2.InvalidVerdicts(verdicts, n);
        v.revealed = true;
        v.verdicts = uint16(verdicts);
        d.reveals += 1;
        uint256 votes = d.faultyVotes;
        for (uint256 i; i < n; ++i) {
            if (verdicts & (1 << i) != 0) votes += 1 << (8 * i);
        }
        d.faultyVotes = uint128(votes);
        emit ILedgerV2.VerdictRevealed(disputeId, attempt, msg.sender, verdicts);
    }

    // ---------------------------------------------------------------------------------------------
    // Resolution
    // ---------------------------------------------------------------------------------------------

    /// @dev A verdict's pot and who shares it.
    struct Pot {
        Winner[] winners;
        uint256 n;
        uint256 amount;
    }

    function resolveDispute(uint256 disputeId) external {
        Dispute storage d = _openDispute(disputeId);
        Params storage p = _params[d.jobId];
        uint256 closes = _jurySeedBlock(d) + p.commitWindow + p.revealWindow;
        if (block.number <= closes) revert ILedgerV2.RevealStillOpen(disputeId, closes, block.number);
        if (d.reveals < LedgerV2Rules.revealQuorum(p.jurySize)) {
            _noQuorum(disputeId, d, p);
            return;
        }
        uint256 faulty = _verdict(disputeId, d);
        Pot memory pot = Pot(new Winner[](_MAX_CHALLENGERS + _MAX_JURY + 1), 0, 0);
        _settleJurors(disputeId, d, p, faulty, pot);
        _settleChallengers(disputeId, p, faulty, pot);
        if (d.kind == ILedgerV2.DisputeKind.Claim) _settleClaim(d, p, faulty, pot);
        else _settleHead(d, p, faulty, pot);
        (uint256 share, uint256 dust) = LedgerV2Rules.split(pot.amount, pot.n);
        for (uint256 i; i < pot.n; ++i) {
            _credit(pot.winners[i].account, pot.winners[i].role, share, disputeId, ILedgerV2.CreditReason.SlashShare);
        }
        _toEscrow(d.jobId, disputeId, dust, true);
    }

    function _verdict(uint256 disputeId, Dispute storage d) private returns (uint256 faulty) {
        uint256 reveals = d.reveals;
        uint256 n = d.segmentCount;
        uint256 votes = d.faultyVotes;
        for (uint256 i; i < n; ++i) {
            if (LedgerV2Rules.provenFaulty((votes >> (8 * i)) & 0xff, reveals)) faulty |= 1 << i;
        }
        d.status = ILedgerV2.DisputeStatus.Resolved;
        d.faultyMask = uint16(faulty);
        emit ILedgerV2.DisputeResolved(disputeId, ILedgerV2.DisputeStatus.Resolved, faulty, reveals);
    }

    /// @dev Jurors whose verdicts equal the outcome keep their bond and share the pot; the rest lose their bond.
    function _settleJurors(
        uint256 disputeId,
        Dispute storage d,
        Params storage p,
        uint256 faulty,
        Pot memory pot
    ) private {
        uint256 attempt = d.attempt;
        uint256 bond = p.jurorBond;
        address[] storage jurors = _committers[disputeId][attempt];
        for (uint256 i; i < jurors.length; ++i) {
            address a = jurors[i];
            JurorVote storage v = _votes[disputeId][attempt][a];
            if (v.revealed && v.verdicts == faulty) {
                _releaseBond(a, ILedgerV2.Role.Verifier, bond);
                pot.winners[pot.n++] = Winner(a, ILedgerV2.Role.Verifier);
            } else {
                _slashBond(a, ILedgerV2.Role.Verifier, bond, disputeId, ILedgerV2.SlashReason.JurorBond);
                pot.amount += bond;
            }
        }
    }

    /// @dev Challengers are right iff one of their named segments was proven faulty.
    function _settleChallengers(uint256 disputeId, Params storage p, uint256 faulty, Pot memory pot)
        private
    {
        uint256 bond = p.challengeBond;
        Challenger[] storage ch = _challengers[disputeId];
        for (uint256 i; i < ch.length; ++i) {
            address a = ch[i].account;
            if (ch[i].namedMask & faulty != 0) {
                _releaseBond(a, ILedgerV2.Role.Verifier, bond);
                pot.winners[pot.n++] = Winner(a, ILedgerV2.Role.Verifier);
            } else {
                _slashBond(a, ILedgerV2.Role.Verifier, bond, disputeId, ILedgerV2.SlashReason.ChallengeBond);
                pot.amount += bond;
            }
        }
    }

    /// @dev Fault: the worker and the caught approvers are slashed and the claim is Rejected. No fault: the worker
    ///      shares the challengers' bonds and the claim settles later as if unchallenged.
    function _settleClaim(Dispute storage d, Params storage p, uint256 faulty, Pot memory pot) private {
        uint256 claimId = d.subject;
        Claim storage cs = _claims[claimId];
        Claim memory c = cs;
        address worker = _accountAt[c.workerIndex];
        if (faulty == 0) {
            pot.winners[pot.n++] = Winner(worker, ILedgerV2.Role.Worker);
            return;
        }
        _slashBond(worker, ILedgerV2.Role.Worker, p.claimBond, claimId, ILedgerV2.SlashReason.ClaimBond);
        pot.amount += p.claimBond + _settleApprovers(claimId, c, d, p, faulty);
        _closeClaim(claimId, cs, ILedgerV2.ClaimStatus.Rejected, LedgerV2Rules.popcount(c.approvedMask), 0);
    }

    /// @dev Wrong head: the proposer is slashed and the proposal Rejected. Right head: the proposer shares.
    function _settleHead(Dispute storage d, Params storage p, uint256 faulty, Pot memory pot) private {
        uint256 proposalId = d.subject;
        Proposal storage pr = _proposals[proposalId];
        if (faulty == 0) {
            pot.winners[pot.n++] = Winner(pr.proposer, ILedgerV2.Role.Verifier);
            return;
        }
        _slashBond(pr.proposer, ILedgerV2.Role.Verifier, p.headBond, proposalId, ILedgerV2.SlashReason.HeadBond);
        pot.amount += p.headBond;
        _closeProposal(proposalId, pr, ILedgerV2.ProposalStatus.Rejected);
    }

    /// @dev Approvers whose own sample holds a proven-faulty segment lose their bond (returned as pot); the others
    ///      get it back.
    function _settleApprovers(uint256 claimId, Claim memory c, Dispute storage d, Params storage p, uint256 faulty)
        private
        returns (uint256 pot)
    {
        if (c.approvedMask == 0) return 0;
        bytes32 seed = d.claimSeed;
        uint256[] memory committee = _committee(claimId, c, seed);
        uint256[] memory bad = _faultySegments(d, faulty);
        uint256 bond = p.approvalBond;
        for (uint256 pos; pos < committee.length; ++pos) {
            if (c.approvedMask & (1 << pos) == 0) continue;
            address a = _drawnSeat(committee[pos]).account;
            if (_sampleHits(seed, claimId, a, c.segments, p.samplesPerMember, bad)) {
                _slashBond(a, ILedgerV2.Role.Verifier, bond, claimId, ILedgerV2.SlashReason.ApprovalBond);
                pot += bond;
            } else {
                _releaseBond(a, ILedgerV2.Role.Verifier, bond);
            }
        }
    }

    function _faultySegments(Dispute storage d, uint256 faulty) private view returns (uint256[] memory bad) {
        uint256 n = d.segmentCount;
        uint256 packed = d.segmentsPacked;
        bad = new uint256[](LedgerV2Rules.popcount(faulty));
        uint256 m;
        for (uint256 k; k < n; ++k) {
            if (faulty & (1 << k) != 0) bad[m++] = (packed >> (16 * k)) & 0xffff;
        }
    }

    /// @dev Whether any of `member`'s s sample draws is one of `bad`.
    function _sampleHits(bytes32 seed, uint256 claimId, address member, uint256 segments, uint256 s, uint256[] memory bad)
        private
        pure
        returns (bool)
    {
        for (uint256 i; i < s; ++i) {
            uint256 j = LedgerDraws.sampleIndex(seed, claimId, member, i, segments);
            for (uint256 k; k < bad.length; ++k) {
                if (bad[k] == j) return true;
            }
        }
        return false;
    }

    /// @dev Too few reveals: non-revealers lose their juror bond to escrow; redraw, or close without a verdict.
    function _noQuorum(uint256 disputeId, Dispute storage d, Params storage p) private {
        uint256 attempt = d.attempt;
        address[] storage jurors = _committers[disputeId][attempt];
        uint256 lost;
        for (uint256 i; i < jurors.length; ++i) {
            address a = jurors[i];
            if (_votes[disputeId][attempt][a].revealed) {
                _releaseBond(a, ILedgerV2.Role.Verifier, p.jurorBond);
            } else {
                _slashBond(a, ILedgerV2.Role.Verifier, p.jurorBond, disputeId, ILedgerV2.SlashReason.JurorBond);
                lost += p.jurorBond;
            }
        }
        _toEscrow(d.jobId, disputeId, lost, true);
        if (attempt < p.maxRedraws) {
            d.attempt = uint8(attempt + 1);
            d.attemptStart = uint40(block.number);
            d.reveals = 0;
            d.faultyVotes = 0;
            emit ILedgerV2.JuryRedrawn(disputeId, attempt + 1, uint64(block.number));
            return;
        }
        d.status = ILedgerV2.DisputeStatus.NoVerdict;
        emit ILedgerV2.DisputeResolved(disputeId, ILedgerV2.DisputeStatus.NoVerdict, 0, d.reveals);
        Challenger[] storage ch = _challengers[disputeId];
        for (uint256 i; i < ch.length; ++i) {
            _releaseBond(ch[i].account, ILedgerV2.Role.Verifier, p.challengeBond);
        }
        uint256 subject = d.subject;
        if (d.kind == ILedgerV2.DisputeKind.Claim) {
            // Bonds return and the claim Expires with no penalty to the worker.
            Claim storage cs = _claims[subject];
            Claim memory c = cs;
            _releaseBond(_accountAt[c.workerIndex], ILedgerV2.Role.Worker, p.claimBond);
            if (c.approvedMask != 0) {
                uint256[] memory committee = _committee(subject, c, d.claimSeed);
                for (uint256 pos; pos < committee.length; ++pos) {
                    if (c.approvedMask & (1 << pos) != 0) {
                        _releaseBond(_drawnSeat(committee[pos]).account, ILedgerV2.Role.Verifier, p.approvalBond);
                    }
                }
            }
            _closeClaim(subject, cs, ILedgerV2.ClaimStatus.Expired, LedgerV2Rules.popcount(c.approvedMask), 0);
        } else {
            Proposal storage pr = _proposals[subject];
            _releaseBond(pr.proposer, ILedgerV2.Role.Verifier, p.headBond);
            _closeProposal(subject, pr, ILedgerV2.ProposalStatus.Dropped);
        }
    }

    function _closeProposal(uint256 proposalId, Proposal storage pr, ILedgerV2.ProposalStatus status) private {
        pr.status = status;
        _jobs[pr.jobId].pendingProposal = 0;
        emit ILedgerV2.HeadFinalized(proposalId, pr.jobId, pr.round, status);
    }
}
