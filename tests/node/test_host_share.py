"""node/host_share.py: the nodes running under a home, found from HOME/run, and each one's share of the cores."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import torch

from node.host_share import Registration, ThreadShare, run_dir, running_nodes, thread_share


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_running_nodes_are_the_registered_live_processes_and_dead_entries_are_cleaned(tmp_path):
    me = Registration(tmp_path, {"role": "verifier", "url": "http://127.0.0.1:1"})
    (run_dir(tmp_path) / "1.json").write_text(json.dumps({"pid": dead_pid(), "role": "worker"}))  # killed earlier
    (run_dir(tmp_path) / "2.json").write_text("{half a fi")  # being written
    (run_dir(tmp_path) / "3.json").write_text(json.dumps({"pid": os.getppid(), "role": "worker", "started_at": 0}))
    nodes = running_nodes(tmp_path)
    assert [n["role"] for n in nodes] == ["worker", "verifier"]  # oldest first
    assert not (run_dir(tmp_path) / "1.json").exists()
    me.remove()
    assert [n["role"] for n in running_nodes(tmp_path)] == ["worker"]
    assert running_nodes(tmp_path / "nowhere") == []


def test_each_node_takes_an_equal_share_of_the_cores_at_least_one_at_most_its_cap():
    assert thread_share(16, 4, None) == 4
    assert thread_share(2, 12, None) == 1  # 12 nodes on 2 cores: one thread each, no spinning
    assert thread_share(16, 1, 3) == 3
    assert thread_share(16, 0, None) == 16


def test_the_share_follows_the_nodes_as_they_come_and_go(tmp_path):
    before = torch.get_num_threads()
    try:
        share = ThreadShare(tmp_path, cap=None, cores=8)
        me = Registration(tmp_path, {"role": "worker"})
        assert share.refresh(force=True) == 8 and torch.get_num_threads() == 8
        other = run_dir(tmp_path) / "9.json"
        other.write_text(json.dumps({"pid": os.getppid(), "role": "verifier"}))
        assert share.refresh() == 8  # re-read every few seconds, not on every tick
        assert share.refresh(force=True) == 4 and torch.get_num_threads() == 4
        other.unlink()
        me.remove()
        assert share.refresh(force=True) == 8
    finally:
        torch.set_num_threads(before)
