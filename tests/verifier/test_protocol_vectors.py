"""contracts/test/vectors/protocol_v2.json is what the Python protocol computes (forge replays it in Solidity)."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from eth_utils import to_canonical_address

ROOT = Path(__file__).resolve().parents[2]
VECTOR = ROOT / "contracts" / "test" / "vectors" / "protocol_v2.json"


def _maker():
    spec = importlib.util.spec_from_file_location("make_protocol_vectors", ROOT / "scripts" / "make_protocol_vectors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_vectors_are_what_the_python_code_computes():
    assert json.loads(VECTOR.read_text()) == _maker().build()


def test_the_selection_vector_exercises_every_rule():
    selection = json.loads(VECTOR.read_text())["selection"]
    seats, committee = selection["seats"], selection["committee"]
    members = committee["members"]
    assert len(members) == committee["size"] == len(set(members))
    for m in members:
        seat = seats[m]
        assert m < committee["seat_count"]
        assert seat["registered_at"] < committee["submit_block"]
        assert seat["retired_at"] == 0 or seat["retired_at"] > committee["submit_block"]
        assert to_canonical_address(seat["account"]) != to_canonical_address(committee["worker"])
    jury = selection["jury"]
    parties = {to_canonical_address(p) for p in jury["parties"]}
    assert len(jury["members"]) == jury["size"]
    assert not {to_canonical_address(seats[m]["account"]) for m in jury["members"]} & parties
