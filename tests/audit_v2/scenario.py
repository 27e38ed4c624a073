"""An honest + fraud history on a real LedgerV2, driven in-process with dev accounts (no node processes).

Round 0 of one job: claim A (honest) is approved by two of its three members and accepted (the third pays a
miss); claim B (fraud) is approved, then challenged on a segment of one approver's own sample; its jury finds
the segment faulty by majority (one juror dissents and loses its bond): B is Rejected, its worker and the caught
approver are slashed. Then a head is proposed, challenged, judged right by its jury (the challenger is slashed),
and finalized: round 1 starts on the new head. Results and roots are fake (the chain does not look inside);
the audit's artifact checks are not part of the v2 audit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from eth_utils import keccak

from node.chain.devaccounts import dev_account
from node.chain.v2 import rules
from node.chain.v2.deploy import deploy_ledger_v2
from node.chain.v2.views import JobParams, LedgerV2, Role
from node.config import Deployment
from verifier.sampling import sample_index

ETH = 10**18
GENESIS = keccak(b"genesis")
SEAT_STAKE = ETH
PARAMS = JobParams(
    spec_hash=keccak(b"spec"), genesis_head=GENESIS, reward_per_claim=ETH, approval_fee=ETH // 10,
    committee_size=3, quorum=2, jury_size=3, samples_per_member=2, checkpoint_every=10, claim_bond=ETH,
    approval_bond=ETH // 2, submit_window=40, verify_window=12, challenge_window=12, challenge_bond=ETH // 2,
    juror_bond=ETH // 5, commit_window=8, reveal_window=8, head_window=10, max_claims_per_round=8,
    head_bond=ETH, expiry_penalty=ETH // 10, max_redraws=1, miss_penalty=ETH // 20)
STEPS = 100  # S = 10 segments
ZERO_ADDRESS = "0x" + "00" * 20
OWNER, WORKERS, VERIFIERS, RELAYER = 0, (1, 2, 11), tuple(range(3, 10)), 10


@dataclass
class History:
    ledger: LedgerV2
    deployment: Deployment
    job_id: int = 1
    honest: int = 0  # claim ids
    fraud: int = 0
    claim_dispute: int = 0
    head_dispute: int = 0
    proposal: int = 0
    caught: str = ""  # the approver of the fraud whose sample held the faulty segment
    dissenter: str = ""  # the juror outvoted in the claim dispute
    jurors: dict = field(default_factory=dict)  # dispute id -> juror accounts seated
    expired: int = 0  # round 1: a claim short of its quorum (expiry penalty, misses)
    accepted_1: int = 0  # round 1: an accepted claim, so that a head other than the current one may be proposed
    no_verdict_claim: int = 0  # round 1: a claim whose juries never revealed (redrawn, then NoVerdict)
    no_verdict_dispute: int = 0
    wrong_head: int = 0  # round 1: a proposal its jury found wrong (HeadBond slashed, Rejected)
    wrong_head_dispute: int = 0
    open_bonds_block: int = 0  # a block with every kind of claim obligation open (claims, approvals, challenge, jurors)


def mine(w3, blocks: int) -> None:
    if blocks > 0:
        w3.provider.make_request("anvil_mine", [hex(blocks)])


def mine_past(w3, block: int) -> None:
    """Until the chain's head is past `block` (anvil prepares transactions at the head block's number)."""
    mine(w3, block - w3.eth.block_number + 1)


def _event(ledger, receipt, name):
    (e,) = ledger.events(receipt["blockNumber"], receipt["blockNumber"], names=[name])
    return e["args"]


def _jury(ledger: LedgerV2, dispute_id: int) -> list:
    by_address = {dev_account(i).address: dev_account(i) for i in VERIFIERS}
    return [by_address[ledger.seat(i).account] for i in ledger.jury(dispute_id)]


def _judge(ledger: LedgerV2, dispute_id: int, verdicts: list[int] | None, h: "History | None" = None) -> list:
    """Every seated juror commits then reveals verdicts[k] (the last entry repeats for bigger juries); with
    verdicts None they commit and stay silent (the attempt ends without a reveal quorum)."""
    w3 = ledger.w3
    d = ledger.dispute(dispute_id)
    mine_past(w3, d.jury_seed_block)
    jurors = _jury(ledger, dispute_id)
    silent = verdicts is None
    verdicts = verdicts or [0]
    votes = [(j, verdicts[min(k, len(verdicts) - 1)], keccak(text=f"salt-{dispute_id}-{k}"))
             for k, j in enumerate(jurors)]
    for j, v, salt in votes:
        ledger.send(j, "commitVerdict", dispute_id, rules.commitment(v, salt, j.address))
    if h is not None:
        h.open_bonds_block = w3.eth.block_number
    mine_past(w3, d.commit_deadline)
    for j, v, salt in ([] if silent else votes):
        ledger.send(j, "revealVerdict", dispute_id, v, salt)
    mine_past(w3, d.reveal_deadline)
    ledger.send(dev_account(RELAYER), "resolveDispute", dispute_id)
    return jurors


def _caught_pair(seed: bytes, claim_id: int, members: list, n_segments: int):
    """(caught, other, draw index, segment): a draw of caught's own sample that is not in other's sample."""
    s = PARAMS.samples_per_member
    for caught in members:
        for other in members:
            if other is caught:
                continue
            theirs = {sample_index(seed, claim_id, other.address, i, n_segments) for i in range(s)}
            for i in range(s):
                segment = sample_index(seed, claim_id, caught.address, i, n_segments)
                if segment not in theirs:
                    return caught, other, i, segment
    raise AssertionError(f"every sample of claim {claim_id}'s members is the same: rerun the scenario")


def build(w3, home: Path, rpc_url: str) -> History:
    owner, relayer = dev_account(OWNER), dev_account(RELAYER)
    ledger, receipt = deploy_ledger_v2(w3, owner, unbonding_delay_blocks=5, seat_stake_wei=SEAT_STAKE)
    deployment = Deployment(chain_id=w3.eth.chain_id, address=ledger.address, block=receipt["blockNumber"],
                            rpc_url=rpc_url, ledger_version=2)
    deployment.save(home / "deployment.json")
    h = History(ledger, deployment)
    ledger.send(owner, "createJob", PARAMS.as_tuple(), value=20 * ETH)
    for i in WORKERS:
        ledger.send(dev_account(i), "stake", int(Role.WORKER), value=3 * ETH)
    for i in VERIFIERS:
        ledger.send(dev_account(i), "stake", int(Role.VERIFIER), value=3 * ETH)
    mine(w3, 1)
    by_address = {dev_account(i).address: dev_account(i) for i in VERIFIERS}

    honest, fraud = dev_account(WORKERS[0]), dev_account(WORKERS[1])
    r = ledger.send(honest, "submitClaim", h.job_id, 0, GENESIS, keccak(b"result-a"), keccak(b"root-a"), STEPS, "")
    h.honest = _event(ledger, r, "ClaimSubmitted")["claimId"]
    r = ledger.send(fraud, "submitClaim", h.job_id, 0, GENESIS, keccak(b"result-b"), keccak(b"root-b"), STEPS, "")
    h.fraud = _event(ledger, r, "ClaimSubmitted")["claimId"]
    mine_past(w3, ledger.claim(h.fraud).seed_block)

    # A: two of three members approve; the third does nothing and pays missPenalty at finalization.
    members_a = [by_address[ledger.seat(i).account] for i in ledger.committee(h.honest)]
    for m in members_a[:2]:
        ledger.send(m, "approve", h.honest)
    # B: two members approve (one directly, one by a relayed signature); a live seat that is neither challenges a
    # segment of the first approver's own sample that the second approver's sample lacks, so that exactly one
    # approver is caught.
    from node.chain.v2.approvals import sign_claim_approval
    members_b = [by_address[ledger.seat(i).account] for i in ledger.committee(h.fraud)]
    claim_b = ledger.claim(h.fraud)
    seed_b = rules.claim_seed(ledger, claim_b)
    caught, other, draw, segment = _caught_pair(seed_b, h.fraud, members_b, claim_b.segments)
    ledger.send(caught, "approve", h.fraud)
    ledger.send(relayer, "approveBySig", h.fraud, sign_claim_approval(ledger, other, h.fraud))
    h.caught = caught.address
    r_args = ([segment], [h.caught], [draw])
    members_b = [caught, other]
    challenger = next(v for v in by_address.values() if v not in members_b[:2])
    r = ledger.send(challenger, "challenge", h.fraud, *r_args)
    h.claim_dispute = _event(ledger, r, "DisputeOpened")["disputeId"]
    jurors = _judge(ledger, h.claim_dispute, [1, 1, 0], h)  # majority: faulty; the third juror dissents
    h.jurors[h.claim_dispute] = [j.address for j in jurors]
    h.dissenter = jurors[2].address if len(jurors) > 2 else ""

    mine_past(w3, ledger.claim(h.honest).challenge_deadline)
    ledger.send(relayer, "finalizeClaim", h.honest)

    # Head of round 0: proposed, challenged, judged right; the challenger loses its bond.
    job = ledger.job(h.job_id)
    mine_past(w3, job.round_start + PARAMS.submit_window)
    proposer = next(v for v in by_address.values() if v not in jurors)
    r = ledger.send(proposer, "proposeHead", h.job_id, 0, keccak(b"head-1"), job.accumulator)
    h.proposal = _event(ledger, r, "HeadProposed")["proposalId"]
    head_challenger = next(v for v in by_address.values() if v is not proposer)
    r = ledger.send(head_challenger, "challengeHead", h.proposal)
    h.head_dispute = _event(ledger, r, "DisputeOpened")["disputeId"]
    h.jurors[h.head_dispute] = [j.address for j in _judge(ledger, h.head_dispute, [0])]
    mine_past(w3, ledger.proposal(h.proposal).propose_block + PARAMS.head_window)
    ledger.send(relayer, "finalizeHead", h.proposal)

    round_1(h, by_address)

    # Money in and out: more escrow, a verifier leaving (its seat retires) and paid out, a worker's credits paid.
    ledger.send(owner, "fund", h.job_id, value=ETH)
    leaver = dev_account(VERIFIERS[-1])
    r = ledger.send(leaver, "requestUnstake", int(Role.VERIFIER), ETH)
    mine_past(w3, _event(ledger, r, "UnstakeRequested")["unlockBlock"])
    ledger.send(leaver, "withdrawStake", int(Role.VERIFIER))
    ledger.send(honest, "withdraw")
    mine(w3, 2)  # the audit reads to one block behind the head
    return h


def round_1(h: History, by_address: dict) -> None:
    """The other endings: a claim short of its quorum Expires (expiryPenalty, misses); a claim whose juries stay silent
    is redrawn once, then closes without a verdict (jurors' bonds lost, the claim Expires at no cost to its
    worker); a head judged wrong is Rejected (headBond slashed), and a second, unchallenged proposal advances."""
    ledger, w3, relayer = h.ledger, h.ledger.w3, dev_account(RELAYER)
    honest, fraud = dev_account(WORKERS[0]), dev_account(WORKERS[1])
    head = ledger.job(h.job_id).head
    r = ledger.send(honest, "submitClaim", h.job_id, 1, head, keccak(b"result-c"), keccak(b"root-c"), STEPS, "")
    h.expired = _event(ledger, r, "ClaimSubmitted")["claimId"]
    r = ledger.send(fraud, "submitClaim", h.job_id, 1, head, keccak(b"result-d"), keccak(b"root-d"), STEPS, "")
    h.no_verdict_claim = _event(ledger, r, "ClaimSubmitted")["claimId"]
    r = ledger.send(dev_account(WORKERS[2]), "submitClaim", h.job_id, 1, head, keccak(b"result-e"), keccak(b"root-e"),
                    STEPS, "")
    h.accepted_1 = _event(ledger, r, "ClaimSubmitted")["claimId"]
    mine_past(w3, ledger.claim(h.accepted_1).seed_block)
    for m in [by_address[ledger.seat(i).account] for i in ledger.committee(h.accepted_1)][:2]:
        ledger.send(m, "approve", h.accepted_1)
    ledger.send(by_address[ledger.seat(ledger.committee(h.expired)[0]).account], "approve", h.expired)
    members = {by_address[ledger.seat(i).account] for i in ledger.committee(h.no_verdict_claim)}
    challenger = next(v for v in by_address.values() if v not in members)
    r = ledger.send(challenger, "challenge", h.no_verdict_claim, [3], [ZERO_ADDRESS], [0])
    h.no_verdict_dispute = _event(ledger, r, "DisputeOpened")["disputeId"]
    _judge(ledger, h.no_verdict_dispute, None)  # JuryRedrawn
    _judge(ledger, h.no_verdict_dispute, None)  # NoVerdict
    mine_past(w3, ledger.claim(h.accepted_1).challenge_deadline)
    ledger.send(relayer, "finalizeClaims", [h.expired, h.accepted_1])

    job = ledger.job(h.job_id)
    mine_past(w3, job.round_start + PARAMS.submit_window)
    proposer, challenger = list(by_address.values())[:2]
    r = ledger.send(proposer, "proposeHead", h.job_id, 1, keccak(b"not-the-head"), job.accumulator)
    h.wrong_head = _event(ledger, r, "HeadProposed")["proposalId"]
    r = ledger.send(challenger, "challengeHead", h.wrong_head)
    h.wrong_head_dispute = _event(ledger, r, "DisputeOpened")["disputeId"]
    _judge(ledger, h.wrong_head_dispute, [1])
    r = ledger.send(challenger, "proposeHead", h.job_id, 1, keccak(b"head-2"), job.accumulator)
    kept = _event(ledger, r, "HeadProposed")["proposalId"]
    mine_past(w3, ledger.proposal(kept).propose_block + PARAMS.head_window)
    ledger.send(relayer, "finalizeHead", kept)
