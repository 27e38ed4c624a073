"""Write contracts/test/vectors/protocol_v2.json: job keys, sample draws, committee and jury draws (PROTOCOL.md v2).

The Python side of the protocol computes them here; contracts/test/ProtocolVectors.t.sol recomputes them in
Solidity from the same inputs, and tests/verifier/test_protocol_vectors.py checks this file is what the Python
code gives today. Run it again only on purpose (a protocol change): `.venv/bin/python scripts/make_protocol_vectors.py`.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eth_utils import keccak, to_checksum_address  # noqa: E402

from prover.jobkey import job_key  # noqa: E402
from verifier.committee import COMMITTEE_DOMAIN, JURY_DOMAIN, Seat, committee, draw_index, jury  # noqa: E402
from verifier.sampling import sample_index  # noqa: E402

PATH = ROOT / "contracts" / "test" / "vectors" / "protocol_v2.json"


def address(n: int) -> str:
    return to_checksum_address(keccak(b"vector address %d" % n)[:20])


def build() -> dict:
    ledger = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    job_keys = [{"chain_id": c, "ledger": l, "job_id": j, "job_key": "0x" + job_key(c, l, j).hex()}
                for c, l, j in ((31337, ledger, 1), (31337, ledger, 2), (1, address(1), 2**64 + 3))]
    samples = []
    for case in range(4):
        seed, claim_id, member, segments = keccak(b"seed %d" % case), 1 + 17 * case, address(10 + case), (3, 30, 500, 1)[case]
        for draw in range(3):
            samples.append({"seed": "0x" + seed.hex(), "claim_id": claim_id, "member": member,
                            "segments": segments, "draw": draw,
                            "index": sample_index(seed, claim_id, member, draw, segments)})
    streams = []
    for name, domain in (("committee", COMMITTEE_DOMAIN), ("jury", JURY_DOMAIN)):
        for case in range(2):
            seed, subject, count = keccak(b"%s seed %d" % (name.encode(), case)), 5 + case, (7, 64)[case]
            for draw in range(4):
                streams.append({"domain": domain.decode(), "seed": "0x" + seed.hex(), "subject_id": subject,
                                "seat_count": count, "draw": draw,
                                "index": draw_index(domain, seed, subject, draw, count)})
    # A registry with a retired seat, a seat registered in the submit block, the worker's own seat, and a
    # seat appended after the claim (outside seat_count): the selection rules all at work.
    seats = [Seat(i, address(100 + i), registered_at=10 + i) for i in range(8)]
    seats[2] = Seat(2, seats[2].account, registered_at=12, retired_at=30)
    seats[5] = Seat(5, seats[5].account, registered_at=40)  # registered in the submit block: ineligible
    worker = seats[3].account
    seed = keccak(b"committee selection")
    members = committee(seed, 9, seats, seat_count=7, submit_block=40, size=3, worker=worker)
    jurors = jury(keccak(b"jury selection"), 2, seats, seat_count=8, open_block=60, size=3,
                  parties=frozenset({worker, seats[members[0]].account}))
    selection = {"seats": [{"index": s.index, "account": s.account, "registered_at": s.registered_at,
                            "retired_at": s.retired_at} for s in seats],
                 "committee": {"seed": "0x" + seed.hex(), "claim_id": 9, "seat_count": 7, "submit_block": 40,
                               "size": 3, "worker": worker, "members": members},
                 "jury": {"seed": "0x" + keccak(b"jury selection").hex(), "dispute_id": 2, "seat_count": 8,
                          "open_block": 60, "size": 3, "parties": sorted([worker, seats[members[0]].account]),
                          "members": jurors}}
    return {"description": "PROTOCOL.md v2 vectors: jobKey = keccak256(abi.encodePacked(uint256 chainId, address "
                           "ledger, uint256 jobId)); sample draw = keccak256(abi.encodePacked(\"gradchain/sample/v2\", "
                           "bytes32 seed, uint256 claimId, address member, uint256 i)) % S; committee/jury draw = "
                           "keccak256(abi.encodePacked(domain, bytes32 seed, uint256 subjectId, uint256 i)) % "
                           "seatCount. Made by scripts/make_protocol_vectors.py.",
            "job_keys": job_keys, "job_key_count": len(job_keys), "samples": samples,
            "sample_count": len(samples), "streams": streams, "stream_count": len(streams),
            "selection": selection}


if __name__ == "__main__":
    PATH.write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {PATH}")
