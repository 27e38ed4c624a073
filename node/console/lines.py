"""One sentence per thing a node did or saw: its work log (`rt.state.log` kinds), the chain's events that concern
it, its progress reports (`rt.report`) and its own mined transactions.

Pure functions of plain dicts: no chain, no database. A sentence never holds a Python repr, a wei amount or an
epoch number; an unknown kind still reads as words (`generic_line`)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..chain.v2.views import ClaimStatus, CreditReason, DisputeKind, DisputeStatus, ProposalStatus, Role, SlashReason
from .money import eth_text


def stamp(text: str, at: float | None = None) -> str:
    """'14:03:07 text': local wall time, as a log a person reads."""
    return f"{time.strftime('%H:%M:%S', time.localtime(time.time() if at is None else at))} {text}"


def short_hex(value: Any, keep: int = 6) -> str:
    """'0x1234…abcd': enough of a hash or an address to tell two apart on one line."""
    text = str(value)
    return text if len(text) <= keep + 8 else f"{text[:keep]}…{text[-4:]}"


def words(enum_value: Any, kind: type) -> str:
    """ClaimStatus 2 -> 'accepted', SlashReason 0 -> 'claim bond'."""
    try:
        return kind(int(enum_value)).name.replace("_", " ").lower()
    except (ValueError, TypeError):
        return str(enum_value)


def listed(values: Any) -> str:
    """[1, 3] -> '1, 3'."""
    if isinstance(values, (list, tuple, set, frozenset)):
        return ", ".join(plain_value(v) for v in values) or "none"
    return plain_value(values)


def plain_value(value: Any, key: str = "") -> str:
    """A field's value as words: amounts in ETH, times as HH:MM:SS, lists comma-separated, never a repr."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) and (key.endswith("_at") or key == "at") and value > 10**9:
        return time.strftime("%H:%M:%S", time.localtime(value))
    if isinstance(value, (int, str)) and key.endswith("wei"):
        try:
            return eth_text(int(value))
        except ValueError:
            return str(value)
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict):
        return ", ".join(f"{field_name(k)} {plain_value(v, k)}" for k, v in value.items()) or "none"
    if isinstance(value, (list, tuple, set, frozenset)):
        return listed(list(value))
    return str(value)


def field_name(key: str) -> str:
    """'amount_wei' -> 'amount' (its value is shown in ETH), 'old_cursor' -> 'old cursor'."""
    return key.removesuffix("_wei").removesuffix("wei").replace("_", " ").strip() or key


def generic_line(kind: str, fields: dict) -> str:
    """An event this table does not know, still in words: 'new thing: claim 4; reason too slow'."""
    details = "; ".join(f"{field_name(k)} {plain_value(v, k)}" for k, v in fields.items())
    name = kind.replace("-", " ").replace("_", " ")
    return f"{name}: {details}" if details else name


def _first_line(text: Any, limit: int = 160) -> str:
    """An error message on one line, cut to fit a terminal row or two."""
    line = str(text).strip().splitlines()[0] if str(text).strip() else "no detail"
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _seconds(value: Any) -> str:
    return f"{float(value):.1f} s"


