"""The console's pure core (node/console/): every work-log kind the node's code logs and every ledger event that
concerns a node reads as a sentence (no Python repr, no wei, no epoch number); amounts, stall reports,
earnings, rates and the live panel's text."""
from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

from node.chain.artifacts import load_artifact
from node.chain.v2.views import ClaimStatus, CreditReason, DisputeKind, DisputeStatus, ProposalStatus, SlashReason
from node.console.earnings import Earnings, earnings_text
from node.console.lines import LOG_LINES, Mine, chain_line, generic_line, log_line, progress_line, stamp, tx_line
from node.console.money import eth_text
from node.console.panel import Snapshot, panel_lines, training_status_text
from node.console.progress import BlockClock, Training, Window, next_window, window_text
from node.console.stalls import StallLimiter, idle_verifier_stall, missed_window_stall, peer_stall, seats_stall

NODE = Path(__file__).resolve().parents[2] / "node"
ME = "0x" + "ab" * 20
OTHER = "0x" + "cd" * 20
ETH = 10**18


@functools.cache
def logged_kinds() -> dict[str, list[str]]:
    """Every `<...>.state.log("kind", field=...)` call in node/: kind -> the field names it passes."""
    kinds: dict[str, list[str]] = {}
    for path in NODE.rglob("*.py"):
        for call in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "log"):
                continue
            owner = call.func.value
            if not (isinstance(owner, ast.Attribute) and owner.attr == "state" or
                    isinstance(owner, ast.Name) and owner.id == "state"):
                continue
            if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
                kinds.setdefault(call.args[0].value, []).extend(k.arg for k in call.keywords if k.arg)
    return kinds


# What each field name holds at the call sites (a value of the same type and shape).
SAMPLES = {"round": 3, "claim": 4, "dispute": 2, "attempt": 0, "job": 1, "how": "recorded", "files": 3,
           "bytes": 123456, "seconds": 1.234, "root": "0x" + "12" * 32, "head": "0x" + "34" * 32, "trained_from": "0x" + "9a" * 32,
           "reason": "round closed", "error": "ContractRevert: WindowClosed(12, 10)", "decision": "approve",
           "segments": [1, 3], "approvers": [OTHER], "why": "relay http://127.0.0.1:9/: ConnectError: refused",
           "relay": "http://127.0.0.1:9", "entries": 3, "approvals": 3, "claims": [4, 5], "verdicts": 5,
           "key": "claim:1:3", "function": "approve", "worker": OTHER, "old_cursor": 120, "ancestor": 110,
           "chain_head": 118, "events_dropped": 4, "nonce": 7, "old_nonce": 6, "tx": "0x" + "56" * 32,
           "old_tx": "0x" + "78" * 32, "progress": {"round": 3, "segments_done": 1, "segments": 3}}


def assert_readable(text: str) -> None:
    """A sentence a person reads: no repr, no wei, no epoch or wei-sized number."""
    assert text and text == text.strip(), text
    for bad in ("{", "}", "[", "]", "None", "wei", "Traceback", "<", "object at"):
        assert bad not in text, f"{bad!r} in {text!r}"
    assert not re.search(r"'[^' ]*'", text), f"a quoted repr in {text!r}"
    assert not re.search(r"(?<![0-9a-fx])\d{10,}", text), f"epoch or wei in {text!r}"


def test_the_node_logs_kinds_this_test_can_see():
    kinds = logged_kinds()
    assert {"trained", "verdict", "chain-error", "proposed", "outbox-failed", "reorg"} <= set(kinds), sorted(kinds)


@pytest.mark.parametrize("kind", sorted(logged_kinds()))
def test_every_logged_kind_has_its_own_sentence(kind):
    fields = {name: SAMPLES[name] for name in logged_kinds()[kind]}
    assert kind in LOG_LINES, f"state.log({kind!r}) has no sentence in node/console/lines.py"
    line = log_line(kind, fields)
    assert_readable(line)
    assert line != generic_line(kind, fields), "an own sentence, not the generic fallback"


