// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title LedgerV2Rules
/// @notice The pure decisions of the v2 ledger (PROTOCOL.md v2 section 4), apart from storage so they can be
///         read and fuzzed alone.
library LedgerV2Rules {
    /// @notice Escrow a claim reserves: the reward and a fee for each of the D members. Juries are paid from
    ///         slashed bonds, never from escrow, so nothing more is reserved.
    function reservation(uint256 rewardPerClaim, uint256 approvalFee, uint256 committeeSize)
        internal
        pure
        returns (uint256)
    {
        return rewardPerClaim + approvalFee * committeeSize;
    }

    /// @notice Whether a seat (registeredAt, retiredAt; 0 = live) is eligible at `frozenAt`: registered before it
    ///         and not retired by it (same rule as verifier/committee.py Seat.eligible_at).
    function eligible(uint256 registeredAt, uint256 retiredAt, uint256 frozenAt) internal pure returns (bool) {
        return registeredAt < frozenAt && (retiredAt == 0 || retiredAt > frozenAt);
    }

    /// @notice Bound on the draws of a committee or jury stream of `size` seats (verifier/committee.py max_draws).
    function maxDraws(uint256 size) internal pure returns (uint256) {
        return 4 * size + 16;
    }

    /// @notice Reveals a jury needs for a verdict: ceil(J / 2).
    function revealQuorum(uint256 jurySize) internal pure returns (uint256) {
        return (jurySize + 1) / 2;
    }

    /// @notice A segment is proven faulty iff a strict majority of revealed jurors say so.
    function provenFaulty(uint256 faultyVotes, uint256 reveals) internal pure returns (bool) {
        return faultyVotes * 2 > reveals;
    }

    /// @notice A juror's commitment.
    function commitment(uint256 verdicts, bytes32 salt, address juror) internal pure returns (bytes32) {
        return keccak256(abi.encode(verdicts, salt, juror));
    }

    /// @notice Outcome of a settled claim with no proven fault: true = Accepted (approvals reach quorum).
    function accepted(uint256 approvals, uint256 quorum) internal pure returns (bool) {
        return approvals >= quorum;
    }

    /// @notice Split a pot equally among winners; the remainder (or everything, with no winner) is dust.
    function split(uint256 pot, uint256 winners) internal pure returns (uint256 share, uint256 dust) {
        if (winners == 0) return (0, pot);
        share = pot / winners;
        dust = pot - share * winners;
    }

    /// @notice Number of set bits of a mask.
    function popcount(uint256 x) internal pure returns (uint256 n) {
        while (x != 0) {
            x &= x - 1;
            ++n;
        }
    }

    /// @notice The accepted-results accumulator step (as v1).
    function accumulate(bytes32 acc, uint256 claimId, bytes32 result) internal pure returns (bytes32) {
        return keccak256(abi.encode(acc, claimId, result));
    }
}