# -- the work log: what node/ code passes to rt.state.log(kind, **fields) ---------------------------------------
LOG_LINES: dict[str, Callable[[dict], str]] = {
    "consent": lambda f: f"consent to job {f.get('job')} terms: {f.get('how')}",
    "trained": lambda f: f"trained the claim of round {f.get('round')} in {_seconds(f.get('seconds', 0))}",
    "training-ahead": lambda f: (f"training the claim of round {f.get('round')} ahead, from the head that round "
                                 f"will open with ({short_hex(f.get('head'))}), while it is proposed"),
    "ahead-dropped": lambda f: (f"dropped the claim trained ahead for round {f.get('round')}: the head finalized "
                                f"is {short_hex(f.get('head'))}, not {short_hex(f.get('trained_from'))}"),
    "claim-abandoned": lambda f: f"claim of round {f.get('round')} abandoned: {_first_line(f.get('reason'))}",
    "claim-refused": lambda f: f"claim of round {f.get('round')} refused by the chain: {_first_line(f.get('error'))}",
    "pruned": lambda f: f"pruned {f.get('files')} stored files ({plain_value(f.get('bytes'))} bytes)",
    "chain-error": lambda f: f"chain error (retrying): {_first_line(f.get('error'))}",
    "io-error": lambda f: f"disk or network error (retrying): {_first_line(f.get('error'))}",
    "tick-error": lambda f: f"unexpected error (retrying; trace above): {_first_line(f.get('error'))}",
    "verdict": lambda f: f"replayed claim {f.get('claim')}: {_decision(f.get('decision'))}",
    "blaming": lambda f: (f"challenging claim {f.get('claim')} without replay: segments {listed(f.get('segments'))}"
                          f" held against {len(f.get('approvers') or [])} approvers"),
    "challenging": lambda f: (f"challenging claim {f.get('claim')}: segments {listed(f.get('segments'))} faulty"
                              f", held against {len(f.get('approvers') or [])} approvers"),
    "challenge-stood-down": lambda f: (f"not challenging claim {f.get('claim')}: dispute {f.get('dispute')} is "
                                       "already open (staying eligible as a juror)"),
    "challenge-skipped": lambda f: f"not challenging claim {f.get('claim')}: {f.get('why')}",
    "relay-posted": lambda f: f"approval of claim {f.get('claim')} handed to the relay {f.get('relay')}",
    "relay-fallback": lambda f: f"approving claim {f.get('claim')} directly: {_first_line(f.get('why'))}",
    "relay-refused": lambda f: f"relayed approval of claim {f.get('claim')} refused: {_first_line(f.get('why'))}",
    "relay-batch-refused": lambda f: (f"approval batch of {f.get('entries')} refused by the chain: "
                                      f"{_first_line(f.get('error'))}"),
    "relayed": lambda f: (f"relayed {f.get('approvals')} approvals in one transaction (claims "
                          f"{listed(f.get('claims'))})"),
    "relay-dropped": lambda f: f"dropped a relayed approval of claim {f.get('claim')}: {_first_line(f.get('error'))}",
    "member-error": lambda f: f"could not check claim {f.get('claim')} (retrying): {_first_line(f.get('error'))}",
    "result-copy-failed": lambda f: (f"could not fetch a copy of claim {f.get('claim')}'s result (retrying): "
                                     f"{_first_line(f.get('error'))}"),
    "jury-verdict": lambda f: f"juror: judged dispute {f.get('dispute')}: {_mask(f.get('verdicts'))}",
    "refused": lambda f: f"{f.get('function')} not sent, the chain refused it: {_first_line(f.get('error'))}",
    "proposed": lambda f: f"head proposed for round {f.get('round')}: {short_hex(f.get('head'))}",
    "planted": lambda f: f"sentinel: planted a faulty claim in round {f.get('round')} as {short_hex(f.get('worker'))}",
    "plant-refused": lambda f: f"sentinel: planted claim of round {f.get('round')} refused: {_first_line(f.get('error'))}",
    "reorg": lambda f: (f"the chain went back from block {f.get('old_cursor')} to {f.get('ancestor')}: "
                        f"{f.get('events_dropped')} events forgotten, replaying"),
    "outbox-resent": lambda f: f"resent the transaction for {_intent(f.get('key'))} after the chain went back",
    "outbox-resigned": lambda f: f"re-signed the transaction for {_intent(f.get('key'))} (nonce {f.get('nonce')})",
    "outbox-dropped": lambda f: f"dropped the transaction for {_intent(f.get('key'))}: {f.get('reason')}",
    "outbox-failed": lambda f: f"transaction for {_intent(f.get('key'))} failed: {_first_line(f.get('error'))}",
}


def _decision(decision: Any) -> str:
    return {"approve": "sound, approving", "reject": "faulty", "abstain": "could not judge (abstaining)"}.get(
        str(decision), str(decision))


def _mask(verdicts: Any) -> str:
    """A verdict bit mask as words: bit i set = segment i faulty."""
    try:
        mask = int(verdicts)
    except (TypeError, ValueError):
        return str(verdicts)
    faulty = [i for i in range(mask.bit_length()) if mask >> i & 1]
    return f"segments {listed(faulty)} faulty" if faulty else "all sound"


def _intent(key: Any) -> str:
    """An outbox key ('claim:1:3', 'approve:12') as words."""
    parts = str(key).split("#")[0].split(":")
    name, ids = parts[0], parts[1:]
    named = {"claim": "the claim of round {1}", "approve": "the approval of claim {0}",
             "challenge": "the challenge of claim {0}", "commit": "the verdict commitment on dispute {0}",
             "reveal": "the verdict reveal on dispute {0}", "propose": "the head of round {1}",
             "finalize-head": "finalizing head proposal {0}", "resolve": "resolving dispute {0}",
             "challenge-head": "the challenge of head proposal {0}", "stake": "staking"}
    try:
        return named[name].format(*ids) if name in named else f"{name.replace('-', ' ')} {' '.join(ids)}".strip()
    except IndexError:
        return name


def log_line(kind: str, fields: dict) -> str:
    """The sentence for one work-log entry."""
    render = LOG_LINES.get(kind)
    if render is None:
        return generic_line(kind, fields)
    try:
        return render(fields)
    except Exception:  # a field of an unexpected type: still a line, never a crash of the console
        return generic_line(kind, fields)


