"""The checks that need artifacts: every head is the average of its round's accepted results, each head's
held-out metrics, and full replays of randomly chosen accepted claims (PROTOCOL.md §5, §6).

Artifacts come from the workers' servers (the claim's artifactURI) through node/fetch.py, every byte checked
against its content id. An artifact that cannot be fetched makes an item UNVERIFIABLE, never a pass. An
artifact whose committed bytes are gone (served bytes do not hash to the id, or the worker's server reports
its stored copy corrupt) is evidence destroyed after the fact: that FAILS, because the ledger paid for
something nobody can check any more.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from node.fetch import FetchConfig, HttpFetcher, InvalidArtifactURI
from verifier.errors import ArtifactMismatch, ArtifactUnavailable

from .checks import rows
from .report import FAIL, PASS, SKIPPED, UNVERIFIABLE, CheckResult

AUDITOR_ADDRESS = "0x" + "00" * 20  # a full replay samples every segment, so the sampler's address is moot
AUDIT_FETCH = FetchConfig(connect_timeout_s=2.0, read_timeout_s=10.0, deadline_s=60.0, attempts=2, backoff_s=0.2)


class TamperedArtifact(ArtifactMismatch):
    """The committed bytes of an artifact are gone: what is served (or stored) no longer hashes to its id."""


@dataclass
class Evidence:
    """Fetches artifacts by (artifactURI, id), one HttpFetcher per worker, and remembers what was tampered."""

    chain_id: int  # with `ledger`: what job keys are derived from
    ledger: str
    config: FetchConfig = AUDIT_FETCH
    tampered: list[dict] = field(default_factory=list)
    _fetchers: dict[str, HttpFetcher] = field(default_factory=dict)

    def job_key(self, job_id: int) -> bytes:
        """The key the job's claims were trained under (PROTOCOL.md §3): a replay must use it."""
        from prover.jobkey import job_key

        return job_key(self.chain_id, self.ledger, job_id)

    def fetch(self, uri: str, artifact_id: bytes, max_bytes: int | None = None) -> bytes:
        """The artifact from the worker at `uri`, at most `max_bytes` (the spec's bound for its kind)."""
        if uri not in self._fetchers:
            try:
                self._fetchers[uri] = HttpFetcher(uri, self.config)
            except InvalidArtifactURI as exc:
                raise ArtifactUnavailable(artifact_id, str(exc)) from None
        fetcher = self._fetchers[uri]
        try:
            return fetcher.fetch(artifact_id, max_bytes=max_bytes)
        except ArtifactMismatch as exc:
            self._note(uri, artifact_id, exc.reason)
            raise TamperedArtifact(artifact_id, exc.reason, exc.data) from None

    def fetcher_for(self, uri: str):
        return lambda artifact_id, max_bytes=None: self.fetch(uri, artifact_id, max_bytes)

    def _note(self, uri: str, artifact_id: bytes, reason: str) -> None:
        self.tampered.append({"artifact": "0x" + artifact_id.hex(), "uri": uri, "reason": reason[:300]})

    def close(self) -> None:
        for f in self._fetchers.values():
            f.close()


# -- specs ---------------------------------------------------------------------------------------------------

