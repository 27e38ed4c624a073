"""Useful share: how much of a real network's CPU is training, round by round (issue 15).

    .venv/bin/python bench/network_share.py                           # 3 workers, 3 verifiers, 10 rounds
    .venv/bin/python bench/network_share.py --steps 30000 --every 1000 # a third of the claim: 80% training
    .venv/bin/python bench/network_share.py --block-time 0.25         # the demo's blocks: 4x the per-block work
    .venv/bin/python bench/network_share.py --steps 3000 --every 100  # the digits preset's claim (job create)
    .venv/bin/python bench/network_share.py --workers 6 --verifiers 4 --rounds 12

The defaults: claims of H = 90,000 steps in segments of k = 3,000 (D·s·k/H = 10%, as the preset's), 15-40 s of
one core each, a round cap of one claim per worker, and blocks of 1 s. At that size a claim's training sets the
round's length (workers train round r+1 while round r's head waits out its window, and a full round's head need
not wait for its submit window): what is left per claim (its transcript, fetches, approvals, the chain's reads)
is about 1.1 CPU-s of a claim's 16, where at H = 30,000 it is 0.6 of 4.8. A node's fixed costs (its follower's
read, its role's tick, anvil's mining) are per block, so the block time scales them: a real chain's blocks are
2 s (rollups) to 12 s (Ethereum).

A devnet, a funded digits job and honest `gradchain node run` processes (workers, verifiers, an aggregator), as
the demo starts them. Every node measures its own CPU by kind (node/cpu_account.py: thread CPU time around
training, replay, head aggregation, chain I/O and artifact fetches; the rest of the process is "other") and
serves it at /status; anvil's CPU is read from /proc. At each round's start the bench reads every node, so each
round's CPU is split by kind across all processes. Start-up (imports, warm-up, staking, up to a node's first
tick) is reported apart, and the steady state is the rounds after the first two.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from node import devnet  # noqa: E402
from node.api.server import free_port  # noqa: E402
from node.chain.devaccounts import dev_account  # noqa: E402
from node.chain.v2.gas_receipts import gas_per_accepted_claim  # noqa: E402
from node.chain.v2.terms import JobTermsV2  # noqa: E402
from node.chain.v2.views import ClaimStatus  # noqa: E402
from node.cpu_split import COLUMNS, rpc_rates, sample, share_line  # noqa: E402
from node.demo import BLOCK_TIME_S, NodeProcess, start_node, stop_nodes, wait_until_serving  # noqa: E402
from node.economics import measure_segment  # noqa: E402
from node.jobs import WEI_PER_ETH, create_job, save_spec, spec_path  # noqa: E402
from node.wallet.session import open_ledger  # noqa: E402
from prover.presets import digits_spec  # noqa: E402

STEADY_FROM_ROUND = 2


def plan(home: Path, workers: int, verifiers: int) -> list[NodeProcess]:
    def node(name: str, role: str, index: int) -> NodeProcess:
        return NodeProcess(name, role, index, free_port(), home / "logs" / f"{name}.log")

    n = iter(range(1, workers + verifiers + 2))
    return ([node(f"worker-{i}", "worker", next(n)) for i in range(1, workers + 1)]
            + [node(f"verifier-{i}", "verifier", next(n)) for i in range(1, verifiers + 1)]
            + [node("aggregator", "aggregator", next(n))])


def args_for(node: NodeProcess, nodes: list[NodeProcess], rounds: int) -> tuple[str, ...]:
    aggregator = next(n for n in nodes if n.role == "aggregator")
    if node.role == "worker":
        return ("--until-round", str(rounds + 1))
    if node.role == "verifier":
        return ("--relay", aggregator.url)
    return tuple(a for n in nodes if n.role == "verifier" for a in ("--peer", n.url))


def round_phases(ledger, from_block: int, job_id: int = 1) -> dict[int, dict[str, int]]:
    """Blocks from each round's start to its last claim submitted, its last claim final, its head proposed and
    the next round's start: where a round's time goes."""
    events = ledger.events(from_block, names=["RoundStarted", "ClaimSubmitted", "ClaimFinalized", "HeadProposed"])
    starts = {e["args"]["round"]: e["blockNumber"] for e in events
              if e["event"] == "RoundStarted" and e["args"]["jobId"] == job_id}
    phases: dict[int, dict[str, int]] = {}
    for e in events:
        r = e["args"]["round"]  # every one of the four names its round
        if r not in starts or r + 1 not in starts:
            continue
        name = {"ClaimSubmitted": "submitted", "ClaimFinalized": "final", "HeadProposed": "proposed"}.get(e["event"])
        if name:
            row = phases.setdefault(r, {"next round": starts[r + 1] - starts[r]})
            row[name] = max(row.get(name, 0), e["blockNumber"] - starts[r])
    return phases


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--verifiers", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--steps", type=int, default=90000, help="H, steps per claim")
    ap.add_argument("--every", type=int, default=3000, help="k, steps per segment")
    ap.add_argument("--samples", type=int, default=1, help="s, segments each committee member replays")
    ap.add_argument("--submit-window", type=int, default=0, help="blocks (0: sized from --steps)")
    ap.add_argument("--max-claims", type=int, default=0,
                    help="claims a round takes (0: one per worker); a full round's head need not wait out the "
                         "submit window")
    ap.add_argument("--block-time", type=float, default=1.0,
                    help=f"seconds per block (the demo's are {BLOCK_TIME_S} s); windows keep their length in "
                         "seconds (at least 6 blocks) and nodes poll once a block")
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--home", type=Path, default=None)
    a = ap.parse_args()

    home = a.home or Path(tempfile.mkdtemp(prefix="gradchain-share-"))
    spec = digits_spec(steps_per_claim=a.steps, checkpoint_every=a.every)
    bt = a.block_time

    def blocks(seconds: float) -> int:
        return max(6, round(seconds / bt))

    # The submit window holds a claim's training with the host's cores shared among the workers, measured here
    # with the real step function (proving adds about 4%), and half that again for slack: the work, not the
    # window, sets the round's length. The rest as the demo's.
    step_s = measure_segment(spec, a.every, repeats=3) / a.every
    training_s = step_s * a.steps * max(1.0, a.workers / (os.cpu_count() or 1))
    submit = a.submit_window or blocks(max(5.0, 1.5 * training_s + 2.0))
    # The demo's windows in seconds (20, 12, 12, 8, 8 blocks of 0.25 s); the verify window grows with the claims
    # each verifier replays in a round, as the demo's does, and with the measured replay of their samples (twice
    # it, for fetches and a shared host): a window k does not fit makes members late and their approvals revert.
    load = -(-a.workers * 3 // a.verifiers)
    replay_s = step_s * a.every * a.samples * load
    terms = JobTermsV2(committee_size=3, quorum=2, samples_per_member=a.samples, submit_window=submit,
                       max_claims_per_round=a.max_claims or a.workers,
                       verify_window=blocks(max(5.0, 2.5 * load, 2.0 * replay_s + 2.0)),
                       challenge_window=blocks(max(3.0, load)),
                       jury_size=3, commit_window=blocks(3), reveal_window=blocks(2), head_window=blocks(2))
    share = terms.committee_size * a.samples * a.every / a.steps
    print(f"bench/network_share: {a.workers} workers, {a.verifiers} verifiers, an aggregator; digits H={a.steps} "
          f"k={a.every} D={terms.committee_size} s={a.samples} (verification share D*s*k/H = {100 * share:.1f}%), "
          f"blocks of {bt} s, windows (submit, verify, challenge) {submit}, {terms.verify_window}, "
          f"{terms.challenge_window} blocks, {terms.max_claims_per_round} claims a round (a claim's training: {training_s:.1f} s of {step_s * 1e3:.3f} ms steps "
          f"on this host's share); files in {home}")
    deployment = devnet.up(home, port=free_port(), block_time=bt)
    nodes = plan(home, a.workers, a.verifiers)
    try:
        ledger = open_ledger(home).ledger
        save_spec(spec_path(home, 1), spec)
        for node in nodes:
            start_node(node, home, 1, (*args_for(node, nodes, a.rounds), "--poll-interval", str(max(0.25, bt))))
        if not wait_until_serving(nodes, timeout_s=180):
            print(f"nodes did not come up; see {home / 'logs'}")
            return 1
        create_job(ledger, dev_account(0), spec, terms, 50 * WEI_PER_ETH, home=home)
        samples: list[tuple[int, float, dict]] = []
        deadline = time.monotonic() + a.timeout
        while (r := ledger.job(1).round) <= a.rounds:
            if not samples or samples[-1][0] != r:
                samples.append((r, time.monotonic(), sample(nodes, home)))
                print(f"  round {r} started", flush=True)
            dead = [n.name for n in nodes if n.process.poll() is not None]
            if dead or time.monotonic() > deadline:
                print(f"FAILED: {'exited: ' + ', '.join(dead) if dead else 'timed out'}; see {home / 'logs'}")
                return 1
            time.sleep(0.2)
        gas = gas_per_accepted_claim(ledger, deployment.block, 1)
        phases = round_phases(ledger, deployment.block)
        accepted = gas["accepted_claims"]
        submitted = {e["args"]["claimId"]: e["args"]["round"]
                     for e in ledger.events(deployment.block, names=["ClaimSubmitted"])}
        finalized = [{"round": submitted[e["args"]["claimId"]]}
                     for e in ledger.events(deployment.block, names=["ClaimFinalized"]) if e["args"]["status"] == ClaimStatus.ACCEPTED]
    finally:
        stop_nodes(nodes)
        devnet.down(home)

    print("JSON-RPC requests per node and second, over the run:")
    for name, calls in rpc_rates(nodes, samples).items():
        print(f"  {name:>12}: " + ", ".join(f"{m} {r:.1f}" for m, r in calls))
    sent = sum(f["txs"] for f in gas["functions"].values())
    reverted = {n: f["reverted"] for n, f in gas["functions"].items() if f["reverted"]}
    print(f"transactions: {sent} sent to the ledger, {sum(reverted.values())} reverted "
          f"({100 * sum(reverted.values()) / max(sent, 1):.2f}%, target <= 1%){': ' if reverted else ''}"
          + ", ".join(f"{n} {k}" for n, k in reverted.items()))
    per = gas["gas_per_accepted_claim"]
    print(f"gas per accepted claim, all-in from receipts: {per:,.0f}" if per else "gas: no claim accepted")
    print("  " + ", ".join(f"{n} {f['txs']} txs {f['gas_used'] // max(f['txs'], 1):,}/tx"
                           for n, f in sorted(gas["functions"].items())))
    print(f"\nstart-up (every node, up to its first tick): {samples[0][2]['startup']:.1f} CPU-s for {len(nodes)} "
          f"nodes ({samples[0][2]['startup'] / len(nodes):.2f} s each)")
    print("per round, CPU of every process by kind:")
    steady = {c: 0.0 for c in COLUMNS}
    steady_wall = 0.0
    for (r, t0, s0), (_, t1, s1) in zip(samples, samples[1:]):
        delta = {c: s1[c] - s0[c] for c in COLUMNS}
        print(share_line(f"round {r}", delta, t1 - t0))
        if r >= STEADY_FROM_ROUND:
            steady = {c: steady[c] + delta[c] for c in COLUMNS}
            steady_wall += t1 - t0
    print(share_line("steady", steady, steady_wall))
    print("steady state by node, CPU-s (share of a core):")
    first = next(s for r, _, s in samples if r >= STEADY_FROM_ROUND)
    for name, end in samples[-1][2]["per_node"].items():
        start = first["per_node"][name]
        cells = {k: end[k] - start[k] for k in (*COLUMNS[:-1],)}
        print(f"  {name:>12}: " + ", ".join(f"{k} {v:.2f}" for k, v in cells.items() if v >= 0.005)
              + f" ({100 * sum(cells.values()) / max(steady_wall, 1e-9):.1f}% of a core)")
    steady_rounds = samples[-1][0] - STEADY_FROM_ROUND
    claims = sum(1 for c in finalized if STEADY_FROM_ROUND <= c["round"] < samples[-1][0])
    if steady_rounds > 0 and claims:
        print(f"steady state: {steady_wall / steady_rounds:.1f} s a round, {claims / steady_rounds:.1f} claims a "
              f"round accepted, {sum(steady.values()) / claims:.2f} CPU-s of the whole network per accepted claim "
              f"({steady['training'] / claims:.2f} of them training)")
    per_round = [sum(1 for c in finalized if c["round"] == r) for r in range(samples[-1][0])]
    print(f"claims accepted, round by round: {per_round} (of {a.workers} a round: a claim that missed its window "
          "would have trained for nothing)")
    steady_phases = [p for r, p in sorted(phases.items()) if r >= STEADY_FROM_ROUND]
    if steady_phases:
        names = ("submitted", "final", "proposed", "next round")
        print("a round's time, blocks from its start (median of the steady rounds): " + ", ".join(
            f"last claim {n} +{statistics.median(p.get(n, 0) for p in steady_phases):.0f}" if n != "next round" else
            f"next round +{statistics.median(p[n] for p in steady_phases):.0f}" for n in names))
    total = sum(steady.values()) or 1.0
    training, replay = steady["training"] / total, steady["replay"] / total
    rest = 1 - training - replay
    print(f"\nsteady state (rounds {STEADY_FROM_ROUND}..{samples[-1][0] - 1}): training {100 * training:.1f}% "
          f"(target >= 85%), replay {100 * replay:.1f}% (<= 10%), chain, HTTP and everything else "
          f"{100 * rest:.1f}% (<= 5%); {accepted} claims accepted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