# -- progress reports (rt.report) that are worth a line of their own -------------------------------------------
def progress_line(kind: str, fields: dict) -> str | None:
    if kind == "drawn":
        return f"drawn to the committee of claim {fields.get('claim')} (position {fields.get('position')})"
    if kind == "training" and fields.get("step") == 0:
        return f"training the claim of round {fields.get('round')}: {fields.get('steps')} steps"
    return None


# -- the node's own mined transactions that no event line already tells ---------------------------------------
def tx_line(function: str, key: str, gas_wei: int) -> str | None:
    gas = f" (gas {eth_text(gas_wei)})"
    if function == "finalizeClaims":
        return f"finalized claims {key.split(':', 1)[-1].replace(',', ', ')}{gas}"
    if function == "resolveDispute":
        return f"resolved dispute {key.split(':')[1] if ':' in key else key}{gas}"
    if function == "finalizeHead":
        return f"finalized head proposal {key.split(':')[-1]}{gas}"
    return None


# -- chain events --------------------------------------------------------------------------------------------
@dataclass
class Mine:
    """What on chain is this node's: learnt from the events as they stream by (history included), so that a
    line can say 'your claim' or 'dispute won'."""

    address: str
    job_id: int
    claims: set[int] = field(default_factory=set)  # claims this node submitted
    seats: set[int] = field(default_factory=set)  # its verifier seat indexes
    proposals: set[int] = field(default_factory=set)  # head proposals it made
    challenged: set[int] = field(default_factory=set)  # disputes it opened or joined as a challenger
    juror_of: set[int] = field(default_factory=set)  # disputes whose jury drew it
    dispute_subject: dict[int, tuple[int, int]] = field(default_factory=dict)  # dispute -> (kind, subject id)

    def is_me(self, account: Any) -> bool:
        return str(account).lower() == self.address.lower()

    def learn(self, name: str, a: dict) -> None:
        """Remember what `name`'s args make this node's (before its line is written: a line may need it)."""
        if name == "ClaimSubmitted" and self.is_me(a.get("worker")) and a.get("jobId") == self.job_id:
            self.claims.add(a["claimId"])
        elif name == "SeatRegistered" and self.is_me(a.get("account")):
            self.seats.add(a["seatIndex"])
        elif name == "HeadProposed" and self.is_me(a.get("proposer")):
            self.proposals.add(a["proposalId"])
        elif name in ("Challenged", "HeadChallenged") and self.is_me(a.get("challenger")):
            self.challenged.add(a["disputeId"])
        elif name == "JurySeated" and self.seats & set(a.get("seats") or ()):
            self.juror_of.add(a["disputeId"])
        elif name == "VerdictCommitted" and self.is_me(a.get("juror")):
            self.juror_of.add(a["disputeId"])
        elif name == "DisputeOpened":
            self.dispute_subject[a["disputeId"]] = (a["kind"], a["subjectId"])

    def party(self, dispute_id: int) -> str | None:
        """This node's side in a dispute: 'worker', 'proposer', 'challenger', 'juror', or None."""
        kind, subject = self.dispute_subject.get(dispute_id, (None, None))
        if kind == DisputeKind.CLAIM and subject in self.claims:
            return "worker"
        if kind == DisputeKind.HEAD and subject in self.proposals:
            return "proposer"
        if dispute_id in self.challenged:
            return "challenger"
        if dispute_id in self.juror_of:
            return "juror"
        return None


def _credit_line(a: dict) -> str:
    amount = eth_text(a["amount"], signed=True)
    reason = int(a.get("reason", -1))
    if reason == CreditReason.REWARD:
        return f"reward credited {amount} for claim {a['subjectId']}"
    if reason == CreditReason.FEE:
        return f"approval fee credited {amount} for claim {a['subjectId']}"
    if reason == CreditReason.SLASH_SHARE:
        return f"share of a slashed bond credited {amount} (dispute {a['subjectId']})"
    return f"credited {amount} ({words(reason, CreditReason)}, subject {a['subjectId']})"


SLASH_SUBJECT = {SlashReason.CLAIM_BOND: "claim", SlashReason.APPROVAL_BOND: "claim",
                 SlashReason.EXPIRY_PENALTY: "claim", SlashReason.MISS_PENALTY: "claim",
                 SlashReason.CHALLENGE_BOND: "dispute", SlashReason.JUROR_BOND: "dispute",
                 SlashReason.HEAD_BOND: "head proposal"}


def _slash_line(a: dict) -> str:
    reason = int(a.get("reason", -1))
    subject = SLASH_SUBJECT.get(reason, "subject") if reason in iter(SlashReason) else "subject"
    return f"slashed {eth_text(-int(a['amount']), signed=True)}: {words(reason, SlashReason)} of {subject} {a['subjectId']}"


