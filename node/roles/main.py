"""Pick the role object for a runtime."""
from __future__ import annotations

from .runtime import Runtime


def build_role(rt: Runtime):
    # torch and the protocol modules load here, before the node reports it is serving, so that the first
    # round's short window is spent training, not importing.
    import prover.claim  # noqa: F401  (imported for its side effect: loading torch now)
    import verifier.verify  # noqa: F401

    if rt.v2 and rt.options.role == "verifier":
        from .v2.verifier import VerifierV2

        return VerifierV2(rt, collude=rt.options.cheat == "collude")
    if rt.v2 and rt.options.role == "aggregator":
        from .v2.aggregator import AggregatorV2

        return AggregatorV2(rt, bogus=rt.options.cheat == "bogus-head")
    if rt.options.cheat in ("collude", "bogus-head"):
        raise ValueError(f"--cheat {rt.options.cheat} needs a v2 ledger (deployment ledger_version 2)")
    if rt.options.role == "worker":
        from .worker import Worker

        from . import cheats

        prove = {"skip-training": cheats.prove_without_training, "fake-withhold": cheats.prove_fake_and_withhold,
                 "junk": cheats.prove_junk}.get(rt.options.cheat)
        return Worker(rt, prove=prove)
    if rt.options.role == "verifier":
        from .verifier import Verifier

        return Verifier(rt)
    from .aggregator import Aggregator

    return Aggregator(rt)
