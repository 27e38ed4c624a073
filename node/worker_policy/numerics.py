"""A worker trains exact-mode claims only inside the spec's numerics profile (PROTOCOL.md §5.4).

Verifiers replay under the spec's profile, so a claim trained on another code path (say AVX-512 kernels for
a cpu-avx2-strict job) differs in the last bits and is rejected: refusing up front costs the worker nothing,
training silently outside the profile costs it its stake.
"""
from __future__ import annotations

from prover.numerics import profile_env, profile_mismatch
from prover.spec import JobSpec


def check_numerics_for_spec(spec: JobSpec) -> None:
    """Raise ValueError (a user error) if this process cannot train the spec's exact-mode claims."""
    if spec.verification_mode != "exact" or not spec.numerics.pins_code_path:
        return  # tolerance mode: delta absorbs code-path differences
    problem = profile_mismatch(spec.numerics)
    if problem is None:
        return
    env = " ".join(f"{k}={v}" for k, v in sorted(profile_env(spec.numerics).items()))
    raise ValueError(f"refusing to train claims of this exact-mode job: {problem}. Verifiers replay under the "
                     f"spec's profile, so these claims would be rejected and the stake slashed. Start the node "
                     f"with `gradchain node run --spec FILE` (it applies the spec's profile before torch loads) "
                     f"or with {env} in the environment")
