"""A network's CPU split by kind, read from every node's /status and from anvil's /proc entry: what
`gradchain demo` prints and bench/network_share.py tabulates per round (node/cpu_account.py measures it)."""
from __future__ import annotations

import os
from pathlib import Path

import httpx

from . import devnet
from .cpu_account import KINDS

COLUMNS = (*KINDS, "other", "anvil")


def anvil_cpu(home: Path) -> float:
    pid = devnet.running_pid(devnet.DevnetPaths(home))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def sample(nodes, home: Path) -> dict:
    """Every node's CPU by kind (and start-up), and anvil's, now."""
    out = {"anvil": anvil_cpu(home), "startup": 0.0, **{k: 0.0 for k in (*KINDS, "other")}, "per_node": {},
           "rpc_calls": {}}
    for node in nodes:
        details = httpx.get(f"{node.url}/status", timeout=10).json()["details"]
        cpu = out["per_node"][node.name] = details["cpu_seconds"]
        out["rpc_calls"][node.name] = details["rpc_calls"]
        out["startup"] += cpu["startup"]
        for k in (*KINDS, "other"):
            out[k] += cpu[k]
    return out


def rpc_rates(nodes, samples) -> dict[str, list[tuple[str, float]]]:
    (_, t0, first), (_, t1, last) = samples[0], samples[-1]
    out = {}
    for node in nodes:
        a, b = first["rpc_calls"][node.name], last["rpc_calls"][node.name]
        rates = {m: (n - a.get(m, 0)) / (t1 - t0) for m, n in b.items()}
        out[node.name] = sorted(((m, r) for m, r in rates.items() if r > 0), key=lambda x: -x[1])
    return out


def share_line(label: str, cpu: dict[str, float], wall: float | None = None) -> str:
    total = sum(cpu[c] for c in COLUMNS) or 1.0
    cells = "  ".join(f"{c} {100 * cpu[c] / total:5.1f}%" for c in COLUMNS)
    head = f"{label:>10}" + (f" {wall:6.1f} s" if wall is not None else " " * 9)
    return f"{head}  cpu {total:7.2f} s  {cells}"


def print_split(console, before: dict, after: dict, n_nodes: int) -> None:
    """The network's CPU between two samples, by kind, and its start-up apart (the demo's own split)."""
    delta = {c: after[c] - before[c] for c in COLUMNS}
    total = sum(delta.values()) or 1.0
    console.print(f"CPU of the network's {n_nodes} nodes and anvil over the rounds: {total:.1f} s, "
                  + ", ".join(f"{c} {100 * delta[c] / total:.1f}%" for c in COLUMNS)
                  + f"; start-up apart: {before['startup']:.1f} s ({before['startup'] / n_nodes:.2f} s a node)")
