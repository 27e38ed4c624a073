// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerV2} from "../../../src/v2/ILedgerV2.sol";
import {LedgerV2} from "../../../src/v2/LedgerV2.sol";
import {LedgerV2Rules} from "../../../src/v2/LedgerV2Rules.sol";
import {LedgerDraws} from "../../../src/LedgerDraws.sol";
import {TestBase} from "../../utils/Vm.sol";

/// @notice Random-order driver of LedgerV2 for the invariant tests: every entry point picks its actors and ids from
///         the fuzzer's words, calls the ledger (reverts are expected and ignored), and keeps ghost records that the
///         invariants compare with the ledger.
contract LedgerV2Handler is TestBase {
    LedgerV2 public immutable ledger;
    uint256 public immutable jobId;
    uint256 internal constant NW = 3;
    uint256 internal constant NV = 8;
    address[NW] public workers;
    address[NV] public verifiers;

    uint256[] public claims;
    uint256[] public disputes;
    uint256[] public proposals;
    mapping(uint256 => uint256) public finalizeSuccesses; // claimId => successful finalizeClaim calls
    mapping(uint256 => ILedgerV2.ClaimStatus) public terminal; // claimId => first terminal status seen
    mapping(uint256 => ILedgerV2.DisputeStatus) public disputeTerminal;
    mapping(uint256 => ILedgerV2.ProposalStatus) public proposalTerminal;
    mapping(uint256 => bytes32) public committeeHash; // claimId => hash of its committee, first seen
    mapping(uint256 => mapping(uint256 => bytes32)) public juryHash; // dispute => attempt => jury, first seen
    mapping(uint256 => mapping(uint256 => address[])) internal _committed; // dispute => attempt => jurors
    mapping(uint256 => mapping(address => uint256)) internal _verdictOf;
    bytes32[] public heads; // ghost chain of heads, from genesis
    uint256 public headViolations;
    uint256 public terminalViolations;
    // how far random sequences get (read by the coverage test)
    uint256 public approvals;
    uint256 public challenges;
    uint256 public commits;
    uint256 public reveals;
    uint256 public resolves;
    uint256 public finalizes;
    uint256 public headsAdvanced;

    constructor(LedgerV2 l, uint256 job, bytes32 genesis) {
        ledger = l;
        jobId = job;
        heads.push(genesis);
        for (uint256 i; i < NW; ++i) {
            workers[i] = address(uint160(0xA000 + i));
            vm.deal(workers[i], 1_000 ether);
        }
        for (uint256 i; i < NV; ++i) {
            verifiers[i] = address(uint160(0xB000 + i));
            vm.deal(verifiers[i], 1_000 ether);
        }
    }

    // ----- ghost readers for the invariants -----

    function claimCount() external view returns (uint256) {
        return claims.length;
    }

    function disputeCount() external view returns (uint256) {
        return disputes.length;
    }

    function proposalCount() external view returns (uint256) {
        return proposals.length;
    }

    function headCount() external view returns (uint256) {
        return heads.length;
    }

    function committed(uint256 d, uint256 attempt) external view returns (address[] memory) {
        return _committed[d][attempt];
    }

    function actor(uint256 i) external view returns (address) {
        return i < NW ? workers[i] : verifiers[i - NW];
    }

    function actorCount() external pure returns (uint256) {
        return NW + NV;
    }

    // ----- helpers -----

    function _pick(uint256[] storage list, uint256 seed) internal view returns (uint256) {
        if (list.length == 0) return 0;
        return list[seed % list.length];
    }

    function _v(uint256 seed) internal view returns (address) {
        return verifiers[seed % NV];
    }

    /// @dev Record terminal statuses reached by the last call, and flag any that changed afterwards.
    function _observe() internal {
        for (uint256 i; i < claims.length; ++i) {
            ILedgerV2.ClaimStatus s = ledger.getClaim(claims[i]).status;
            ILedgerV2.ClaimStatus t = terminal[claims[i]];
            if (t != ILedgerV2.ClaimStatus.None && s != t) terminalViolations++;
            if (t == ILedgerV2.ClaimStatus.None && s != ILedgerV2.ClaimStatus.Pending) terminal[claims[i]] = s;
        }
        for (uint256 i; i < disputes.length; ++i) {
            ILedgerV2.DisputeStatus s = ledger.getDispute(disputes[i]).status;
            ILedgerV2.DisputeStatus t = disputeTerminal[disputes[i]];
            if (t != ILedgerV2.DisputeStatus.None && s != t) terminalViolations++;
            if (t == ILedgerV2.DisputeStatus.None && s != ILedgerV2.DisputeStatus.Open) disputeTerminal[disputes[i]] = s;
        }
        for (uint256 i; i < proposals.length; ++i) {
            ILedgerV2.ProposalStatus s = ledger.getProposal(proposals[i]).status;
            ILedgerV2.ProposalStatus t = proposalTerminal[proposals[i]];
            if (t != ILedgerV2.ProposalStatus.None && s != t) terminalViolations++;
            if (t == ILedgerV2.ProposalStatus.None && s != ILedgerV2.ProposalStatus.Pending) proposalTerminal[proposals[i]] = s;
        }
    }

    function _noteCommittee(uint256 claimId) internal {
        try ledger.committeeOf(claimId) returns (uint256[] memory seats) {
            if (committeeHash[claimId] == 0) committeeHash[claimId] = keccak256(abi.encode(seats));
        } catch {}
    }

    // ----- actions -----

    function stake(uint256 who, bool asVerifier, uint256 amount) public {
        amount = bound(amount, 0.1 ether, 4 ether);
        address a = asVerifier ? _v(who) : workers[who % NW];
        vm.prank(a);
        ledger.stake{value: amount}(asVerifier ? 2 : 1);
    }

    function requestUnstake(uint256 who, bool asVerifier, uint256 amount) external {
        address a = asVerifier ? _v(who) : workers[who % NW];
        amount = bound(amount, 1, 2 ether);
        vm.prank(a);
        try ledger.requestUnstake(asVerifier ? 2 : 1, amount) {} catch {}
    }

    function withdrawStake(uint256 who, bool asVerifier) external {
        address a = asVerifier ? _v(who) : workers[who % NW];
        vm.prank(a);
        try ledger.withdrawStake(asVerifier ? 2 : 1) {} catch {}
    }

    function fund(uint256 amount) external {
        amount = bound(amount, 1, 5 ether);
        vm.prank(workers[0]);
        ledger.fund{value: amount}(jobId);
    }

    function roll(uint256 blocks) external {
        vm.roll(block.number + bound(blocks, 1, 6));
    }

    function submit(uint256 who, uint256 resultSeed) external {
        ILedgerV2.JobState memory j = ledger.getJob(jobId);
        vm.prank(workers[who % NW]);
        try ledger.submitClaim(jobId, j.round, j.head, keccak256(abi.encode(resultSeed, who)), bytes32(resultSeed), 40, "u") returns (
            uint256 id
        ) {
            claims.push(id);
        } catch {}
    }

    function approve(uint256 claimSeed, uint256 memberSeed) external {
        uint256 id = _pick(claims, claimSeed);
        if (id == 0) return;
        try ledger.committeeOf(id) returns (uint256[] memory seats) {
            if (seats.length == 0) return;
            address m = ledger.seatAt(seats[memberSeed % seats.length]).account;
            vm.prank(m);
            try ledger.approve(id) {
                approvals++;
                _noteCommittee(id);
            } catch {}
        } catch {}
        _observe();
    }

    function challenge(uint256 claimSeed, uint256 whoSeed, uint256 segment, bool holdAgainst) external {
        uint256 id = _pick(claims, claimSeed);
        if (id == 0) return;
        uint256[] memory segs = new uint256[](1);
        address[] memory aps = new address[](1);
        uint256[] memory dis = new uint256[](1);
        segs[0] = segment % 4;
        if (holdAgainst) {
            try ledger.committeeOf(id) returns (uint256[] memory seats) {
                ILedgerV2.ClaimInfo memory c = ledger.getClaim(id);
                for (uint256 p; p < seats.length; ++p) {
                    if (c.approvedMask & (1 << p) != 0) {
                        aps[0] = ledger.seatAt(seats[p]).account;
                        bytes32 seed = blockhash(c.seedBlock);
                        segs[0] = LedgerDraws.sampleIndex(seed, id, aps[0], 0, c.segments);
                        break;
                    }
                }
            } catch {}
        }
        vm.prank(_v(whoSeed));
        try ledger.challenge(id, segs, aps, dis) returns (uint256 d) {
            challenges++;
            _noteCommittee(id);
            if (disputes.length == 0 || disputes[disputes.length - 1] != d) {
                bool known;
                for (uint256 i; i < disputes.length; ++i) {
                    if (disputes[i] == d) known = true;
                }
                if (!known) disputes.push(d);
            }
        } catch {}
        _observe();
    }

    function commit(uint256 disputeSeed, uint256 jurorSeed, uint256 verdicts) external {
        uint256 d = _pick(disputes, disputeSeed);
        if (d == 0) return;
        ILedgerV2.DisputeInfo memory info = ledger.getDispute(d);
        verdicts = verdicts % (1 << info.segments.length);
        try ledger.juryOf(d) returns (uint256[] memory seats) {
            if (seats.length == 0) return;
            address j = ledger.seatAt(seats[jurorSeed % seats.length]).account;
            vm.prank(j);
            try ledger.commitVerdict(d, LedgerV2Rules.commitment(verdicts, bytes32(d), j)) {
                _committed[d][info.attempt].push(j);
                commits++;
                _verdictOf[d][j] = verdicts;
                bytes32 h = keccak256(abi.encode(ledger.juryOf(d)));
                if (juryHash[d][info.attempt] == 0) juryHash[d][info.attempt] = h;
            } catch {}
        } catch {}
    }

    function reveal(uint256 disputeSeed, uint256 jurorSeed) external {
        uint256 d = _pick(disputes, disputeSeed);
        if (d == 0) return;
        ILedgerV2.DisputeInfo memory info = ledger.getDispute(d);
        address[] storage js = _committed[d][info.attempt];
        if (js.length == 0) return;
        address j = js[jurorSeed % js.length];
        vm.prank(j);
        try ledger.revealVerdict(d, _verdictOf[d][j], bytes32(d)) {
            reveals++;
        } catch {}
    }

    /// @dev A whole jury attempt at once (the single steps rarely line up in 50 random calls): wait for the seed,
    ///      every drawn juror commits, the first `nReveal` reveal, then resolve.
    function diligentJury(uint256 disputeSeed, uint256 verdicts, uint256 nReveal) external {
        uint256 d = _pick(disputes, disputeSeed);
        if (d == 0) return;
        ILedgerV2.DisputeInfo memory info = ledger.getDispute(d);
        if (info.status != ILedgerV2.DisputeStatus.Open) return;
        verdicts = verdicts % (1 << info.segments.length);
        if (block.number <= info.jurySeedBlock) vm.roll(info.jurySeedBlock + 1);
        if (block.number <= info.commitDeadline) {
            try ledger.juryOf(d) returns (uint256[] memory seats) {
                for (uint256 i; i < seats.length; ++i) {
                    address j = ledger.seatAt(seats[i]).account;
                    vm.prank(j);
                    try ledger.commitVerdict(d, LedgerV2Rules.commitment(verdicts, bytes32(d), j)) {
                        _committed[d][info.attempt].push(j);
                        _verdictOf[d][j] = verdicts;
                        commits++;
                        if (juryHash[d][info.attempt] == 0) juryHash[d][info.attempt] = keccak256(abi.encode(seats));
                    } catch {}
                }
            } catch {}
        }
        if (block.number <= info.commitDeadline) vm.roll(info.commitDeadline + 1);
        address[] storage js = _committed[d][info.attempt];
        nReveal = nReveal % 4;
        for (uint256 i; i < js.length && i < nReveal; ++i) {
            vm.prank(js[i]);
            try ledger.revealVerdict(d, _verdictOf[d][js[i]], bytes32(d)) {
                reveals++;
            } catch {}
        }
        if (block.number <= info.revealDeadline) vm.roll(info.revealDeadline + 1);
        try ledger.resolveDispute(d) {
            resolves++;
        } catch {}
        _observe();
    }

    function resolve(uint256 disputeSeed) external {
        uint256 d = _pick(disputes, disputeSeed);
        if (d == 0) return;
        try ledger.resolveDispute(d) {
            resolves++;
        } catch {}
        _observe();
    }

    function finalize(uint256 claimSeed) external {
        uint256 id = _pick(claims, claimSeed);
        if (id == 0) return;
        ILedgerV2.ClaimStatus before = ledger.getClaim(id).status;
        try ledger.finalizeClaim(id) {
            finalizeSuccesses[id]++;
            finalizes++;
            if (before != ILedgerV2.ClaimStatus.Pending) terminalViolations++;
        } catch {}
        _observe();
    }

    function finalizeAll() external {
        for (uint256 i; i < claims.length; ++i) {
            try ledger.finalizeClaim(claims[i]) {
                finalizeSuccesses[claims[i]]++;
                finalizes++;
            } catch {}
        }
        _observe();
    }

    function propose(uint256 who, bool bogus) external {
        ILedgerV2.JobState memory j = ledger.getJob(jobId);
        bytes32 h = j.acceptedCount == 0 ? j.head : keccak256(abi.encode(j.round, bogus));
        vm.prank(_v(who));
        try ledger.proposeHead(jobId, j.round, h, j.accumulator) returns (uint256 pid) {
            proposals.push(pid);
        } catch {}
    }

    function challengeHead(uint256 proposalSeed, uint256 who) external {
        uint256 pid = _pick(proposals, proposalSeed);
        if (pid == 0) return;
        vm.prank(_v(who));
        try ledger.challengeHead(pid) returns (uint256 d) {
            disputes.push(d);
        } catch {}
    }

    function finalizeHead(uint256 proposalSeed) external {
        uint256 pid = _pick(proposals, proposalSeed);
        if (pid == 0) return;
        ILedgerV2.ProposalInfo memory pr = ledger.getProposal(pid);
        try ledger.finalizeHead(pid) {
            // one chain: the accepted proposal's parent is the ghost chain's tip, and the round moves by one
            if (pr.parent != heads[heads.length - 1] || pr.round + 1 != heads.length) headViolations++;
            heads.push(pr.newHead);
            headsAdvanced++;
        } catch {}
        _observe();
    }

    function withdraw(uint256 who) external {
        address a = who % 2 == 0 ? workers[who % NW] : _v(who);
        vm.prank(a);
        try ledger.withdraw() {} catch {}
    }
}