def resolve_specs(db: sqlite_utils.Database, spec_files: list[Path], home: Path | None) -> tuple[dict, CheckResult]:
    """Each job's spec: a --spec file, or HOME/jobs/<id>/spec.json, whose keccak equals the job's specHash."""
    from prover.spec import JobSpec, SpecError

    from node.jobs import spec_path

    check = CheckResult("job_specs", "each job's spec file hashes to its on-chain specHash")
    candidates: list[tuple[Path, Any]] = []
    for path in spec_files:
        try:
            candidates.append((path, JobSpec.from_json(Path(path).read_bytes())))
        except (OSError, SpecError) as exc:
            check.add(FAIL, spec_file=str(path), problem=f"unreadable spec: {exc}")
    specs: dict[int, Any] = {}
    for job in rows(db, "select job_id, spec_hash from jobs order by job_id"):
        found = [(p, s) for p, s in candidates if "0x" + s.spec_hash().hex() == job["spec_hash"]]
        if not found and home is not None and spec_path(home, job["job_id"]).is_file():
            path = spec_path(home, job["job_id"])
            try:
                spec = JobSpec.from_json(path.read_bytes())
                if "0x" + spec.spec_hash().hex() == job["spec_hash"]:
                    found = [(path, spec)]
                else:
                    check.add(FAIL, job=job["job_id"], spec_file=str(path),
                              problem=f"hashes to 0x{spec.spec_hash().hex()}, the job pinned {job['spec_hash']}")
                    continue
            except SpecError as exc:
                check.add(FAIL, job=job["job_id"], spec_file=str(path), problem=str(exc))
                continue
        if found:
            specs[job["job_id"]] = found[0][1]
            check.add(PASS, job=job["job_id"], spec_file=str(found[0][0]))
        else:
            check.add(UNVERIFIABLE, job=job["job_id"], spec_hash=job["spec_hash"],
                      problem="no spec file with this hash: pass --spec FILE")
    return specs, check.settle(f"{len(specs)} of {len(rows(db, 'select job_id from jobs'))} jobs have their spec")


# -- heads ---------------------------------------------------------------------------------------------------

def check_head_averages(db: sqlite_utils.Database, specs: dict, evidence: Evidence) -> CheckResult:
    """Each head is the float32 mean, in claim-id order, of its round's accepted results; genesis is genesis(spec).

    Held-out metrics of every head whose tensors are at hand are stored in head_metrics on the way."""
    from prover.aggregate import mean_checkpoints
    from prover.bounds import max_checkpoint_bytes
    from prover.checkpoint import CheckpointError, checkpoint_from_bytes, checkpoint_id
    from prover.state import genesis

    check = CheckResult("head_average", "every head is the average of its round's accepted results")
    verified = kept = 0
    for job in rows(db, "select * from jobs order by job_id"):
        job_id, spec = job["job_id"], specs.get(job["job_id"])
        if spec is None:
            check.add(UNVERIFIABLE, job=job_id, round=0, head_round=0,
                      problem="no spec: the genesis head cannot be rebuilt")
        else:
            tensors = genesis(spec)
            got = "0x" + checkpoint_id(tensors).hex()
            if got != job["genesis_head"]:
                check.add(FAIL, job=job_id, round=0, head_round=0, rule="genesis head is genesis(spec)",
                          rebuilt=got, chain=job["genesis_head"])
            else:
                verified += 1
                check.add(PASS, job=job_id, round=0, head_round=0, head=got)
                _store_metrics(db, spec, job_id, got, tensors, "genesis(spec)")
        for h in rows(db, "select * from heads where job_id = ? and round > 0 order by round", (job_id,)):
            closed = h["round"] - 1
            accepted = rows(db, "select * from claims where job_id = ? and round = ? and status = 'Accepted' "
                                "order by claim_id", (job_id, closed))
            where = {"job": job_id, "round": closed, "head_round": h["round"], "head": h["head"]}
            if not accepted:
                kept += 1
                check.add(PASS if h["head"] == h["parent"] else FAIL, **where,
                          rule="no accepted claim: the head is kept")
                continue
            results, missing = [], []
            for c in accepted:
                try:
                    data = evidence.fetch(c["artifact_uri"], bytes.fromhex(c["result"][2:]),
                                          max_checkpoint_bytes(spec))
                    results.append(checkpoint_from_bytes(data, bytes.fromhex(c["result"][2:])))
                except TamperedArtifact as exc:
                    missing.append((FAIL, c, f"evidence tampered: {exc.reason}"))
                except (ArtifactUnavailable, CheckpointError) as exc:
                    missing.append((UNVERIFIABLE, c, f"result unavailable: {getattr(exc, 'reason', exc)}"))
            if missing:
                worst = FAIL if any(s == FAIL for s, _, _ in missing) else UNVERIFIABLE
                check.add(worst, **where, claims=[c["claim_id"] for _, c, _ in missing],
                          problem="; ".join(f"claim {c['claim_id']} ({c['artifact_uri']}): {why}"
                                            for _, c, why in missing))
                continue
            mean = mean_checkpoints(results)
            got = "0x" + checkpoint_id(mean).hex()
            if got != h["head"]:
                check.add(FAIL, **where, rule="head == mean of accepted results in claim-id order",
                          recomputed=got, claims=[c["claim_id"] for c in accepted])
                continue
            verified += 1
            check.add(PASS, **where, claims=[c["claim_id"] for c in accepted])
            if spec is not None:
                _store_metrics(db, spec, job_id, h["head"], mean, f"mean of claims {[c['claim_id'] for c in accepted]}")
    heads = sum(1 for _ in db.query("select 1 from heads"))
    return check.settle(f"{verified} of {heads} heads rebuilt and equal (genesis from the spec, the others as means "
                        f"of accepted results), {kept} kept by rounds without accepted claims; "
                        f"{len(check.problems())} problems")


