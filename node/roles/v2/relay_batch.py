"""The aggregator's relay of committee members' EIP-712 approvals (PROTOCOL.md §4.2: approve "directly, or by an
EIP-712 signature relayed by anyone"; contracts/v2.md, approveBatch).

Members POST their signatures to /relay/approvals (node/api/relay.py), which only queues them. Here, in the role
loop, each is checked against the chain as the ledger will check it (a low-s signature by a member of the claim's
committee, over the claim's stored root and seed, that member not yet approved, the vote window open), and the
ones that pass are held. All held approvals go out in one approveBatch once every claim open for votes has its
whole committee's approvals (on chain or held), or once the earliest held deadline is `relay_lead` blocks away:
one transaction's 21,000 base and one seed read per claim for a round, where direct approvals cost one
transaction per member.

A relayer can withhold an approval but cannot forge or alter one, so members that do not see their approval on
chain `fallback_lead` blocks before their deadline send it themselves (node/roles/v2/member.py). A batch the
chain would refuse (a member that approved directly meanwhile, or ran out of free stake) is cut down to the
entries that still pass one by one, so one bad entry cannot sink the others.
"""
from __future__ import annotations

import time

from ...chain.errors import ContractRevert
from ...chain.v2 import approvals, rules
from ..claim_check import b32
from ..runtime import Runtime
from .settle import send_or_log


# An inbox row for a claim the follower has not seen yet is kept this long (it may be a block behind), no longer.
UNKNOWN_CLAIM_TTL_S = 60.0


