"""The sentinel (PROTOCOL.md v2 §2, §4.3, §8), run by a job owner: it makes approving without replaying lose money.

It is a verifier (a seat, committee and jury duties, head watching: all honest) that also holds worker stakes
under planted identities: addresses of its own with no visible link to its seat (on a devnet they are dev
accounts or keystores the owner funded; on a real network, funded from elsewhere). In each round, each identity
plants a fault with a probability set by the rate ρ (the share of the job's claims that are planted, as `job
create --sentinel-rate` prices it): a claim trained on a decoy's batches, so that its every segment is faulty
while its losses, update sizes and timing are those of honest work (prover/planted.py). Its artifacts are
served like any worker's. When the verify window closes it challenges every approval, naming each approver's
first draw: a proven-faulty segment in that approver's own sample, so each one that approved without replaying
loses its approval bond. Honest members find the fault themselves and approve nothing, so a planted fault is
Rejected and never reaches a head; the sentinel pays its claim bond for it, which goes to those who caught it.

The decision to plant is keccak(identity's key, round) against ρ: nobody without the key can tell which rounds
hold a planted claim, or which claim it is.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from ...chain.v2.views import CreditReason, Role, SlashReason
from ...chain_identity import chain_identity, open_state_for_chain
from ...outbox import Outbox
from ...state import NodeState
from ..runtime import Runtime
from .verifier import VerifierV2

DEFAULT_RATE = 0.05  # ρ: one claim in twenty planted


def plant_probability(rate: float, honest_claims: int, identities: int) -> float:
    """Chance that one identity plants this round, for a share `rate` of all claims planted: rate/(1-rate) planted
    claims per honest one, spread over the identities (each plants at most one claim a round)."""
    if not 0 <= rate < 1:
        raise ValueError(f"the sentinel rate must be in [0, 1), got {rate!r}")
    if identities < 1:
        return 0.0
    return min(1.0, rate / (1 - rate) * max(1, honest_claims) / identities)


def plants(secret: bytes, round_: int, probability: float) -> bool:
    """Whether an identity with `secret` plants in `round_`: a draw no one else can compute in advance."""
    draw = int.from_bytes(keccak(b"gradchain/sentinel/plant" + secret + round_.to_bytes(32, "big")), "big")
    return draw < probability * 2**256


@dataclass
class Planted:
    """One planted identity: its account, and its own outbox and database (its nonces are its own)."""

    account: LocalAccount
    state: NodeState
    outbox: Outbox

    @property
    def address(self) -> str:
        return self.account.address

    @property
    def secret(self) -> bytes:
        return keccak(b"gradchain/sentinel/secret" + bytes(self.account.key))


class Sentinel(VerifierV2):
    def __init__(self, rt: Runtime):
        super().__init__(rt)
        extra = rt.options.extra
        self.rate = float(extra.get("sentinel_rate", DEFAULT_RATE))
        self.from_round = int(extra.get("plant_from_round", 0))
        identity = chain_identity(rt.ledger.w3, rt.ledger.address, rt.deployment.block)
        self.planted: list[Planted] = []
        for account in extra.get("planted_accounts", ()):
            if account.address.lower() == rt.address.lower():
                raise ValueError(f"a planted identity must not be the sentinel's own account {rt.address}")
            state = open_state_for_chain(rt.options.data_dir / f"planted-{account.address.lower()}.db", identity,
                                         rt.options.reset_state, rt.ledger.w3.provider.endpoint_uri)
            self.planted.append(Planted(account, state, Outbox(state, rt.ledger, account)))
        if not self.planted:
            raise ValueError("a sentinel needs at least one planted identity (--planted-wallet or "
                             "--planted-dev-account): an address of yours with no visible link to this one")
        self.own_workers |= {p.address.lower() for p in self.planted}
        self.blamed: set[int] = set()
        rt.live_status = self.report  # computed when /status is asked, not on every tick

    def start(self) -> None:
        super().start()
        for p in self.planted:
            self._top_up(p)

    def resume(self) -> None:
        for p in self.planted:
            p.outbox.reconcile()
        super().resume()

    def tick(self) -> None:
        super().tick()
        job = self.rt.job()
        for p in self.planted:
            p.outbox.check_sent()
            self._plant(p, job)
        self._blame_planted()

    # -- planting ------------------------------------------------------------------------------------------------
    def _plant(self, p: Planted, job: dict) -> None:
        from prover.planted import prove_planted_fault
        from prover.store import DirStore

        rt, round_ = self.rt, job["round"]
        key = f"claim:{rt.job_id}:{round_}"
        if p.outbox.status(key) is not None:
            p.outbox.settle(key)
            return
        if round_ < self.from_round or rt.submissions_closed(job):
            return
        honest = rt.state.one("select count(*) as n from claims where job_id = ? and round = ?",
                              (rt.job_id, round_ - 1))["n"] if round_ else 0
        honest -= self._planted_in(round_ - 1)
        if not plants(p.secret, round_, plant_probability(self.rate, honest, len(self.planted))):
            return
        decided = f"planted:{round_}:{p.address}"
        if rt.state.get_meta(decided) is None:
            self._top_up(p)
            rt.state.set_meta(decided, json.dumps({"at": time.time()}))
        if rt.ledger.stake(p.address, Role.WORKER).unlocked < rt.job_params.claim_bond:
            return  # the top-up is not mined yet
        head = job["head"]
        head_tensors = rt.head_tensors(head, round_)
        with rt.cpu.measure("training"):
            proof = prove_planted_fault(rt.spec, head_tensors, round_, p.address, p.secret, DirStore(rt.store.root),
                                        job_key=rt.job_key)
        rt.store.put("transcript", proof.transcript.to_bytes(), expected_id=proof.transcript.root)
        rt.state.log("planted", round=round_, worker=p.address, root="0x" + proof.transcript.root.hex())
        from ...chain.errors import ContractRevert

        try:
            p.outbox.submit(key, "submitClaim", rt.job_id, round_, head, proof.result_id, proof.transcript.root,
                            rt.spec.steps_per_claim, rt.public_url, wait=False)
        except ContractRevert as exc:  # the window closed while it trained: planted nothing
            rt.state.log("plant-refused", round=round_, error=str(exc))

    def _planted_in(self, round_: int) -> int:
        mine = [p.address for p in self.planted]
        return self.rt.state.one(f"select count(*) as n from claims where job_id = ? and round = ? and worker in "
                                 f"({','.join('?' * len(mine))})", (self.rt.job_id, round_, *mine))["n"]

    def _top_up(self, p: Planted) -> None:
        """Stake so that the identity's unlocked worker stake covers a claim bond (a rejected plant costs one)."""
        rt = self.rt
        bond = rt.job_params.claim_bond
        unlocked = rt.ledger.stake(p.address, Role.WORKER).unlocked
        if unlocked >= bond:
            return
        value = max(rt.options.auto_stake_wei, bond - unlocked)
        p.outbox.submit(f"stake:worker:{rt.block()}", "stake", Role.WORKER, value=value)

    # -- challenging ---------------------------------------------------------------------------------------------
    def _blame_planted(self) -> None:
        rt = self.rt
        block = rt.block()
        for claim in self._planted_claims("Pending"):
            claim_id = claim["claim_id"]
            key = f"challenge:{claim_id}"
            if rt.outbox.status(key) is not None:
                rt.outbox.settle(key)
                continue
            if claim_id in self.blamed:
                continue
            own = rt.ledger.call("isCommitteeMember", claim_id, rt.address)[0]
            if self.member.blame(claim, block, own=own):
                self.blamed.add(claim_id)

    def _planted_claims(self, status: str | None = None) -> list[dict]:
        mine = [p.address for p in self.planted]
        sql = (f"select * from claims where job_id = ? and worker in ({','.join('?' * len(mine))})"
               + (" and status = ?" if status else "") + " order by claim_id")
        return self.rt.state.rows(sql, (self.rt.job_id, *mine, *((status,) if status else ())))

    # -- status --------------------------------------------------------------------------------------------------
    def report(self) -> dict:
        """What the sentinel shows: planted faults, lazy approvers caught, ETH it spent and won back (wei)."""
        rt = self.rt
        planted = self._planted_claims()
        ids = {c["claim_id"] for c in planted}
        disputes = {r["dispute_id"] for r in rt.state.rows("select dispute_id, subject_id from disputes where "
                                                           "kind = 'Claim'") if r["subject_id"] in ids}
        events = [(r["name"], json.loads(r["args"])) for r in rt.state.rows(
            "select name, args from events where name in ('Slashed', 'Credited')")]
        ours = {rt.address.lower(), *(p.address.lower() for p in self.planted)}
        caught = [a for n, a in events if n == "Slashed" and a["reason"] == SlashReason.APPROVAL_BOND
                  and a["subjectId"] in ids]
        spent = sum(int(a["amount"]) for n, a in events if n == "Slashed" and a["account"].lower() in ours and (
            a["subjectId"] in ids if a["reason"] != SlashReason.CHALLENGE_BOND else a["subjectId"] in disputes))
        recovered = sum(int(a["amount"]) for n, a in events if n == "Credited" and a["account"].lower() in ours
                        and a["reason"] == CreditReason.SLASH_SHARE and a["subjectId"] in disputes)
        return {"sentinel": {
            "rate": self.rate, "identities": [p.address for p in self.planted],
            "planted_faults": len(planted),
            "planted_rejected": sum(c["status"] == "Rejected" for c in planted),
            "planted_accepted": sum(c["status"] == "Accepted" for c in planted),
            "lazy_approvers_caught": len(caught),
            "caught": sorted({a["account"] for a in caught}),
            "eth_spent_wei": str(spent), "eth_recovered_wei": str(recovered)}}
