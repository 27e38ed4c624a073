"""`python -m node.replay_child DIR`: replay one segment in a process started with a profile's environment.

Started by node/replay_subprocess.py. It first checks that it really runs the spec's numerics profile (the
environment may not have been enough, e.g. a CPU without AVX-512) and exits EXIT_PROFILE_UNAVAILABLE with
what it runs if not; otherwise it replays with verifier.replay.replay_segment, the verifier's own replay.
"""
from __future__ import annotations

import sys
from pathlib import Path

from node import replay_wire as wire


def main(workdir: str) -> int:
    d = Path(workdir)
    request = wire.read_json(d / wire.REQUEST)
    from prover.numerics import profile_mismatch, running_numerics
    from prover.spec import JobSpec

    spec = JobSpec.from_json(request["spec"]).with_data_path(request["data_path"])
    mismatch = profile_mismatch(spec.numerics)
    if mismatch is not None:
        wire.write_json(d / wire.RESULT, {"running": running_numerics(), "detail": mismatch})
        return wire.EXIT_PROFILE_UNAVAILABLE

    import torch

    from prover.checkpoint import checkpoint_from_bytes, checkpoint_to_bytes
    from prover.transcript import Segment
    from verifier.claim import Claim
    from verifier.replay import replay_segment

    if request.get("threads"):
        torch.set_num_threads(int(request["threads"]))
    claim = wire.decode_fields(Claim, request["claim"])
    segment = wire.decode_fields(Segment, request["segment"])
    start = checkpoint_from_bytes((d / wire.START).read_bytes())
    end, losses = replay_segment(spec, claim, segment, start)
    (d / wire.END).write_bytes(checkpoint_to_bytes(end))
    wire.write_json(d / wire.RESULT, {"losses": list(losses), "running": running_numerics()})
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m node.replay_child DIR (a directory holding request.json and start.safetensors)")
    sys.exit(main(sys.argv[1]))
