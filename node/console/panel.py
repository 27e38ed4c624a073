"""The live panel's text: who this node is, what it is doing, the next window, what it earns. Pure: built from a
Snapshot, so a test can read the panel without a terminal."""
from __future__ import annotations

from dataclasses import dataclass

from .lines import short_hex
from .progress import Training, duration


@dataclass(frozen=True)
class Snapshot:
    role: str
    address: str
    job_id: int
    round: int | None
    block: int | None
    seconds_per_block: float | None
    activity: str  # what the role does now, in words
    next_window: str
    earnings: str | None  # earnings_text(...) (workers and verifiers)
    training: Training | None = None  # the claim being trained (workers)


def training_text(t: Training) -> str:
    """'training claim of round 3: step 1200/3000 (40%) · 950 steps/s · ETA 2 s'."""
    percent = 100 * t.step // t.steps if t.steps else 0
    speed = t.steps_per_second()
    rate = f" · {speed:,.0f} steps/s" if speed else ""
    if t.finished:
        return f"trained claim of round {t.round}: step {t.step}/{t.steps} (100%){rate}"
    return (f"training claim of round {t.round}: step {t.step}/{t.steps} ({percent}%){rate} · "
            f"ETA {duration(t.eta_seconds()) if speed else 'measuring'}")


def panel_lines(s: Snapshot) -> list[str]:
    where = [f"job {s.job_id}"]
    if s.round is not None:
        where.append(f"round {s.round}")
    if s.block is not None:
        pace = f" ({s.seconds_per_block:.2f} s/block)" if s.seconds_per_block else ""
        where.append(f"block {s.block}{pace}")
    lines = [f"{s.role} {short_hex(s.address)} · {' · '.join(where)}"]
    if s.training is not None and not s.training.finished:
        lines.append(training_text(s.training))
    else:
        lines.append(s.activity)
        if s.training is not None:
            lines.append("last " + training_text(s.training))
    lines.append(f"next: {s.next_window}")
    if s.earnings:
        lines.append(f"earnings: {s.earnings}")
    return lines


def training_status_text(progress: dict) -> str:
    """/status's training_progress as `gradchain node status` prints it: 'claim of round 3: step 1200/3000 (40%)
    · 950 steps/s · ETA 2 s'."""
    step, steps = progress["step"], progress["steps"]
    text = f"claim of round {progress['round']}: step {step}/{steps} ({100 * step // steps if steps else 0}%)"
    if progress.get("steps_per_second"):
        text += f" · {progress['steps_per_second']:,.0f} steps/s"
    if progress.get("eta_seconds") and step < steps:
        text += f" · ETA {duration(progress['eta_seconds'])}"
    return text
