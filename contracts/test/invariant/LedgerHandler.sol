// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {GradchainLedger} from "../../src/GradchainLedger.sol";
import {IGradchainLedger} from "../../src/IGradchainLedger.sol";
import {TestBase, Vm} from "../utils/Vm.sol";

/// @notice Drives the ledger in random order as job owners, workers, verifiers and strangers, and keeps ghost
///         records the invariants compare against: finalizations per claim, credits issued and withdrawn, and
///         the head chain of every job as rebuilt from HeadAdvanced events.
contract LedgerHandler is TestBase {
    GradchainLedger public immutable ledger;

    uint256 internal constant N_OWNERS = 2;
    uint256 internal constant N_WORKERS = 3;
    uint256 internal constant N_VERIFIERS = 4;

    address[] public actors; // owners, workers, verifiers, a stranger (all plain keys)
    uint256[] internal verifierKeys;
    address[] internal verifierAddrs;
    address[] internal workerAddrs;
    address[] internal ownerAddrs;

    uint256[] public jobIds;
    uint256[] public claimIds;
    uint256[] public proposalIds;

    // Ghosts.
    mapping(uint256 claimId => uint256) public finalizeCount;
    uint256 public maxFinalizeCount;
    uint256 public ghostCredited; // sum of Credited amounts
    uint256 public ghostWithdrawn; // sum of Withdrawn payouts received
    mapping(uint256 jobId => bytes32) public ghostHead;
    mapping(uint256 jobId => uint256) public ghostRound;
    bool public headChainBroken;
    uint256 public calls;
    // Coverage counters: how many calls of each kind went through.
    uint256 public okClaims;
    uint256 public okVotes;
    uint256 public okFinalized;
    uint256 public okHeadsAdvanced;
    uint256 public okWithdrawals;

    bytes32 internal constant CREDITED = keccak256("Credited(address,uint256,uint256,uint8)");
    bytes32 internal constant HEAD_ADVANCED = keccak256("HeadAdvanced(uint256,uint64,bytes32,bytes32)");

    constructor(GradchainLedger ledger_) {
        ledger = ledger_;
        for (uint256 i; i < N_OWNERS; ++i) {
            ownerAddrs.push(_actor(0x0E000 + i));
        }
        for (uint256 i; i < N_WORKERS; ++i) {
            workerAddrs.push(_actor(0x1A000 + i));
        }
        for (uint256 i; i < N_VERIFIERS; ++i) {
            verifierKeys.push(0x2B000 + i);
            verifierAddrs.push(_actor(0x2B000 + i));
        }
        _actor(0x3C000); // stranger
    }

    function _actor(uint256 key) internal returns (address a) {
        a = vm.addr(key);
        vm.deal(a, 1_000 ether);
        actors.push(a);
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function jobCount() external view returns (uint256) {
        return jobIds.length;
    }

    function claimCount() external view returns (uint256) {
        return claimIds.length;
    }

    // ------------------------------------------------------------------------------------------- helpers

    function _pick(address[] storage list, uint256 seed) internal view returns (address) {
        return list[seed % list.length];
    }

    function _job(uint256 seed) internal view returns (uint256) {
        return jobIds.length == 0 ? 1 : jobIds[seed % jobIds.length];
    }

    /// @dev Mostly one of the four latest claims (likely still pending), sometimes any claim.
    function _claim(uint256 seed) internal view returns (uint256) {
        uint256 n = claimIds.length;
        if (n == 0) return 1;
        if (seed % 4 == 0) return claimIds[(seed >> 2) % n];
        uint256 recent = n < 4 ? n : 4;
        return claimIds[n - 1 - (seed >> 2) % recent];
    }

    /// @dev Mostly the latest proposal, sometimes any.
    function _proposal(uint256 seed) internal view returns (uint256) {
        uint256 n = proposalIds.length;
        if (n == 0) return 1;
        return seed % 4 == 0 ? proposalIds[(seed >> 2) % n] : proposalIds[n - 1];
    }

    function _collectCredits() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(ledger) && logs[i].topics[0] == CREDITED) {
                (uint256 amount,) = abi.decode(logs[i].data, (uint256, uint8));
                ghostCredited += amount;
            }
        }
    }

    function _sign(uint256 key, IGradchainLedger.Attestation memory a) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, ledger.attestationDigest(a));
        return abi.encodePacked(r, s, v);
    }

    // ------------------------------------------------------------------------------------------- actions

    function createJob(uint256 seed, uint256 escrow) external {
        ++calls;
        uint256 maxVotes = bound(seed, 1, 4);
        uint256 quorum = bound(seed >> 8, 1, maxVotes < 2 ? maxVotes : 2); // reachable with 4 verifiers
        uint256 minW = bound(seed >> 16, 1, 3 ether);
        uint256 minV = bound(seed >> 80, 1, 2 ether);
        IGradchainLedger.JobParams memory p = IGradchainLedger.JobParams({
            specHash: keccak256(abi.encode("spec", seed)),
            genesisHead: keccak256(abi.encode("genesis", seed)),
            rewardPerClaim: bound(seed >> 24, 0.01 ether, 2 ether),
            verifierFee: bound(seed >> 32, 0.001 ether, 0.3 ether),
            quorum: uint32(quorum),
            maxVotes: uint32(maxVotes),
            submitWindow: uint32(bound(seed >> 40, 2, 8)),
            verifyWindow: uint32(bound(seed >> 48, 3, 10)),
            minWorkerStake: minW,
            minVerifierStake: minV,
            workerSlash: bound(seed >> 56, 0, minW),
            verifierSlash: bound(seed >> 64, 0, minV)
        });
        escrow = bound(escrow, 0, 30 ether);
        address owner = _pick(ownerAddrs, seed >> 72);
        vm.prank(owner);
        uint256 jobId = ledger.createJob{value: escrow}(p);
        jobIds.push(jobId);
        ghostHead[jobId] = p.genesisHead;
    }

    function fund(uint256 jobSeed, uint256 amount) external {
        ++calls;
        amount = bound(amount, 1, 10 ether);
        vm.prank(_pick(actors, jobSeed >> 8));
        try ledger.fund{value: amount}(_job(jobSeed)) {} catch {}
    }

    function withdrawEscrow(uint256 jobSeed, uint256 amount) external {
        ++calls;
        if (jobIds.length == 0) return;
        uint256 jobId = _job(jobSeed);
        IGradchainLedger.JobView memory j = ledger.getJob(jobId);
        amount = bound(amount, 1, j.escrow + 1);
        vm.prank(j.owner);
        try ledger.withdrawEscrow(jobId, amount) {} catch {}
    }

    function stake(uint256 actorSeed, bool asVerifier, uint256 amount) external {
        ++calls;
        amount = bound(amount, 1, 4 ether);
        address who = asVerifier ? _pick(verifierAddrs, actorSeed) : _pick(workerAddrs, actorSeed);
        vm.prank(who);
        ledger.stake{value: amount}(asVerifier ? 2 : 1);
    }

    function requestUnstake(uint256 actorSeed, bool asVerifier, uint256 amount) external {
        ++calls;
        address who = asVerifier ? _pick(verifierAddrs, actorSeed) : _pick(workerAddrs, actorSeed);
        uint8 role = asVerifier ? 2 : 1;
        (uint256 active,,,) = ledger.stakeOf(who, role);
        amount = bound(amount, 1, active + 1);
        vm.prank(who);
        try ledger.requestUnstake(role, amount) {} catch {}
    }

    function withdrawStake(uint256 actorSeed, bool asVerifier) external {
        ++calls;
        address who = asVerifier ? _pick(verifierAddrs, actorSeed) : _pick(workerAddrs, actorSeed);
        vm.prank(who);
        try ledger.withdrawStake(asVerifier ? 2 : 1) {} catch {}
    }

    function submitClaim(uint256 jobSeed, uint256 workerSeed, uint256 resultSeed) external {
        ++calls;
        if (jobIds.length == 0) return;
        uint256 jobId = _job(jobSeed);
        IGradchainLedger.JobView memory j = ledger.getJob(jobId);
        address who = _pick(workerAddrs, workerSeed);
        bytes32 result = keccak256(abi.encode("result", resultSeed));
        vm.prank(who);
        try ledger.submitClaim(jobId, j.round, j.head, result, keccak256(abi.encode("root", result)), 8, "uri")
        returns (uint256 claimId) {
            claimIds.push(claimId);
            ++okClaims;
        } catch {}
    }

    function attest(uint256 claimSeed, uint256 verifierSeed, bool approve) external {
        ++calls;
        uint256 claimId = _claim(claimSeed);
        bytes32 seed;
        try ledger.claimSeed(claimId) returns (bytes32 s) {
            seed = s;
        } catch {
            return;
        }
        vm.prank(_pick(verifierAddrs, verifierSeed));
        try ledger.attest(claimId, approve, seed) {
            ++okVotes;
        } catch {}
    }

    function attestBatch(uint256 claimSeed, uint256 verifierSeed, uint8 approveMask) external {
        ++calls;
        uint256 claimId = _claim(claimSeed);
        if (claimIds.length == 0) return;
        bytes32 seed;
        try ledger.claimSeed(claimId) returns (bytes32 s) {
            seed = s;
        } catch {
            return;
        }
        bytes32 root = ledger.getClaim(claimId).transcriptRoot;
        uint256 n = bound(verifierSeed, 1, 3);
        IGradchainLedger.Attestation[] memory atts = new IGradchainLedger.Attestation[](n);
        bytes[] memory sigs = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            atts[i] = IGradchainLedger.Attestation(claimId, (approveMask >> i) & 1 == 1, root, seed);
            sigs[i] = _sign(verifierKeys[(verifierSeed + i) % N_VERIFIERS], atts[i]);
        }
        vm.prank(_pick(actors, verifierSeed >> 8));
        try ledger.attestBatch(atts, sigs) {
            okVotes += n;
        } catch {}
    }

    function roll(uint256 blocks) external {
        ++calls;
        vm.roll(block.number + bound(blocks, 1, 8));
    }

    function finalizeClaim(uint256 claimSeed) external {
        ++calls;
        vm.prank(_pick(actors, claimSeed >> 8));
        _finalize(_claim(claimSeed));
    }

    function _finalize(uint256 claimId) internal {
        vm.recordLogs();
        try ledger.finalizeClaim(claimId) {
            ++okFinalized;
            uint256 count = ++finalizeCount[claimId];
            if (count > maxFinalizeCount) maxFinalizeCount = count;
        } catch {}
        _collectCredits();
    }

    /// @dev A keeper's sweep: try to finalize every claim (most are final already and revert).
    function finalizeAll() external {
        ++calls;
        for (uint256 i; i < claimIds.length; ++i) {
            _finalize(claimIds[i]);
        }
    }

    function proposeHead(uint256 jobSeed, uint256 headSeed) external {
        ++calls;
        if (jobIds.length == 0) return;
        uint256 jobId = _job(jobSeed);
        IGradchainLedger.JobView memory j = ledger.getJob(jobId);
        (,,, uint32 accepted, bytes32 acc) = ledger.roundInfo(jobId, j.round);
        bytes32 newHead = accepted == 0 ? j.head : keccak256(abi.encode("head", headSeed));
        vm.prank(_pick(actors, headSeed >> 8));
        try ledger.proposeHead(jobId, j.round, newHead, acc) returns (uint256 pid) {
            proposalIds.push(pid);
        } catch {}
    }

    function attestHead(uint256 proposalSeed, uint256 verifierSeed, bool approve) external {
        ++calls;
        vm.prank(_pick(verifierAddrs, verifierSeed));
        try ledger.attestHead(_proposal(proposalSeed), approve) {} catch {}
    }

    function finalizeHead(uint256 proposalSeed) external {
        ++calls;
        vm.recordLogs();
        try ledger.finalizeHead(_proposal(proposalSeed)) {
            Vm.Log[] memory logs = vm.getRecordedLogs();
            for (uint256 i; i < logs.length; ++i) {
                if (logs[i].emitter != address(ledger) || logs[i].topics[0] != HEAD_ADVANCED) continue;
                uint256 jobId = uint256(logs[i].topics[1]);
                uint256 round = uint256(logs[i].topics[2]);
                (bytes32 parent, bytes32 head) = abi.decode(logs[i].data, (bytes32, bytes32));
                if (parent != ghostHead[jobId] || round != ghostRound[jobId] + 1) headChainBroken = true;
                ghostHead[jobId] = head;
                ++okHeadsAdvanced;
                ghostRound[jobId] = round;
            }
        } catch {
            vm.getRecordedLogs();
        }
    }

    function withdraw(uint256 actorSeed) external {
        ++calls;
        address who = _pick(actors, actorSeed);
        uint256 before = who.balance;
        vm.prank(who);
        try ledger.withdraw() {
            ghostWithdrawn += who.balance - before;
            ++okWithdrawals;
        } catch {}
    }
}
