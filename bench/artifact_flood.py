"""A flood of unknown-id GETs against a worker's artifact server: how much does it slow down normal GETs?

    PYTHONPATH=$PWD .venv/bin/python bench/artifact_flood.py
    PYTHONPATH=$PWD .venv/bin/python bench/artifact_flood.py --transcripts 16 --clients 64 --requests 300

Starts the real node HTTP app (node/api/app.py under uvicorn, node/api/server.py) on a free port, over a real
artifact store holding real digits claims (prove_claim: checkpoints every other boundary, transcripts, results).
The unknown-id hook is the real `Worker.regenerate_missing`, on a worker object that carries only what that
method reads (the store, the spec, the device), so the same script measures the code before and after a change.

Measured in one run, on one server: the latency of sequential GETs of a stored checkpoint, first alone, then
while `--clients` threads each send unknown-id GETs as fast as the server answers them. Printed: p50 and p95 of
both, their ratios, and the flood requests per second served (with their status codes).
"""
from __future__ import annotations

import argparse
import collections
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import prover.determinism  # noqa: E402,F401  (first: sets MKL_CBWR before any matmul)
import httpx  # noqa: E402

from node.api.app import create_app  # noqa: E402
from node.api.context import NodeContext  # noqa: E402
from node.api.server import BackgroundServer  # noqa: E402
from node.artifact_store import ArtifactStore  # noqa: E402
from node.roles.runtime import Runtime  # noqa: E402
from node.roles.worker import Worker  # noqa: E402
from node.state import NodeState  # noqa: E402
from prover import DirStore, digits_spec, genesis, prove_claim  # noqa: E402
from prover.checkpoint import checkpoint_id  # noqa: E402
from prover.jobkey import job_key  # noqa: E402

JOB_KEY = job_key(31337, "0x" + "1d" * 20, 1)  # a made-up ledger: the bench runs off chain

WORKER = "0x" + "a1" * 20


def make_store(root: Path, n_transcripts: int, spec) -> tuple[ArtifactStore, bytes]:
    """n real claims in a chain of rounds; returns the store and the id of a stored checkpoint (the genesis)."""
    store = ArtifactStore(root)
    head = genesis(spec)
    first = checkpoint_id(head)
    for round_ in range(n_transcripts):
        proof = prove_claim(spec, head, round_, WORKER, DirStore(root), keep_every=2, job_key=JOB_KEY)
        store.put("transcript", proof.transcript.to_bytes(), expected_id=proof.transcript.root)
        DirStore(root).put(proof.result_id, proof.result_tensors)
        head = proof.result_tensors
    assert store.has(first)
    return store, first


def a_worker(store: ArtifactStore, spec) -> Worker:
    """A Worker without its chain runtime: regenerate_missing reads only rt.store, rt.spec, rt.address, device."""
    worker = Worker.__new__(Worker)
    rt = types.SimpleNamespace(store=store, spec=spec, address=WORKER)
    rt.keep_checkpoint = types.MethodType(Runtime.keep_checkpoint, rt)  # the runtime's own code, not a copy
    worker.rt, worker.device = rt, "cpu"
    return worker


def timed_gets(url: str, n: int) -> list[float]:
    latencies = []
    with httpx.Client(timeout=60) as client:
        for _ in range(n):
            start = time.perf_counter()
            response = client.get(url)
            latencies.append(time.perf_counter() - start)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}: {response.text[:200]}")
    return latencies


def flood(base: str, stop: threading.Event, counts: collections.Counter, lock: threading.Lock) -> None:
    with httpx.Client(timeout=60) as client:
        while not stop.is_set():
            try:
                status = client.get(f"{base}/artifacts/{secrets.token_hex(32)}").status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            with lock:
                counts[status] += 1


def percentiles(latencies: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=8, help="real claims stored (default 8)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent flooding clients (default 32)")
    parser.add_argument("--requests", type=int, default=200, help="timed GETs per phase (default 200)")
    args = parser.parse_args()

    spec = digits_spec()
    with tempfile.TemporaryDirectory() as tmp:
        store, stored_id = make_store(Path(tmp) / "artifacts", args.transcripts, spec)
        worker = a_worker(store, spec)
        context = NodeContext(role="worker", address=WORKER, chain_id=31337, ledger_address="0x" + "22" * 20,
                              store=store, state=NodeState(Path(tmp) / "node.db"),
                              on_missing=worker.regenerate_missing)
        server = BackgroundServer(create_app(context)).start()
        try:
            url = f"{server.url}/artifacts/{stored_id.hex()}"
            timed_gets(url, 20)  # warm-up: imports, connection set-up, page cache
            alone = timed_gets(url, args.requests)

            stop, lock, counts = threading.Event(), threading.Lock(), collections.Counter()
            clients = [threading.Thread(target=flood, args=(server.url, stop, counts, lock), daemon=True)
                       for _ in range(args.clients)]
            for client in clients:
                client.start()
            time.sleep(0.5)  # let the flood reach its steady state
            with lock:
                before = sum(counts.values())
            start = time.perf_counter()
            loaded = timed_gets(url, args.requests)
            elapsed = time.perf_counter() - start
            with lock:
                served = sum(counts.values()) - before
                statuses = dict(counts)
            stop.set()
            for client in clients:
                client.join(timeout=60)
        finally:
            server.stop()

    p50_a, p95_a = percentiles(alone)
    p50_f, p95_f = percentiles(loaded)
    print(f"artifact flood: {args.transcripts} transcripts stored, {args.clients} flooding clients, "
          f"{args.requests} timed GETs per phase, {os.cpu_count()} CPUs")
    print(f"  stored GET alone:        p50 {p50_a:8.2f} ms   p95 {p95_a:8.2f} ms")
    print(f"  stored GET under flood:  p50 {p50_f:8.2f} ms   p95 {p95_f:8.2f} ms")
    print(f"  ratio flood/alone:       p50 {p50_f / p50_a:8.1f} x   p95 {p95_f / p95_a:8.1f} x")
    print(f"  flood served: {served / elapsed:.0f} requests/s during the timed phase; statuses {statuses}")


if __name__ == "__main__":
    main()
