"""Cost of replaying one digits segment in a profile subprocess (node/replay_subprocess.py) vs in process.

    PYTHONPATH=. .venv/bin/python bench/replay_subprocess_cost.py [--repeats 5] [--k 10]

Prints median wall seconds of each and their ratio. The subprocess pays a Python start, the torch and
scikit-learn imports and the file round trip per segment; the replay itself is the same code.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")  # this process runs the spec's profile, so the in-process
os.environ.setdefault("MKL_CBWR", "AVX2,STRICT")  # replay is the reference; the child runs the same one

import torch  # noqa: E402

from node.replay_subprocess import SubprocessReplay  # noqa: E402
from prover.presets import digits_spec  # noqa: E402
from prover.state import genesis  # noqa: E402
from prover.transcript import Segment  # noqa: E402
from verifier.claim import Claim  # noqa: E402
from verifier.replay import replay_segment  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--k", type=int, default=10, help="steps per segment (the preset's k)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    spec = digits_spec(steps_per_claim=args.k, checkpoint_every=args.k)
    start = genesis(spec)
    claim = Claim(claim_id=1, worker="0x" + "a" * 40, round=0, base=b"\0" * 32, result=b"\0" * 32,
                  transcript_root=b"\0" * 32, steps=spec.steps_per_claim)
    segment = Segment(0, b"\0" * 32, b"\0" * 32, (0.0,) * args.k)
    sub = SubprocessReplay(spec.numerics, threads=1)
    replay_segment(spec, claim, segment, start)  # warm: dataset cache, first-use costs
    inproc, subproc = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        ref = replay_segment(spec, claim, segment, start)
        inproc.append(time.perf_counter() - t)
        t = time.perf_counter()
        got = sub(spec, claim, segment, start)
        subproc.append(time.perf_counter() - t)
        assert got[1] == ref[1] and all(torch.equal(got[0][n], ref[0][n]) for n in ref[0]), "replays differ"
    a, b = statistics.median(inproc), statistics.median(subproc)
    print(f"digits segment, k={args.k}, {args.repeats} repeats, 1 thread: in-process {a * 1e3:.1f} ms, "
          f"subprocess {b * 1e3:.0f} ms, ratio {b / a:.0f}x (bit-identical: yes)")


if __name__ == "__main__":
    main()
