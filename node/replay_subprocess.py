"""Replaying a segment under the spec's numerics profile when this process runs another one (PROTOCOL.md §5.4).

`replay_for(spec)` is what a verifier passes to verifier.verify.verify_claim as `replay=`: None when this
process runs the spec's profile (replay in process) or the job pins none (tolerance mode), else a
SubprocessReplay, which starts `python -m node.replay_child` with the profile's environment (set before torch
is imported there) and exchanges JSON and safetensors files with it. A crash, a time-out or unreadable output
raises ReplayUnavailable (an abstention, never a rejection); so does a child that finds it does not run the
profile either (this CPU cannot), with what it runs.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from prover.checkpoint import CheckpointError, Tensors, checkpoint_from_bytes, checkpoint_to_bytes
from prover.numerics import Numerics, profile_env, profile_mismatch
from prover.spec import JobSpec
from prover.transcript import Segment
from verifier.claim import Claim
from verifier.replay_source import PROFILE_UNAVAILABLE, REPLAY_FAILED, Replay, ReplayUnavailable

from . import replay_wire as wire

REPO_ROOT = Path(__file__).resolve().parent.parent  # so the child imports this very checkout


class SubprocessReplay:
    """A `Replay` that runs verifier.replay.replay_segment in a child process under `numerics`."""

    def __init__(self, numerics: Numerics, timeout_s: float = 300.0, python: str = sys.executable,
                 extra_env: dict[str, str] | None = None, threads: int | None = None):
        self.numerics = numerics
        self.timeout_s = timeout_s
        self.python = python
        self.extra_env = dict(extra_env or {})  # tests: run the child deliberately outside the profile
        self.threads = threads
        self.calls = 0
        self.seconds = 0.0

    def env(self) -> dict[str, str]:
        env = {**os.environ, **profile_env(self.numerics), **self.extra_env}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
        return env

    def __call__(self, spec: JobSpec, claim: Claim, segment: Segment, start: Tensors):
        if spec.numerics != self.numerics:
            raise ValueError(f"this replayer runs profile {self.numerics.profile!r}, the spec pins "
                             f"{spec.numerics.profile!r}")
        self.calls += 1
        began = time.perf_counter()
        try:
            with tempfile.TemporaryDirectory(prefix="gradchain-replay-") as tmp:
                return self._run(Path(tmp), spec, claim, segment, start)
        finally:
            self.seconds += time.perf_counter() - began

    def _run(self, d: Path, spec: JobSpec, claim: Claim, segment: Segment, start: Tensors):
        wire.write_json(d / wire.REQUEST, {"spec": wire.read_json_bytes(spec.canonical_json()),
                                           "data_path": spec.dataset.path, "claim": wire.encode(claim),
                                           "segment": wire.encode(segment), "threads": self.threads})
        (d / wire.START).write_bytes(checkpoint_to_bytes(start))
        where = f"replay subprocess for segment {segment.index} under profile {self.numerics.profile!r}"
        try:
            proc = subprocess.run([self.python, "-m", "node.replay_child", str(d)], env=self.env(), cwd=REPO_ROOT,
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            raise ReplayUnavailable(REPLAY_FAILED, detail=f"{where} timed out after {self.timeout_s:g} s") from None
        except OSError as e:
            raise ReplayUnavailable(REPLAY_FAILED, detail=f"{where} could not start: {e}") from None
        if proc.returncode == wire.EXIT_PROFILE_UNAVAILABLE:
            result = _result(d)
            raise ReplayUnavailable(PROFILE_UNAVAILABLE, wanted=self.numerics.profile,
                                    running=result.get("running"), detail=result.get("detail"))
        if proc.returncode != 0:
            tail = proc.stderr.decode(errors="replace")[-800:]
            raise ReplayUnavailable(REPLAY_FAILED, detail=f"{where} exited with status {proc.returncode}",
                                    stderr=tail)
        try:
            end = checkpoint_from_bytes((d / wire.END).read_bytes())
            losses = tuple(float(x) for x in _result(d)["losses"])
        except (OSError, ValueError, KeyError, TypeError, CheckpointError) as e:
            raise ReplayUnavailable(REPLAY_FAILED, detail=f"{where} left no readable result: {e}") from None
        return end, losses


def _result(d: Path) -> dict:
    try:
        result = wire.read_json(d / wire.RESULT)
    except (OSError, ValueError):
        return {}
    return result if isinstance(result, dict) else {}


def replay_for(spec: JobSpec, **options) -> Replay | None:
    """What verify_claim should replay with in this process (None: in process)."""
    if spec.verification_mode != "exact" or not spec.numerics.pins_code_path:
        return None  # tolerance: delta absorbs code-path differences (PROTOCOL.md §5.5)
    if profile_mismatch(spec.numerics) is None:
        return None
    import torch

    options.setdefault("threads", torch.get_num_threads())
    return SubprocessReplay(spec.numerics, **options)