def _dispute_line(a: dict, mine: Mine) -> str | None:
    dispute, party = a["disputeId"], mine.party(a["disputeId"])
    if party is None:
        return None
    status = int(a["status"])
    if status == DisputeStatus.NO_VERDICT:
        return f"dispute {dispute} ended with no verdict ({a.get('reveals')} reveals): bonds returned"
    faulty = int(a.get("faultyMask", 0)) != 0
    kind, subject = mine.dispute_subject.get(dispute, (DisputeKind.CLAIM, "?"))
    what = f"claim {subject}" if kind == DisputeKind.CLAIM else f"head proposal {subject}"
    judged = f"{what} judged {'faulty' if faulty else 'sound'}"
    if party in ("worker", "proposer"):
        return f"dispute {dispute} {'lost' if faulty else 'won'}: {judged}"
    if party == "challenger":
        return f"dispute {dispute} {'won' if faulty else 'lost'}: {judged}"
    return f"juror: dispute {dispute} resolved: {judged}"


def chain_line(event: dict, mine: Mine) -> str | None:
    """The sentence for a chain event that concerns this node (None: not its business). Call mine.learn first."""
    name, a = event["name"], event["args"]
    job = a.get("jobId")
    if job is not None and job != mine.job_id:
        return None
    me = mine.is_me
    if name == "RoundStarted":
        return f"round {a['round']} started (head {short_hex(a['head'])})"
    if name == "JobCreated":
        return f"job {a['jobId']} created"
    if name == "Staked" and me(a["account"]):
        return f"staked {eth_text(a['amount'])} as {words(a['role'], Role)} (active stake {eth_text(a['newActive'])})"
    if name == "UnstakeRequested" and me(a["account"]):
        return f"unstake requested as {words(a['role'], Role)}"
    if name == "StakeWithdrawn" and me(a["account"]):
        return f"withdrew {eth_text(a['amount'])} of stake as {words(a['role'], Role)}"
    if name == "SeatRegistered" and me(a["account"]):
        return f"verifier seat {a['seatIndex']} registered: this node can be drawn to committees"
    if name == "SeatRetired" and me(a["account"]):
        return f"verifier seat {a['seatIndex']} retired"
    if name == "ClaimSubmitted" and me(a["worker"]):
        return f"claim {a['claimId']} submitted for round {a['round']} ({a['steps']} steps)"
    if name == "Approved":
        if me(a["member"]):
            return f"approved claim {a['claimId']}"
        if a["claimId"] in mine.claims:
            return f"claim {a['claimId']} approved by committee member {short_hex(a['member'])}"
    if name == "Challenged":
        if me(a["challenger"]):
            return f"challenged claim {a['claimId']}: segments {listed(a['segments'])} (dispute {a['disputeId']})"
        if a["claimId"] in mine.claims:
            return (f"claim {a['claimId']} challenged by {short_hex(a['challenger'])}: segments "
                    f"{listed(a['segments'])} (dispute {a['disputeId']})")
    if name == "HeadChallenged":
        if me(a["challenger"]):
            return f"challenged head proposal {a['proposalId']} (dispute {a['disputeId']})"
        if a["proposalId"] in mine.proposals:
            return f"head proposal {a['proposalId']} challenged by {short_hex(a['challenger'])}"
    if name == "JurySeated" and a["disputeId"] in mine.juror_of and mine.seats & set(a.get("seats") or ()):
        return f"juror: drawn to the jury of dispute {a['disputeId']} (attempt {a['attempt']})"
    if name == "VerdictCommitted" and me(a["juror"]):
        return f"juror: committed a verdict on dispute {a['disputeId']}"
    if name == "VerdictRevealed" and me(a["juror"]):
        return f"juror: revealed the verdict on dispute {a['disputeId']}: {_mask(a['verdicts'])}"
    if name == "JuryRedrawn" and mine.party(a["disputeId"]):
        return f"dispute {a['disputeId']}: too few reveals, a new jury is drawn (attempt {a['attempt']})"
    if name == "DisputeResolved":
        return _dispute_line(a, mine)
    if name == "ClaimFinalized" and a["claimId"] in mine.claims:
        return (f"claim {a['claimId']} finalized: {words(a['status'], ClaimStatus)} "
                f"({a['approvals']} approvals)")
    if name == "Credited" and me(a["account"]):
        return _credit_line(a)
    if name == "Slashed" and me(a["account"]):
        return _slash_line(a)
    if name == "HeadProposed":
        who = "this node" if me(a["proposer"]) else short_hex(a["proposer"])
        return f"head for round {a['round']} proposed by {who}: {short_hex(a['newHead'])}"
    if name == "HeadFinalized":
        return f"head of round {a['round']} finalized: {words(a['status'], ProposalStatus)}"
    if name == "Withdrawn" and me(a["account"]):
        return f"withdrew {eth_text(a['amount'])} of credits"
    return None
