"""Who replays a segment: the injected `replay` of verify_claim, and how it says it cannot (PROTOCOL.md §5.4).

A replay is any callable with verifier.replay.replay_segment's signature,
    replay(spec, claim, segment, start) -> (end_tensors, losses),
that runs the spec's numerics profile. The default is replay_segment in this process (right when this process
runs the profile); a caller whose process runs another profile passes one that replays elsewhere (node/'s
profile subprocess), or `cannot_run(...)`. Whichever it is, it raises ReplayUnavailable when it could not
replay under the profile, and verify_claim turns that into an abstention, never a rejection: a mismatch
nobody can attribute to the worker is no evidence against it.
"""
from __future__ import annotations

from typing import Any, Callable

from prover.checkpoint import Tensors
from prover.spec import JobSpec
from prover.transcript import Segment
from verifier.claim import Claim

Replay = Callable[[JobSpec, Claim, Segment, Tensors], tuple[Tensors, tuple[float, ...]]]

PROFILE_UNAVAILABLE = "numerics_profile_unavailable"  # the profile cannot be run here
REPLAY_FAILED = "replay_unavailable"  # the replayer itself failed (crash, time-out, unreadable output)


class ReplayUnavailable(Exception):
    """A replay that did not happen under the spec's profile; `check` and `details` become the abstention."""

    def __init__(self, check: str, **details: Any):
        super().__init__(f"{check}: {details}")
        self.check = check
        self.details = details


def cannot_run(wanted: str, running: str, detail: str = "") -> Replay:
    """The replay of a caller that knows it cannot run profile `wanted` (its process runs `running`)."""
    def replay(spec: JobSpec, claim: Claim, segment: Segment, start: Tensors):
        raise ReplayUnavailable(PROFILE_UNAVAILABLE, wanted=wanted, running=running, detail=detail)
    return replay