def relay_lead(verify_window: int) -> int:
    """Blocks before the earliest held deadline at which the aggregator sends what it holds."""
    return max(6, verify_window // 2)


# Blocks from sending a batch to its members seeing it: mined in the next block, read by a follower one block
# behind the head (node/roles/runtime.py, confirmations).
RELAY_SEEN_BLOCKS = 2


def fallback_lead(verify_window: int) -> int:
    """Blocks before its deadline at which a member whose relayed approval is not on chain sends it directly:
    below relay_lead, so an honest relayer's batch has blocks to be mined and seen first, and far enough from
    the deadline that a member busy replaying another claim for a few seconds still gets its approval in."""
    return max(3, verify_window // 4)


class RelayBatcher:
    def __init__(self, rt: Runtime):
        self.rt = rt
        self.held: dict[int, dict[str, bytes]] = {}  # claim id -> member -> signature, checked against the chain
        self._claims: dict[int, tuple[bytes, tuple[str, ...]]] = {}  # claim id -> (seed, committee accounts)
        self._domain: approvals.Domain | None = None
        self.relayed = 0  # approvals this node put on chain

    def forget(self) -> None:
        """The chain went back: a claim id may now name another claim, with another seed and committee."""
        self.held.clear()
        self._claims.clear()

    def tick(self, block: int) -> None:
        self._check_inbox(block)
        self._drop_stale(block)
        if self.held and self._due(block):
            self._send(block)

    # -- the inbox -----------------------------------------------------------------------------------------
    def _check_inbox(self, block: int) -> None:
        rt = self.rt
        for row in rt.state.rows("select * from relay_inbox order by received_at limit 256"):
            claim_id, signature_hex = row["claim_id"], row["signature"]
            claim = rt.state.one("select * from claims where claim_id = ? and job_id = ?", (claim_id, rt.job_id))
            if claim is None:
                if time.time() - row["received_at"] < UNKNOWN_CLAIM_TTL_S:
                    continue  # the follower may be a block behind the member that signed
                why = "no such claim of this job"
            elif claim["status"] == "Pending" and block <= rules.seed_block(claim["submit_block"]):
                continue  # the follower lags the member: its seed block is not here yet
            else:
                why = self._hold(claim, signature_hex, block)
            rt.state.db.execute("delete from relay_inbox where claim_id = ? and signature = ?",
                                (claim_id, signature_hex))
            if why is not None:
                rt.state.log("relay-refused", claim=claim_id, why=why)

    def _hold(self, claim: dict, signature_hex: str, block: int) -> str | None:
        """Hold the approval if the ledger would take it; otherwise say why it would not."""
        rt, claim_id = self.rt, claim["claim_id"]
        if claim["status"] != "Pending":
            return f"the claim is {claim['status']}"
        if not rules.vote_open(block, rules.seed_block(claim["submit_block"]), rt.job_params.verify_window):
            return "the claim's vote window is closed"
        seed, committee = self._context(claim)
        signature = b32(signature_hex)
        try:
            signer = approvals.recover_approver(self._domain_of(), claim_id, b32(claim["transcript_root"]), seed,
                                                signature)
        except ValueError as exc:
            return str(exc)
        if signer not in committee:
            return f"signed by {signer}, not a member of the claim's committee"
        held = self.held.get(claim_id, {})
        if signer in held:
            return None  # sent again (a member restarted): the one held stands
        if self._approved_on_chain(claim_id, signer):
            return f"{signer} has approved already"
        self.held.setdefault(claim_id, {})[signer] = signature
        return None

    def _context(self, claim: dict) -> tuple[bytes, tuple[str, ...]]:
        claim_id = claim["claim_id"]
        if claim_id not in self._claims:
            ledger = self.rt.ledger
            seed = bytes(ledger.w3.eth.get_block(rules.seed_block(claim["submit_block"]))["hash"])
            committee = tuple(ledger.seat(i).account for i in ledger.committee(claim_id))
            self._claims[claim_id] = (seed, committee)
        return self._claims[claim_id]

    def _domain_of(self) -> approvals.Domain:
        if self._domain is None:
            self._domain = approvals.domain_of(self.rt.ledger)
        return self._domain

    def _approved_on_chain(self, claim_id: int, member: str) -> bool:
        return self.rt.state.one("select 1 as x from approvals where claim_id = ? and lower(member) = lower(?)",
                                 (claim_id, member)) is not None

    # -- the batch -----------------------------------------------------------------------------------------
    def _drop_stale(self, block: int) -> None:
        """Held approvals that landed (by this relay or directly), or that could no longer be seen on chain by
        their member before it approves directly (fallback_lead): sent anyway, one of the two would revert."""
        p = self.rt.job_params
        for claim_id in list(self.held):
            claim = self.rt.state.one("select status, submit_block from claims where claim_id = ?", (claim_id,))
            seed = rules.seed_block(claim["submit_block"]) if claim is not None else 0
            open_ = claim is not None and claim["status"] == "Pending" and rules.vote_open(
                block, seed, p.verify_window) and (
                seed + p.verify_window - block > fallback_lead(p.verify_window) + RELAY_SEEN_BLOCKS)
            members = self.held[claim_id]
            for member in [m for m in members if not open_ or self._approved_on_chain(claim_id, m)]:
                del members[member]
            if not members:
                del self.held[claim_id]

    def _due(self, block: int) -> bool:
        rt = self.rt
        p = rt.job_params
        deadlines = []
        for claim_id in self.held:
            claim = rt.state.one("select submit_block from claims where claim_id = ?", (claim_id,))
            deadlines.append(rules.seed_block(claim["submit_block"]) + p.verify_window)
        if min(deadlines) - block <= relay_lead(p.verify_window):
            return True
        # Nothing more to wait for: every claim open for votes has its whole committee's approvals in hand.
        for claim in rt.state.rows("select * from claims where job_id = ? and status = 'Pending'", (rt.job_id,)):
            if not rules.vote_open(block, rules.seed_block(claim["submit_block"]), p.verify_window):
                continue
            _seed, committee = self._context(claim)
            if any(m not in self.held.get(claim["claim_id"], {}) and not self._approved_on_chain(claim["claim_id"], m)
                   for m in committee):
                return False
        return True

    def _entries(self) -> list[tuple[int, bytes]]:
        # Grouped by claim: approveBatch reads a claim's context once for consecutive entries of it.
        return [(c, sig) for c in sorted(self.held) for sig in self.held[c].values()]

    def _send(self, block: int) -> None:
        rt = self.rt
        entries = self._entries()
        try:
            rt.ledger.call("approveBatch", [c for c, _ in entries], [s for _, s in entries])
        except ContractRevert as exc:
            rt.state.log("relay-batch-refused", entries=len(entries), error=str(exc))
            entries = self._passing_alone(entries)
            if not entries:
                return
        if send_or_log(rt, f"relay:{block}", "approveBatch", [c for c, _ in entries], [s for _, s in entries]):
            self.relayed += len(entries)
            rt.state.log("relayed", approvals=len(entries), claims=sorted({c for c, _ in entries}))
        # Sent, or refused even so (two entries of one member exceeding its free stake together, say: its
        # members fall back): either way nothing of it is held any more.
        for claim_id, signature in entries:
            members = self.held.get(claim_id, {})
            for member in [m for m, held in members.items() if held == signature]:
                del members[member]
            if not members:
                self.held.pop(claim_id, None)

    def _passing_alone(self, entries: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
        """The entries the ledger takes one at a time; the others are dropped (their members fall back)."""
        passing = []
        for claim_id, signature in entries:
            try:
                self.rt.ledger.call("approveBySig", claim_id, signature)
                passing.append((claim_id, signature))
            except ContractRevert as exc:
                self.rt.state.log("relay-dropped", claim=claim_id, error=str(exc))
                for member, held in list(self.held.get(claim_id, {}).items()):
                    if held == signature:
                        del self.held[claim_id][member]
        return passing