def test_log_lines_say_what_happened():
    assert log_line("trained", {"round": 3, "seconds": 1.234, "root": "0x12"}) == \
        "trained the claim of round 3 in 1.2 s"
    assert log_line("verdict", {"claim": 4, "decision": "approve"}) == "replayed claim 4: sound, approving"
    assert log_line("jury-verdict", {"dispute": 2, "attempt": 0, "verdicts": 5}) == \
        "juror: judged dispute 2: segments 0, 2 faulty"
    assert log_line("outbox-failed", {"key": "approve:12#failed:0x12", "tx": "0x1", "error": "reverted"}) == \
        "transaction for the approval of claim 12 failed: reverted"


def test_an_unknown_kind_reads_as_words_never_a_repr():
    line = log_line("new-thing", {"claim": 4, "amount_wei": 12 * 10**15, "segments": [1, 2], "at": 1.7e9,
                                  "detail": {"a_b": 1}, "missing": None})
    assert_readable(line)
    assert line.startswith("new thing: claim 4; amount 0.012 ETH; segments 1, 2; at ")
    assert "a b 1" in line and "missing none" in line


def test_a_kind_given_fields_of_another_shape_still_gets_a_line():
    assert_readable(log_line("trained", {"round": 3, "seconds": "not a number"}))


def sample_args(event: dict) -> dict:
    """Arguments for one ABI event: this node's address where an address goes, small ids, amounts of ETH."""
    args = {}
    for i in event["inputs"]:
        name, kind = i["name"], i["type"]
        if kind == "address":
            args[name] = ME
        elif kind.endswith("[]"):
            args[name] = [1, 2] if kind.startswith("uint") else [OTHER]
        elif kind.startswith("uint") and name in ("amount", "newActive", "newEscrow", "escrow"):
            args[name] = 12_300_000_000_000_000
        elif kind.startswith("uint"):
            args[name] = {"jobId": 1, "status": 2, "kind": 1, "reason": 0, "role": 1}.get(name, 4)
        elif kind.startswith("bytes"):
            args[name] = "0x" + "12" * 32
        elif kind == "string":
            args[name] = "http://127.0.0.1:9"
        else:
            args[name] = True
    return args


LEDGER_EVENTS = [e for e in load_artifact("LedgerV2").abi if e["type"] == "event"]


@pytest.mark.parametrize("event", LEDGER_EVENTS, ids=[e["name"] for e in LEDGER_EVENTS])
def test_every_ledger_event_that_concerns_the_node_reads_as_a_sentence(event):
    mine = Mine(ME, 1, claims={4}, seats={1}, proposals={4}, challenged={4}, juror_of={4},
                dispute_subject={4: (DisputeKind.CLAIM, 4)})
    a = sample_args(event)
    mine.learn(event["name"], a)
    line = chain_line({"name": event["name"], "args": a, "block": 10}, mine)
    if line is not None:
        assert_readable(line)


def event(name: str, **args) -> dict:
    return {"name": name, "args": args, "block": 10}


def test_a_workers_claim_from_submission_to_reward():
    mine = Mine(ME, 1)
    lines = []
    for e in (event("ClaimSubmitted", claimId=4, jobId=1, round=2, worker=ME, steps=30, seatCount=3),
              event("Approved", claimId=4, member=OTHER, seatIndex=0, position=1),
              event("ClaimFinalized", claimId=4, jobId=1, round=2, status=ClaimStatus.ACCEPTED, approvals=2),
              event("Credited", account=ME, subjectId=4, amount=12_300_000_000_000_000, reason=CreditReason.REWARD)):
        mine.learn(e["name"], e["args"])
        lines.append(chain_line(e, mine))
    assert lines == ["claim 4 submitted for round 2 (30 steps)",
                     "claim 4 approved by committee member 0xcdcd…cdcd",
                     "claim 4 finalized: accepted (2 approvals)",
                     "reward credited +0.0123 ETH for claim 4"]


def test_other_nodes_and_other_jobs_are_not_this_nodes_business():
    mine = Mine(ME, 1)
    assert chain_line(event("ClaimSubmitted", claimId=5, jobId=1, round=2, worker=OTHER, steps=30), mine) is None
    assert chain_line(event("Credited", account=OTHER, subjectId=5, amount=ETH, reason=0), mine) is None
    assert chain_line(event("RoundStarted", jobId=2, round=1, head="0x12"), mine) is None
    assert chain_line(event("RoundStarted", jobId=1, round=1, head="0x" + "12" * 32), mine) == \
        "round 1 started (head 0x1212…1212)"


