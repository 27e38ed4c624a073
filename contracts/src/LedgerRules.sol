// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title LedgerRules
/// @notice The pure decisions of the gradchain ledger, one function per rule, so they can be read and fuzzed
///         apart from storage.
library LedgerRules {
    /// @notice Outcome of a vote (same numbering as ClaimStatus and ProposalStatus).
    uint8 internal constant ACCEPTED = 2;
    uint8 internal constant REJECTED = 3;
    uint8 internal constant EXPIRED = 4;

    /// @notice Decide a vote: Accepted if approvals reach quorum and beat rejections; Rejected if rejections
    ///         reach quorum and at least tie approvals; otherwise Expired.
    /// @param approvals Approving votes.
    /// @param rejections Rejecting votes.
    /// @param quorum Votes a side needs (>= 1).
    /// @return ACCEPTED, REJECTED or EXPIRED.
    function outcome(uint256 approvals, uint256 rejections, uint256 quorum) internal pure returns (uint8) {
        if (approvals >= quorum && approvals > rejections) return ACCEPTED;
        if (rejections >= quorum && rejections >= approvals) return REJECTED;
        return EXPIRED;
    }

    /// @notice Escrow a submission reserves: the reward plus a fee for every possible vote.
    /// @param rewardPerClaim Worker reward.
    /// @param verifierFee Fee per verifier.
    /// @param maxVotes Most votes.
    /// @return Wei reserved.
    function reservation(uint256 rewardPerClaim, uint256 verifierFee, uint256 maxVotes)
        internal
        pure
        returns (uint256)
    {
        return rewardPerClaim + verifierFee * maxVotes;
    }

    /// @notice Split slash proceeds equally among the winning verifiers; the remainder is dust.
    /// @param slashed Total wei slashed.
    /// @param winners Winning verifiers (>= 1 whenever anything was slashed).
    /// @return share Wei per winner.
    /// @return dust Wei left over (returned to the job's escrow).
    function splitSlash(uint256 slashed, uint256 winners) internal pure returns (uint256 share, uint256 dust) {
        if (winners == 0) return (0, slashed);
        share = slashed / winners;
        dust = slashed - share * winners;
    }

    /// @notice Pack a vote into 32 bits: account index in the high 31 bits, approve in bit 0. Never 0 because
    ///         account indices start at 1.
    /// @param accountIndex Voter's account index (1 .. 2^31 - 1).
    /// @param approve The vote.
    /// @return The packed entry.
    function packVote(uint32 accountIndex, bool approve) internal pure returns (uint32) {
        return (accountIndex << 1) | (approve ? 1 : 0);
    }

    /// @notice Unpack a vote entry.
    /// @param entry A packed entry.
    /// @return accountIndex Voter's account index.
    /// @return approve The vote.
    function unpackVote(uint256 entry) internal pure returns (uint32 accountIndex, bool approve) {
        accountIndex = uint32(entry >> 1);
        approve = entry & 1 == 1;
    }
}