def _store_metrics(db: sqlite_utils.Database, spec, job_id: int, head: str, tensors, source: str) -> None:
    """Held-out loss and accuracy (or perplexity) of a head, computed once per checkpoint id."""
    if list(db.query("select 1 from head_metrics where head = ?", [head])):
        return
    from prover.evaluate import evaluate

    metrics = evaluate(spec, tensors)
    with db.conn:
        db["head_metrics"].insert({"head": head, "job_id": job_id, "loss": metrics["loss"],
                                   "accuracy": metrics.get("accuracy"), "perplexity": metrics.get("perplexity"),
                                   "source": source}, pk="head", replace=True)


# -- full replays ----------------------------------------------------------------------------------------------

def check_reverify(db: sqlite_utils.Database, specs: dict, evidence: Evidence, count: int,
                   seed: int | None) -> CheckResult:
    """Replay every segment of `count` randomly chosen accepted claims with the verifier's own code."""
    from verifier.claim import Claim
    from verifier.verify import verify_claim

    check = CheckResult("reverify", "randomly chosen accepted claims replay in full")
    with db.conn:
        db["reverify"].delete_where()
    if count <= 0:
        check.status = SKIPPED
        return check.settle("not asked for (--reverify N)")
    accepted = rows(db, "select * from claims where status = 'Accepted' order by claim_id")
    seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
    chosen = sorted(random.Random(seed).sample(accepted, min(count, len(accepted))), key=lambda c: c["claim_id"])
    for c in chosen:
        where = {"claim": c["claim_id"], "job": c["job_id"], "round": c["round"], "worker": c["worker"]}
        spec = specs.get(c["job_id"])
        if spec is None or c["seed"] is None:
            status, decision, reason = UNVERIFIABLE, "abstain", {"check": "no spec" if spec is None else "no seed"}
        else:
            claim = Claim(claim_id=c["claim_id"], worker=c["worker"], round=c["round"], base=_b(c["base"]),
                          result=_b(c["result"]), transcript_root=_b(c["transcript_root"]), steps=c["steps"],
                          job_key=evidence.job_key(c["job_id"]))
            before = len(evidence.tampered)
            # The contract checked base == head at submission, so the claim's base is its round's head.
            verdict = verify_claim(spec, claim, _b(c["base"]), _b(c["seed"]), AUDITOR_ADDRESS,
                                   evidence.fetcher_for(c["artifact_uri"]), every_segment=True)
            decision, reason = verdict.decision, verdict.reason
            tampered = evidence.tampered[before:]
            if decision == "approve":
                status = PASS
            elif decision == "reject" or tampered:
                status = FAIL
                if tampered:
                    reason = {**reason, "tampered": tampered}
            else:
                status = UNVERIFIABLE
        check.add(status, **where, decision=decision, reason=json.dumps(reason, default=str)[:600])
        with db.conn:
            db["reverify"].insert({"claim_id": c["claim_id"], "status": status, "decision": decision,
                                   "reason": json.dumps(reason, default=str)}, pk="claim_id", replace=True)
    passed = sum(1 for e in check.evidence if e["status"] == PASS)
    return check.settle(f"{passed} of {len(chosen)} chosen claims (of {len(accepted)} accepted; --reverify-seed "
                        f"{seed}) replayed every segment and matched")


def _b(hex_value: str) -> bytes:
    return bytes.fromhex(hex_value[2:])