def test_a_verifiers_duties_and_payments():
    mine = Mine(ME, 1)
    mine.learn("SeatRegistered", {"seatIndex": 1, "account": ME})
    assert progress_line("drawn", {"claim": 4, "position": 2}) == "drawn to the committee of claim 4 (position 2)"
    assert chain_line(event("Approved", claimId=4, member=ME, seatIndex=1, position=2), mine) == "approved claim 4"
    assert chain_line(event("Credited", account=ME, subjectId=4, amount=10**16, reason=CreditReason.FEE), mine) == \
        "approval fee credited +0.01 ETH for claim 4"
    slashed = event("Slashed", account=ME, role=2, subjectId=4, amount=5 * 10**16, reason=SlashReason.APPROVAL_BOND)
    assert chain_line(slashed, mine) == "slashed -0.05 ETH: approval bond of claim 4"


def resolved(dispute: int, faulty: int, status=DisputeStatus.RESOLVED) -> dict:
    return event("DisputeResolved", disputeId=dispute, status=status, faultyMask=faulty, reveals=3)


def test_disputes_are_won_or_lost_from_this_nodes_side():
    worker = Mine(ME, 1, claims={4})
    worker.learn("DisputeOpened", {"disputeId": 2, "kind": DisputeKind.CLAIM, "subjectId": 4, "jobId": 1})
    assert chain_line(resolved(2, 0), worker) == "dispute 2 won: claim 4 judged sound"
    assert chain_line(resolved(2, 0b10), worker) == "dispute 2 lost: claim 4 judged faulty"
    challenger = Mine(ME, 1)
    for name, a in (("DisputeOpened", {"disputeId": 2, "kind": DisputeKind.CLAIM, "subjectId": 4, "jobId": 1}),
                    ("Challenged", {"claimId": 4, "disputeId": 2, "challenger": ME, "segments": [1]})):
        challenger.learn(name, a)
    assert chain_line(resolved(2, 0b10), challenger) == "dispute 2 won: claim 4 judged faulty"
    assert chain_line(resolved(2, 0), challenger) == "dispute 2 lost: claim 4 judged sound"
    juror = Mine(ME, 1, seats={7})
    for name, a in (("DisputeOpened", {"disputeId": 3, "kind": DisputeKind.HEAD, "subjectId": 9, "jobId": 1}),
                    ("JurySeated", {"disputeId": 3, "attempt": 0, "seats": [2, 7]})):
        juror.learn(name, a)
        line = chain_line(event(name, **a), juror)
    assert line == "juror: drawn to the jury of dispute 3 (attempt 0)"
    assert chain_line(event("VerdictCommitted", disputeId=3, attempt=0, juror=ME, commitment="0x12"), juror) == \
        "juror: committed a verdict on dispute 3"
    assert chain_line(event("VerdictRevealed", disputeId=3, attempt=0, juror=ME, verdicts=0), juror) == \
        "juror: revealed the verdict on dispute 3: all sound"
    assert chain_line(resolved(3, 1), juror) == "juror: dispute 3 resolved: head proposal 9 judged faulty"
    assert chain_line(resolved(3, 0, DisputeStatus.NO_VERDICT), juror).startswith("dispute 3 ended with no verdict")
    assert chain_line(resolved(5, 1), juror) is None, "a dispute it has no part in"


def test_heads_proposed_and_finalized():
    mine = Mine(ME, 1)
    proposed = event("HeadProposed", proposalId=4, jobId=1, round=3, proposer=ME, newHead="0x" + "ef" * 32)
    mine.learn("HeadProposed", proposed["args"])
    assert chain_line(proposed, mine) == "head for round 3 proposed by this node: 0xefef…efef"
    assert chain_line(event("HeadFinalized", proposalId=4, jobId=1, round=3, status=ProposalStatus.ACCEPTED),
                      mine) == "head of round 3 finalized: accepted"
    assert tx_line("finalizeClaims", "finalize:3,4", 123_000_000_000_000) == \
        "finalized claims 3, 4 (gas 0.000123 ETH)"
    assert tx_line("approve", "approve:3", 1) is None, "an event line tells that one"


