"""A v2 job's terms as its owner writes them: JobParams less the spec and genesis hashes, with defaults sized
for a devnet (a block every 0.25 s) and amounts in wei. `params()` builds the struct createJob takes."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .views import JobParams

ETH = 10**18


@dataclass(frozen=True)
class JobTermsV2:
    reward_per_claim: int = ETH // 10
    approval_fee: int = ETH // 100
    committee_size: int = 3  # D
    quorum: int = 2
    jury_size: int = 3  # J
    samples_per_member: int = 2  # s
    checkpoint_every: int = 0  # k; 0: the spec's
    claim_bond: int = ETH // 2
    approval_bond: int = ETH // 20
    submit_window: int = 30
    verify_window: int = 16
    challenge_window: int = 16
    challenge_bond: int = ETH // 20
    juror_bond: int = ETH // 50
    commit_window: int = 12
    reveal_window: int = 12
    head_window: int = 12
    max_claims_per_round: int = 16
    head_bond: int = ETH // 10
    expiry_penalty: int = ETH // 20
    max_redraws: int = 1
    miss_penalty: int = ETH // 100

    def params(self, spec_hash: bytes, genesis_head: bytes, spec_checkpoint_every: int) -> JobParams:
        fields = dataclasses.asdict(self)
        fields["checkpoint_every"] = self.checkpoint_every or spec_checkpoint_every
        return JobParams(spec_hash=spec_hash, genesis_head=genesis_head, **fields)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def min_verifier_stake(self) -> int:
        """A seat (the ledger's seatStake is checked at stake time) plus room for the bonds of a busy round."""
        return 4 * self.approval_bond + 2 * self.challenge_bond + 4 * self.juror_bond + self.head_bond
