"""What a waiting node pays per second and per block, and what this session's changes cut (issue 15).

    .venv/bin/python bench/idle_costs.py

Each figure is CPU time (process or thread), taken here in one run, old way against new way:
- an idle HTTP server: uvicorn's own loop (wakes ten times a second) against node/api/server.QuietServer;
- the follower's write of a block without events: a SQLite commit at synchronous=FULL (what every block cost)
  against none (the cursor is held in memory, node/follower.py);
- serving a 30,000-step transcript from the artifact store: deriving its id (parse + Merkle root) on every read
  against the BLAKE3 check of bytes whose id was derived once (node/artifact_store.py);
- a verifier reading the transcript it just fetched: a second parse against the view the fetcher's check built
  (verifier/artifacts.parse_transcript).
"""
from __future__ import annotations

import os
import random
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from node.api.server import QuietServer, free_port, server_config  # noqa: E402
from node.artifact_store import ArtifactStore  # noqa: E402
from node.state import CURSOR_KEY, NodeState  # noqa: E402
from prover.transcript import Segment, Transcript  # noqa: E402
from verifier import artifacts  # noqa: E402

IDLE_S = 5.0


def process_cpu() -> float:
    t = os.times()
    return t.user + t.system


def idle_server_ms_per_s(server_class) -> float:
    server = server_class(server_config(FastAPI(), "127.0.0.1", free_port()))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    time.sleep(0.5)
    before = process_cpu()
    time.sleep(IDLE_S)
    spent = process_cpu() - before
    if isinstance(server, QuietServer):
        server.request_exit()
    else:
        server.should_exit = True
    thread.join(5)
    return spent / IDLE_S * 1e3


def cursor_commit_ms(repeats: int = 300) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        state = NodeState(Path(tmp) / "node.db")
        t0 = time.thread_time()
        for i in range(repeats):
            with state.db.conn:
                state.db.execute("insert into blocks (number, hash, has_events) values (?, ?, 0) on conflict(number) "
                                 "do update set hash = excluded.hash", (i, f"0x{i:064x}"))
                state.set_meta(CURSOR_KEY, i)
        return (time.thread_time() - t0) / repeats * 1e3


def a_transcript(steps: int = 30_000, k: int = 1_000) -> Transcript:
    rng = random.Random(7)
    ids = [rng.randbytes(32) for _ in range(steps // k + 1)]
    segments = tuple(Segment(j, ids[j], ids[j + 1], tuple(struct.unpack("<f", struct.pack("<f", rng.random() * 2))[0]
                                                           for _ in range(k))) for j in range(steps // k))
    return Transcript(job_key=rng.randbytes(32), spec_hash=rng.randbytes(32), round=3, worker="0x" + "ab" * 20,
                      checkpoint_every=k, segments=segments)


def per_call_ms(fn, repeats: int) -> float:
    t0 = time.thread_time()
    for _ in range(repeats):
        fn()
    return (time.thread_time() - t0) / repeats * 1e3


def main() -> int:
    rows = []
    old, new = idle_server_ms_per_s(uvicorn.Server), idle_server_ms_per_s(QuietServer)
    rows.append(("idle HTTP server, CPU ms per second", old, new))
    rows.append(("follower, a block without events, CPU ms", cursor_commit_ms(), 0.0))
    transcript = a_transcript()
    data = transcript.to_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        store = ArtifactStore(Path(tmp))
        hex_id = store.put("transcript", data, expected_id=transcript.root)
        fresh = per_call_ms(lambda: ArtifactStore(Path(tmp)).get(hex_id), 10)  # a new store derives the id
        known = per_call_ms(lambda: store.get(hex_id), 10)
    rows.append((f"serve a {len(data) // 1000} kB transcript (30,000 steps), CPU ms", fresh, known))
    artifacts.parse_transcript(data)
    again = per_call_ms(lambda: artifacts.parse_transcript(data), 10)
    first = per_call_ms(lambda: artifacts._parse_transcript(data, None), 5)
    rows.append(("verifier reads the transcript it just fetched, CPU ms", first, again))
    print(f"{'':58} {'before':>9} {'after':>9} {'ratio':>7}")
    for label, before, after in rows:
        ratio = f"{after / before:.3f}x" if before else "-"
        print(f"{label:58} {before:9.3f} {after:9.3f} {ratio:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
