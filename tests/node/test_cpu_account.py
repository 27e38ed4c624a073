"""node/cpu_account.py: CPU charged to the kind of work that burned it, nested work to the innermost kind only."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from node.cpu_account import CpuAccount


def burn(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_nested_work_is_charged_to_the_innermost_kind_only():
    cpu = CpuAccount()
    cpu.mark_ready()
    with cpu.measure("training"):
        burn(0.2)
        with cpu.measure("chain"):
            burn(0.1)
        burn(0.1)
    s = cpu.snapshot()
    assert 0.28 <= s["training"] <= 0.4, s
    assert 0.09 <= s["chain"] <= 0.15, s
    assert s["replay"] == 0.0


def test_waiting_costs_nothing_and_a_child_process_is_charged_to_its_kind():
    cpu = CpuAccount()
    cpu.mark_ready()
    with cpu.measure("chain"):
        time.sleep(0.3)
    with cpu.measure("replay"):  # a replay under another numerics profile runs in a child process
        subprocess.run([sys.executable, "-c", "import time\nt = time.process_time() + 0.3\n"
                        "while time.process_time() < t: pass"], check=True)
    s = cpu.snapshot()
    assert s["chain"] < 0.05, s
    assert s["replay"] >= 0.3, s


def test_everything_before_ready_is_start_up_and_unmeasured_cpu_is_other():
    cpu = CpuAccount()
    with cpu.measure("training"):  # a warm-up step
        burn(0.1)
    before = cpu.snapshot()
    assert before["training"] == 0.0 and before["startup"] == before["total"]
    cpu.mark_ready()
    burn(0.2)
    s = cpu.snapshot()
    assert s["training"] == 0.0 and s["other"] >= 0.19, s
    assert s["startup"] + s["other"] <= s["total"] + 1e-3


def test_an_unknown_kind_is_refused_by_name():
    with pytest.raises(ValueError, match="'mining' is not one of training, replay"):
        with CpuAccount().measure("mining"):
            pass


def test_work_still_running_in_another_thread_is_counted_so_far_and_never_twice():
    """A claim trained across two of the bench's samples is split between them, as the process's CPU is."""
    import threading

    cpu = CpuAccount()
    cpu.mark_ready()
    halfway, finish = threading.Event(), threading.Event()

    def train():
        with cpu.measure("training"):
            burn(0.2)
            halfway.set()
            finish.wait()
            burn(0.2)

    worker = threading.Thread(target=train)
    worker.start()
    halfway.wait(10)
    during = cpu.snapshot()["training"]
    finish.set()
    worker.join(10)
    after = cpu.snapshot()["training"]
    assert 0.18 <= during <= 0.3, during
    assert 0.38 <= after <= 0.5 and after >= during, (during, after)
    assert cpu.snapshot()["training"] == after, "a closed measure is not counted again"
