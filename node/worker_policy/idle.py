"""Is the owner using the machine? CPU use by every process except this one, sampled in a background thread.

Decided here:
- "others' share" = (all CPU time used on the machine - this process's CPU time) / CPU time available, over
  one sample interval, as a percentage of all cores (so 2 cores fully busy on a 4-core machine is 50%);
- busy: the last sample is above the threshold; training pauses at the next segment boundary;
- idle: every sample for the last `grace_s` seconds was at or under the threshold; only then does training
  start or resume (a short lull does not hand the CPU back to us).

Linux reads /proc/stat; elsewhere psutil is used if it is installed.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds since boot, summed over all cores."""
    try:
        with open("/proc/stat") as handle:
            fields = [int(x) for x in handle.readline().split()[1:]]
    except OSError:
        try:
            import psutil
        except ImportError:
            raise ValueError("--only-when-idle needs /proc/stat (Linux) or the psutil package") from None
        t = psutil.cpu_times()
        idle = t.idle + getattr(t, "iowait", 0.0)
        total = sum(t)
        return total - idle, total
    # user nice system idle iowait irq softirq steal [guest guest_nice: already inside user and nice]
    total = sum(fields[:8])
    idle = fields[3] + fields[4]
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def own_cpu_seconds() -> float:
    """CPU seconds used by this process (every thread), not its children."""
    t = os.times()
    return t.user + t.system


@dataclass
class CpuSample:
    at: float  # time.monotonic()
    others_percent: float
    own_percent: float


class IdleMonitor:
    """Samples others' CPU share every `interval_s` in a daemon thread; `idle()` answers from the samples."""

    def __init__(self, threshold_percent: float, grace_s: float, interval_s: float = 0.5):
        self.threshold = threshold_percent
        self.grace_s = grace_s
        self.interval_s = interval_s
        self.last: CpuSample | None = None
        self._idle_since: float | None = None  # monotonic time of the first idle sample of the current run
        self._busy_since: float | None = None
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="idle-monitor")

    def start(self) -> "IdleMonitor":
        machine_cpu_seconds()  # fail now, in the caller, if this platform cannot be measured
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def idle(self) -> bool:
        """True once others have stayed at or under the threshold for the whole grace period."""
        since = self._idle_since
        return since is not None and time.monotonic() - since >= self.grace_s

    def busy_since(self) -> float | None:
        """Monotonic time of the first busy sample of the current busy spell (None while idle)."""
        return self._busy_since

    def wait_for_change(self, timeout_s: float) -> None:
        """Sleep until the next sample (or `timeout_s`)."""
        with self._changed:
            self._changed.wait(timeout_s)

    def _loop(self) -> None:
        busy0, total0 = machine_cpu_seconds()
        own0 = own_cpu_seconds()
        while not self._stop.wait(self.interval_s):
            busy1, total1 = machine_cpu_seconds()
            own1, t1 = own_cpu_seconds(), time.monotonic()
            available = total1 - total0
            if available <= 0:
                continue
            own = own1 - own0
            others = max(0.0, (busy1 - busy0) - own)
            self._record(CpuSample(t1, 100.0 * others / available, 100.0 * own / available))
            busy0, total0, own0 = busy1, total1, own1

    def _record(self, sample: CpuSample) -> None:
        self.last = sample
        if sample.others_percent > self.threshold:
            self._idle_since = None
            if self._busy_since is None:
                self._busy_since = sample.at
        else:
            self._busy_since = None
            if self._idle_since is None:
                self._idle_since = sample.at
        with self._changed:
            self._changed.notify_all()