def test_amounts_have_sensible_decimals_and_one_unit():
    assert eth_text(12_345_678_900_000_000, signed=True) == "+0.0123 ETH"
    assert eth_text(-5 * 10**17, signed=True) == "-0.5 ETH"
    assert eth_text(2 * ETH) == "2 ETH"
    assert eth_text(123_456_789_012) == "0.000000123 ETH"  # gas on a devnet: 3 significant digits
    assert eth_text(0) == "0 ETH"


def test_lines_are_stamped_with_local_time():
    assert re.fullmatch(r"\d\d:\d\d:\d\d claim 4 submitted", stamp("claim 4 submitted", 1_700_000_000))


def test_stall_reports_say_what_is_awaited_and_why_at_most_once_a_minute():
    assert seats_stall(1, 3, ETH, claim_id=4) == \
        "waiting: claim 4 has no committee — 1 of 3 seats filled; verifiers must stake ≥ 1 ETH to take a seat"
    assert seats_stall(0, 2, None) == "waiting: no committee can be drawn for a claim — 0 of 2 seats filled"
    assert seats_stall(3, 3, ETH) is None
    assert idle_verifier_stall(89, 30, 1) is None
    assert idle_verifier_stall(95, 30, 1) == \
        "waiting: no claims to verify for 3 submit windows (95 blocks) — are workers running on job 1?"
    assert missed_window_stall(3, "paused: outside the schedule") == \
        "waiting: the submit window of round 3 passed with no claim sent: paused: outside the schedule"
    assert peer_stall("the chain", "connection refused") == "waiting: the chain unreachable — connection refused"
    limiter = StallLimiter()
    assert [limiter.due("seats", t) for t in (0, 30, 59.9, 60, 61, 125)] == [True, False, False, True, False, True]
    limiter.clear("seats")
    assert limiter.due("seats", 126), "a cause that cleared and came back is reported again"


def test_earnings_per_hour_and_day_are_net_of_gas_and_slashes():
    e = Earnings(started_at=1000.0)
    e.credit(10**17)
    e.credit(10**17)
    e.gas(2 * 10**15)
    e.slash(10**16)
    s = e.summary(now=1000.0 + 1800)  # half an hour
    assert s["net_wei"] == str(2 * 10**17 - 2 * 10**15 - 10**16)
    assert s["net_per_hour_eth"] == pytest.approx(0.376)
    assert s["net_per_day_eth"] == pytest.approx(0.376 * 24)
    assert s["transactions"] == 1 and s["running_seconds"] == 1800
    text = earnings_text(s)
    assert text == ("+0.376 ETH/hour, +9.024 ETH/day net of gas (0.2 ETH credited, 0.01 ETH slashed, 0.002 ETH gas, "
                    "over 30 min 00 s)")
    assert_readable(text)


def test_training_rate_eta_and_the_panel():
    t = Training(round=3, steps=3000, started_at=100.0)
    t.advance(1200, 101.0)
    assert t.steps_per_second() == 1200 and t.eta_seconds() == pytest.approx(1.5)
    clock = BlockClock()
    for i in range(5):
        clock.saw(800 + i, 50.0 + 0.25 * i)
    assert clock.seconds_per_block() == pytest.approx(0.25)
    window = next_window(804, [Window("submit window of round 3 closes", 828), Window("old", 700)])
    assert window_text(window, clock) == "submit window of round 3 closes in 24 blocks (~6 s), at block 828"
    lines = panel_lines(Snapshot(role="worker", address=ME, job_id=1, round=3, block=804, seconds_per_block=0.25,
                                 activity="working", next_window=window_text(window, clock),
                                 earnings="+0.1 ETH/hour", training=t))
    assert lines == ["worker 0xabab…abab · job 1 · round 3 · block 804 (0.25 s/block)",
                     "training claim of round 3: step 1200/3000 (40%) · 1,200 steps/s · ETA 2 s",
                     "next: submit window of round 3 closes in 24 blocks (~6 s), at block 828",
                     "earnings: +0.1 ETH/hour"]
    assert training_status_text({"round": 3, "step": 1200, "steps": 3000, "steps_per_second": 1200.0,
                                 "eta_seconds": 1.5}) == "claim of round 3: step 1200/3000 (40%) · 1,200 steps/s · ETA 2 s"
