"""Pick the role object for a runtime."""
from __future__ import annotations

from .runtime import Runtime


def build_role(rt: Runtime):
    if rt.options.role == "worker":
        from .worker import Worker

        prove = None
        if rt.options.cheat == "skip-training":
            from .cheats import prove_without_training

            prove = prove_without_training
        return Worker(rt, prove=prove)
    if rt.options.role == "verifier":
        from .verifier import Verifier

        return Verifier(rt)
    from .aggregator import Aggregator

    return Aggregator(rt)
