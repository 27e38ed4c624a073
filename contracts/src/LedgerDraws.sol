// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice The protocol's hashes that bind work and draw verifiers (PROTOCOL.md v2 §3, §4.2, §4.3), computed
///         exactly as prover/jobkey.py, verifier/sampling.py and verifier/committee.py compute them; the
///         shared vectors in contracts/test/vectors/protocol_v2.json pin both sides.
library LedgerDraws {
    bytes internal constant SAMPLE_DOMAIN = "gradchain/sample/v2";
    bytes internal constant COMMITTEE_DOMAIN = "gradchain/committee/v2";
    bytes internal constant JURY_DOMAIN = "gradchain/jury/v2";

    /// @notice The key that binds training to one job of one ledger on one chain.
    function jobKey(uint256 chainId, address ledger, uint256 jobId) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(chainId, ledger, jobId));
    }

    /// @notice Draw `i` of `member`'s sample of claim `claimId`: a segment index below `segments`.
    /// @dev With replacement, so "segment j is in member's sample" is this one hash given the draw index.
    function sampleIndex(bytes32 seed, uint256 claimId, address member, uint256 i, uint256 segments)
        internal
        pure
        returns (uint256)
    {
        return uint256(keccak256(abi.encodePacked(SAMPLE_DOMAIN, seed, claimId, member, i))) % segments;
    }

    /// @notice Draw `i` of a committee (COMMITTEE_DOMAIN) or jury (JURY_DOMAIN) stream: a seat index.
    function seatDraw(bytes memory domain, bytes32 seed, uint256 subjectId, uint256 i, uint256 seatCount)
        internal
        pure
        returns (uint256)
    {
        return uint256(keccak256(abi.encodePacked(domain, seed, subjectId, i))) % seatCount;
    }
}
