"""A node's start-up and shutdown, measured on a real devnet (issue 15: ready in under 2 s of CPU once its imports
are warm; shutdown under 0.5 s).

    .venv/bin/python bench/node_startup.py [--runs 3] [--role verifier]

Starts anvil, deploys LedgerV2 and a digits job, then starts `gradchain node run` --runs times, one at a time.
For each start it reads the process's CPU (user + system, /proc/PID/stat, children included once reaped) at three
moments: its HTTP server answers /status; it is ready to work (/status reports the job's round: staked, spec
loaded, loop running); SIGTERM to exit (wall time). Apart, in the same run: the CPU of importing what a node
imports (python -c "import node.cli, node.roles.runtime, prover.claim, verifier.verify"), so that the start-up
figure can be read with the imports taken out. The first start's files are cold in the page cache; later ones warm.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from node.api.server import free_port  # noqa: E402
from node.chain.anvil import Anvil  # noqa: E402
from node.chain.client import connect  # noqa: E402
from node.chain.devaccounts import dev_account  # noqa: E402
from node.chain.v2.deploy import deploy_ledger_v2  # noqa: E402
from node.chain.v2.terms import JobTermsV2  # noqa: E402
from node.config import Deployment, deployment_path  # noqa: E402
from node.jobs import create_job, save_spec, spec_path  # noqa: E402
from prover.presets import digits_spec  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime + cutime + cstime of a live process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICKS


def import_cpu() -> float:
    code = ("import time; t = time.process_time(); import node.cli, node.roles.runtime, prover.claim, "
            "verifier.verify; print(time.process_time() - t)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def one_start(home: Path, role: str, index: int) -> dict:
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "node.cli", "node", "run", "--role", role, "--job", "1",
                             "--home", str(home), "--dev-account", str(index), "--port", str(port), "--yes",
                             "--auto-stake", "1", "--data-dir", str(home / "nodes" / role)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    serving = ready = None
    try:
        while ready is None:
            if proc.poll() is not None:
                raise RuntimeError(f"the node exited with {proc.returncode}")
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/status", timeout=1).json()
                if serving is None:
                    serving = (time.monotonic() - started, cpu_seconds(proc.pid))
                if "round" in (status.get("details") or {}):
                    ready = (time.monotonic() - started, cpu_seconds(proc.pid))
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        stop = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        return {"serving": serving, "ready": ready, "shutdown_s": time.monotonic() - stop}
    finally:
        if proc.poll() is None:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--role", default="verifier", choices=("worker", "verifier", "aggregator"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gradchain-startup-") as tmp:
        home = Path(tmp)
        anvil = Anvil(log_path=home / "anvil.log", port=free_port(), block_time=0.25)
        anvil.start()
        try:
            w3 = connect(anvil.url)
            ledger, receipt = deploy_ledger_v2(w3, dev_account(0), unbonding_delay_blocks=10,
                                               seat_stake_wei=10**18 // 2)
            Deployment(chain_id=w3.eth.chain_id, address=ledger.address, block=receipt["blockNumber"],
                       rpc_url=anvil.url).save(deployment_path(home))
            spec = digits_spec()
            save_spec(spec_path(home, 1), spec)
            create_job(ledger, dev_account(0), spec, JobTermsV2(), 10**19, home=home)
            imports = [import_cpu() for _ in range(args.runs)]
            runs = [one_start(home, args.role, 3) for _ in range(args.runs)]
        finally:
            anvil.stop()
    warm_imports = min(imports)
    print(f"{args.role} start-up on {os.cpu_count()} cores, {args.runs} starts (first cold, later warm):")
    print(f"  imports alone: {', '.join(f'{c:.2f}' for c in imports)} s CPU")
    for i, r in enumerate(runs):
        print(f"  start {i + 1}: serving after {r['serving'][0]:.2f} s wall / {r['serving'][1]:.2f} s CPU; ready "
              f"after {r['ready'][0]:.2f} s wall / {r['ready'][1]:.2f} s CPU "
              f"({r['ready'][1] - warm_imports:.2f} s CPU beyond the warm imports); shutdown {r['shutdown_s']:.2f} s")
    best = min(r["ready"][1] for r in runs[1:] or runs)
    print(f"ready-to-work CPU beyond warm imports, best warm start: {best - warm_imports:.2f} s (target < 2 s); "
          f"worst shutdown {max(r['shutdown_s'] for r in runs):.2f} s (target < 0.5 s)")


if __name__ == "__main__":
    main()
