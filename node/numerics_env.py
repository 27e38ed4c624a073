"""`gradchain node run` applies the job spec's numerics profile before torch is imported (PROTOCOL.md §5.4).

ATen fixes its CPU capability and MKL its reproducibility branch at first use, so the profile's variables must
be in the environment before the first matmul. The spec file's `numerics` is read as plain JSON (building the
JobSpec would import torch). Should torch already be loaded, the process re-executes itself once with them.
A spec that only appears later (the job is created after the node starts) is not applied here: the worker
then refuses exact-mode training outside the profile, and the verifier replays in a profile subprocess.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from prover.numerics import profile_env, read_spec_numerics

REEXEC_MARK = "GRADCHAIN_NUMERICS_REEXEC"  # set in the re-executed process: never loop


def apply_spec_numerics(spec_file: str | Path) -> dict[str, str]:
    """Set the spec's profile environment in this process; returns the variables it changed."""
    if not Path(spec_file).is_file():
        return {}
    numerics = read_spec_numerics(spec_file)  # NumericsError (a ValueError) names the file and field
    changed = {k: v for k, v in profile_env(numerics).items() if os.environ.get(k) != v}
    if not changed:
        return {}
    if "torch" in sys.modules:  # too late to set: the kernels are chosen. Start again with them.
        if os.environ.get(REEXEC_MARK):
            raise RuntimeError(f"numerics profile {numerics.profile!r} still not in effect after re-executing "
                               f"with {changed}")
        print(f"numerics profile {numerics.profile}: restarting with {changed}", file=sys.stderr, flush=True)
        os.execve(sys.executable, [sys.executable, "-m", "node.cli", *sys.argv[1:]],
                  {**os.environ, **changed, REEXEC_MARK: "1"})
    os.environ.update(changed)  # the spec's profile wins over an inherited setting: it is what gets verified
    print(f"numerics profile {numerics.profile}: {' '.join(f'{k}={v}' for k, v in sorted(changed.items()))}",
          file=sys.stderr)
    return changed
