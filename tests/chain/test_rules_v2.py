"""Pure vectors of the v2 ledger replayed in Python: rules_v2.json against node/chain/v2/rules.py, approval_v2.json
against node/chain/v2/approvals.py (forge replays both: RulesVector.t.sol, ApprovalVector.t.sol), and the enum
mirrors against ILedgerV2.sol."""
from __future__ import annotations

import json
import re
from pathlib import Path

from eth_account import Account
from eth_utils import keccak

from node.chain.v2 import approvals, rules, views

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "contracts" / "test" / "vectors"


def hexb(s: str) -> bytes:
    return bytes.fromhex(s[2:])


def test_rules_vector():
    v = json.loads((VECTORS / "rules_v2.json").read_text())
    for o in v["outcomes"]:
        got = rules.dispute_outcome(o["revealed"], o["segments"], o["jurySize"])
        assert (got.quorum, got.faulty_mask, list(got.majority)) == (o["quorum"], o["faultyMask"], o["majority"])
    for s in v["splits"]:
        assert rules.split(s["pot"], s["winners"]) == (s["share"], s["dust"])
    a = v["accumulate"][0]
    assert rules.accumulate(hexb(a["acc"]), a["claimId"], hexb(a["result"])) == hexb(a["next"])
    c = v["commitments"][0]
    assert rules.commitment(c["verdicts"], hexb(c["salt"]), c["juror"]) == hexb(c["commitment"])
    r = v["reservations"][0]
    assert rules.reservation(r["reward"], r["fee"], r["size"]) == r["reservation"]


def test_approval_vector():
    v = json.loads((VECTORS / "approval_v2.json").read_text())
    d, m = v["typedData"]["domain"], v["typedData"]["message"]
    domain = approvals.Domain(d["name"], d["version"], d["chainId"], d["verifyingContract"])
    root, seed = hexb(m["transcriptRoot"]), hexb(m["seed"])
    assert approvals.APPROVAL_TYPE == v["approvalType"]
    assert approvals.APPROVAL_TYPEHASH == hexb(v["approvalTypehash"])
    assert approvals.approval_digest(domain, m["claimId"], root, seed) == hexb(v["expectedDigest"])
    signer = Account.from_key(int(v["signerKey"], 16).to_bytes(32, "big"))
    assert signer.address == v["signer"]
    assert approvals.sign_approval(signer, domain, m["claimId"], root, seed) == hexb(v["signature"]["bytes"])


def test_approval_type_string_is_the_contracts():
    source = (ROOT / "contracts" / "src" / "v2" / "LedgerV2.sol").read_text()
    (typed,) = re.findall(r'_APPROVAL_TYPEHASH = keccak256\("([^"]+)"\)', source)
    assert typed == approvals.APPROVAL_TYPE and keccak(text=typed) == approvals.APPROVAL_TYPEHASH


def test_enum_mirrors_match_ilegerv2_sol():
    source = (ROOT / "contracts" / "src" / "v2" / "ILedgerV2.sol").read_text()
    for name, mirror in views.ENUMS.items():
        (body,) = re.findall(rf"enum {name} \{{([^}}]*)\}}", source)
        members = [m.strip() for m in body.split(",") if m.strip()]
        assert [views.snake(m).upper() for m in members] == [e.name for e in mirror], name
        assert [e.value for e in mirror] == list(range(len(members)))


def test_windows():
    assert rules.seed_block(100) == 102
    assert not rules.submissions_closed(119, 100, 20, 3, 4) and rules.submissions_closed(120, 100, 20, 3, 4)
    assert rules.submissions_closed(101, 100, 20, 4, 4), "a full round is closed before its window ends"
    assert not rules.vote_open(102, 102, 10) and rules.vote_open(103, 102, 10) and rules.vote_open(112, 102, 10)
    assert not rules.vote_open(113, 102, 10)
    assert rules.challenge_open(122, 102, 10, 10) and not rules.challenge_open(123, 102, 10, 10)
    assert not rules.finalize_allowed(122, 102, 10, 10) and rules.finalize_allowed(123, 102, 10, 10)
    assert not rules.finalize_allowed(123, 102, 10, 10, dispute_open=True)
    assert rules.commit_open(103, 102, 5) and not rules.commit_open(108, 102, 5)
    assert rules.reveal_open(108, 102, 5, 5) and not rules.reveal_open(113, 102, 5, 5)
    assert rules.resolve_allowed(113, 102, 5, 5) and not rules.resolve_allowed(112, 102, 5, 5)
