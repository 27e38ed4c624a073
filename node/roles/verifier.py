"""What every verifier shares (roles/v2/verifier.py's VerifierV2 builds on it): replaying a claim's sample with
verifier/ and recording the verdict before anything is sent, and the counters /status reports."""
from __future__ import annotations

import json
import time

from .claim_check import fetch_for, round_head, subject_of
from .runtime import Runtime


class Verifier:
    def __init__(self, rt: Runtime):
        self.rt = rt
        self.claims_checked = 0
        self.verify_seconds = 0.0

    def _decide(self, claim: dict, seed: bytes, samples: int | None = None) -> dict:
        """Run verifier/ on the claim and record the verdict (and its reason) before any approval is sent.

        samples: draws of this verifier's sample (the job's samplesPerMember; None: the spec's)."""
        from verifier.verdict import abstain
        from verifier.verify import verify_claim

        from ..replay_subprocess import replay_for

        rt = self.rt
        started = time.perf_counter()
        fetch = fetch_for(rt, claim)
        if fetch is None:
            verdict = abstain("artifact_uri_invalid", detail=f"artifactURI {claim['artifact_uri']!r} is not usable")
        else:
            # Replays in a subprocess that runs the spec's numerics profile if this process runs another.
            with rt.cpu.measure("replay"):  # fetching inside it is charged to "http"
                verdict = verify_claim(rt.spec, subject_of(rt, claim), round_head(rt, claim["round"]), seed,
                                       rt.address, fetch, samples=samples, replay=replay_for(rt.spec))
        self.verify_seconds += time.perf_counter() - started
        self.claims_checked += 1
        row = {"kind": "claim", "subject_id": claim["claim_id"], "decision": verdict.decision,
               "reason": json.dumps(verdict.reason, default=str), "decided_at": time.time(), "seed": "0x" + seed.hex()}
        rt.state.upsert("verdicts", row)
        rt.state.log("verdict", claim=claim["claim_id"], decision=verdict.decision)
        return row
