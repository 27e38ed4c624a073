"""Pick the role object for a runtime."""
from __future__ import annotations

from .runtime import Runtime


def build_role(rt: Runtime):
    """The role's loop object. torch is not imported here: Runtime.run loads it after the role's resume step,
    so that a juror restarted between commit and reveal reveals within seconds (see Runtime.preload)."""
    if rt.options.role == "verifier":
        from .v2.verifier import VerifierV2

        return VerifierV2(rt)
    if rt.options.role == "sentinel":
        from .v2.sentinel import Sentinel

        return Sentinel(rt)
    if rt.options.role == "gateway":
        from .gateway import Gateway

        return Gateway(rt)
    if rt.options.role == "aggregator":
        from .v2.aggregator import AggregatorV2

        return AggregatorV2(rt, bogus=rt.options.cheat == "bogus-head")
    if rt.options.cheat in ("lazy", "collude", "grief", "bogus-head"):
        raise ValueError(f"--cheat {rt.options.cheat} is a verifier's (lazy, collude, grief) or an aggregator's "
                         "(bogus-head)")
    from . import cheats
    from .worker import Worker

    prove = {"skip-training": cheats.prove_without_training, "fake-withhold": cheats.prove_fake_and_withhold,
             "junk": cheats.prove_junk}.get(rt.options.cheat)
    return Worker(rt, prove=prove)
