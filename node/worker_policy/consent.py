"""The owner's consent: what a worker will run and be paid, shown once and recorded under the gradchain home.

A record names the job exactly (chain, ledger, job id, spec hash) and its reward terms; a different job or
other terms need a new agreement. Caps are shown but may change without asking again: they only ever limit.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

CONSENT_FILE = "consent.json"
WEI_PER_ETH = 10**18


class ConsentRequired(ValueError):
    """No consent is recorded for this job: the message says what would run and how to agree."""


@dataclass(frozen=True)
class ConsentSubject:
    """What an agreement is about."""

    chain_id: int
    ledger: str
    job_id: int
    spec_hash: str  # 0x-hex
    reward_per_claim_wei: int
    worker_slash_wei: int
    min_worker_stake_wei: int

    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


class ConsentBook:
    """HOME/consent.json: the agreements given on this machine."""

    def __init__(self, home: Path):
        self.path = home / CONSENT_FILE

    def records(self) -> list[dict]:
        if not self.path.is_file():
            return []
        try:
            return json.loads(self.path.read_text()).get("records", [])
        except (ValueError, AttributeError):
            raise ValueError(f"{self.path} is not a consent file written by gradchain; move it away") from None

    def has(self, subject: ConsentSubject) -> bool:
        return any(r.get("subject") == asdict(subject) for r in self.records())

    def has_job(self, chain_id: int, ledger: str, job_id: int, spec_hash: str) -> bool:
        """Some agreement covers this job and spec (the terms are checked once the job is read from chain)."""
        return any(r.get("subject", {}).get("chain_id") == chain_id
                   and str(r["subject"].get("ledger", "")).lower() == ledger.lower()
                   and r["subject"].get("job_id") == job_id and r["subject"].get("spec_hash") == spec_hash
                   for r in self.records())

    def record(self, subject: ConsentSubject, summary: str, how: str) -> None:
        records = self.records() + [{"subject": asdict(subject), "summary": summary, "how": how,
                                     "at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"records": records}, indent=2) + "\n")
        tmp.replace(self.path)


def eth(wei: int) -> str:
    return f"{wei / WEI_PER_ETH:g} ETH"


def how_to_consent(home: Path) -> str:
    return (f"to agree, rerun with --yes, or put `yes = true` under [worker] in {home / 'worker.toml'}, "
            "or run it in a terminal and answer the prompt")


def obtain_consent(book: ConsentBook, subject: ConsentSubject, summary: str, yes: bool, yes_source: str,
                   ask: Callable[[str], bool] | None, home: Path) -> str:
    """Return how consent was given ('recorded', '--yes'/config, 'prompt'), or raise ConsentRequired."""
    if book.has(subject):
        return "recorded"
    if yes:
        book.record(subject, summary, yes_source)
        return yes_source
    if ask is not None:
        if ask(summary):
            book.record(subject, summary, "prompt")
            return "prompt"
        raise ConsentRequired(f"consent declined: nothing was trained or staked for job {subject.job_id}")
    raise ConsentRequired(f"no consent recorded for job {subject.job_id} on this machine, so nothing was trained "
                          f"or staked. {how_to_consent(home)}.")


def describe(subject: ConsentSubject, spec, job: dict, caps_text: str, compute_text: str, threads: int,
             claim_bytes: int, disk_cap_text: str, address: str, public_url: str, auto_stake_wei: int) -> str:
    """The text the owner agrees to: what runs, on what, using how much, for what pay, within which caps."""
    from .settings import format_size

    model_config = json.dumps(spec.model_config, sort_keys=True, separators=(",", ":"))
    stake = (f"{eth(max(auto_stake_wei, job['min_worker_stake']))} staked from {address} now (--auto-stake)"
             if auto_stake_wei else f"{eth(job['min_worker_stake'])} must already be staked by {address}")
    lines = [
        "gradchain worker: what this machine will do",
        f"  job        {subject.job_id} on chain {subject.chain_id}, ledger {subject.ledger}",
        f"  model      {spec.model} {model_config}, dataset {spec.dataset.name}, optimizer {spec.optimizer.name}; "
        f"spec {subject.spec_hash[:18]}…",
        f"  work       {spec.steps_per_claim} training steps per claim, one claim per round "
        f"(rounds accept claims for {job['submit_window']} blocks)",
        f"  compute    {compute_text}, up to {threads} thread(s), at full use while training",
        f"  disk       about {format_size(claim_bytes)} of checkpoints per claim; cap {disk_cap_text}",
        f"  network    serves its checkpoints at {public_url}; sends transactions from {address}",
        f"  reward     {eth(subject.reward_per_claim_wei)} per accepted claim",
        f"  risk       {stake}; {eth(subject.worker_slash_wei)} slashed per rejected claim",
        f"  caps       {caps_text}",
    ]
    return "\n".join(lines)
