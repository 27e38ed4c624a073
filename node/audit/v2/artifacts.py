"""The v2 audit's artifact checks: each job's spec, every accepted head as the mean of its round's accepted results
(head_average), and full replays of randomly chosen accepted claims (--reverify).

Artifacts come from the workers' servers (each claim's artifactURI) through node/fetch.py, every byte checked
against its content id. An artifact that cannot be fetched makes its item UNVERIFIABLE, never a pass. Bytes served
for an id that do not hash to it are evidence destroyed after acceptance: the ledger paid for something nobody can
check any more, so that FAILS (TamperedArtifact).

The mean is node/heads.py's round_mean over node/heads.py's accepted_claims (claim-id order), the aggregator's own
code, run over the audit database's claims table; nothing about the mean is re-derived here.
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

from ..report import FAIL, PASS, SKIPPED, UNVERIFIABLE, CheckResult
from .rebuilt import Rebuilt, _b

AUDITOR_ADDRESS = "0x" + "00" * 20  # a full replay checks every segment, so the sampler's address is moot
AUDIT_FETCH = FetchConfig(connect_timeout_s=2.0, read_timeout_s=10.0, deadline_s=60.0, attempts=2, backoff_s=0.2)
HEAD_AVERAGE_TITLE = "every accepted head is the float32 mean of its round's accepted results"
REVERIFY_TITLE = "randomly chosen accepted claims replay in full"
SPECS_TITLE = "each job's spec file hashes to its on-chain specHash"


class TamperedArtifact(ArtifactMismatch):
    """The committed bytes of an artifact are gone: what is served no longer hashes to its id."""


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
        """The artifact from the worker at `uri` (at most `max_bytes`); TamperedArtifact if the bytes are not its."""
        if uri not in self._fetchers:
            try:
                self._fetchers[uri] = HttpFetcher(uri, self.config)
            except InvalidArtifactURI as exc:
                raise ArtifactUnavailable(artifact_id, str(exc)) from None
        try:
            return self._fetchers[uri].fetch(artifact_id, max_bytes=max_bytes)
        except ArtifactMismatch as exc:
            self.tampered.append({"artifact": "0x" + artifact_id.hex(), "uri": uri, "reason": exc.reason[:300]})
            raise TamperedArtifact(artifact_id, exc.reason, exc.data) from None

    def fetcher_for(self, uri: str):
        return lambda artifact_id, max_bytes=None: self.fetch(uri, artifact_id, max_bytes)

    def close(self) -> None:
        for f in self._fetchers.values():
            f.close()


# -- specs ---------------------------------------------------------------------------------------------------

def resolve_specs(L: Rebuilt, spec_files: list[Path], home: Path | None) -> tuple[dict, CheckResult]:
    """Each job's spec: a --spec file, or HOME/jobs/<id>/spec.json, whose spec hash is the job's specHash."""
    from prover.spec import JobSpec, SpecError

    from node.jobs import spec_path

    check = CheckResult("job_specs", SPECS_TITLE)
    candidates: list[tuple[Path, Any]] = []
    for path in spec_files:
        try:
            candidates.append((Path(path), JobSpec.from_json(Path(path).read_bytes())))
        except (OSError, SpecError, ValueError) as exc:
            check.add(FAIL, spec_file=str(path), problem=f"unreadable spec: {exc}")
    specs: dict[int, Any] = {}
    for job_id, job in sorted(L.jobs.items()):
        found = [(p, s) for p, s in candidates if "0x" + s.spec_hash().hex() == job["spec_hash"]]
        if not found and home is not None and spec_path(home, job_id).is_file():
            path = spec_path(home, job_id)
            try:
                spec = JobSpec.from_json(path.read_bytes())
            except (OSError, SpecError, ValueError) as exc:
                check.add(FAIL, job=job_id, spec_file=str(path), problem=str(exc)[:300])
                continue
            if "0x" + spec.spec_hash().hex() != job["spec_hash"]:
                check.add(FAIL, job=job_id, spec_file=str(path),
                          problem=f"hashes to 0x{spec.spec_hash().hex()}, the job pinned {job['spec_hash']}")
                continue
            found = [(path, spec)]
        if found:
            specs[job_id] = found[0][1]
            check.add(PASS, job=job_id, spec_file=str(found[0][0]))
        else:
            check.add(UNVERIFIABLE, job=job_id, spec_hash=job["spec_hash"],
                      problem="no spec file with this hash: pass --spec FILE")
    return specs, check.settle(f"{len(specs)} of {len(L.jobs)} jobs have their spec")


# -- heads ---------------------------------------------------------------------------------------------------

class _AuditTables:
    """The audit database seen through NodeState's two read methods, for node/heads.py's queries (its claims table
    has the columns they read: job_id, round, status, claim_id, result, artifact_uri)."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def rows(self, sql: str, params=()) -> list[dict]:
        return [dict(r) for r in self.db.query(sql, params)]

    def one(self, sql: str, params=()) -> dict | None:
        found = self.rows(sql, params)
        return found[0] if found else None


class _AuditRuntime:
    """What node/heads.py's round_mean asks of a node's runtime: its state and its checkpoints. Checkpoints are
    fetched from the claims' artifactURIs (checked against their ids, cut at the spec's size) and kept in memory."""

    def __init__(self, db: sqlite_utils.Database, evidence: Evidence):
        self.state = _AuditTables(db)
        self.evidence = evidence
        self.spec = None
        self._kept: dict[bytes, Any] = {}

    def checkpoint(self, checkpoint_id: bytes, artifact_uri: str):
        from prover.bounds import max_checkpoint_bytes
        from prover.checkpoint import CheckpointError, checkpoint_from_bytes
        from verifier.artifacts import MalformedArtifact, inspect_checkpoint

        if checkpoint_id in self._kept:
            return self._kept[checkpoint_id]
        limit = max_checkpoint_bytes(self.spec) if self.spec is not None else None
        data = self.evidence.fetch(artifact_uri, checkpoint_id, limit)
        try:
            if self.spec is not None:
                problem = inspect_checkpoint(self.spec, data).layout_problem
                if problem:
                    raise CheckpointError(problem)
            tensors = checkpoint_from_bytes(data, checkpoint_id)
        except (CheckpointError, MalformedArtifact) as exc:
            raise ArtifactUnavailable(checkpoint_id, f"not a checkpoint of the job's model: {exc}") from None
        self._kept[checkpoint_id] = tensors
        return tensors

    def keep_checkpoint(self, checkpoint_id: bytes, tensors) -> None:
        self._kept[checkpoint_id] = tensors

    def head_tensors(self, head: bytes, round_: int):  # round_mean asks for it only for rounds it does not average
        raise ArtifactUnavailable(head, "the audit does not rebuild heads of rounds without accepted claims")


def check_head_averages(db: sqlite_utils.Database, L: Rebuilt, specs: dict, evidence: Evidence) -> CheckResult:
    """Each Accepted proposal's newHead is round_mean of its round's accepted results (claim-id order); each job's
    genesis head is genesis(spec) where the spec is at hand. A round without accepted claims keeps its head: that
    is head_chain's to judge (nothing to fetch)."""
    from prover.checkpoint import checkpoint_id
    from prover.state import genesis

    from node.heads import accepted_claims, round_mean

    check = CheckResult("head_average", HEAD_AVERAGE_TITLE)
    runtime = _AuditRuntime(db, evidence)
    averaged = kept = genesis_checked = 0
    for job_id, job in sorted(L.jobs.items()):
        spec = specs.get(job_id)
        runtime.spec = spec
        if spec is not None:
            got = "0x" + checkpoint_id(genesis(spec)).hex()
            if got != job["genesis_head"]:
                check.add(FAIL, job=job_id, round=0, rule="the genesis head is genesis(spec)", rebuilt=got,
                          chain=job["genesis_head"])
            else:
                genesis_checked += 1
        proposals = sorted((p for p in L.proposals.values() if p["job_id"] == job_id and p["status"] == "Accepted"),
                           key=lambda p: p["round"])
        for pr in proposals:
            where = {"job": job_id, "round": pr["round"], "proposal": pr["proposal_id"], "head": pr["new_head"]}
            claims = accepted_claims(runtime.state, job_id, pr["round"])
            if not claims:
                kept += 1
                continue
            missing = []
            for c in claims:  # every result first, so that every unfetchable or tampered one is named
                try:
                    runtime.checkpoint(_b(c["result"]), c["artifact_uri"])
                except TamperedArtifact as exc:
                    missing.append((FAIL, c, f"evidence tampered: {exc.reason}"))
                except ArtifactUnavailable as exc:
                    missing.append((UNVERIFIABLE, c, f"result unavailable: {exc.reason}"))
            if missing:
                worst = FAIL if any(s == FAIL for s, _, _ in missing) else UNVERIFIABLE
                check.add(worst, **where, claims=[c["claim_id"] for _, c, _ in missing],
                          problem="; ".join(f"claim {c['claim_id']} ({c['artifact_uri']}): {why}"[:400]
                                            for _, c, why in missing))
                continue
            head, _ = round_mean(runtime, job_id, pr["round"])
            got = "0x" + head.hex()
            if got != pr["new_head"]:
                check.add(FAIL, **where, rule="the head is the mean of the round's accepted results in claim-id "
                          "order", recomputed=got, claims=[c["claim_id"] for c in claims])
                continue
            averaged += 1
            check.add(PASS, **where, claims=[c["claim_id"] for c in claims])
    accepted = sum(1 for p in L.proposals.values() if p["status"] == "Accepted")
    no_spec = len(L.jobs) - len(specs)
    return check.settle(f"{averaged} of {accepted} accepted heads rebuilt as the mean of their round's accepted "
                        f"results, {kept} kept by rounds without accepted claims (head_chain); genesis rebuilt for "
                        f"{genesis_checked} of {len(L.jobs)} jobs" + (f" ({no_spec} without a spec)" if no_spec else "")
                        + f"; {len(check.problems())} problems")


# -- full replays ----------------------------------------------------------------------------------------------

def check_reverify(L: Rebuilt, specs: dict, evidence: Evidence, count: int, seed: int | None) -> CheckResult:
    """Replay every segment of `count` randomly chosen accepted claims with the verifier's own entry point."""
    from node.replay_subprocess import replay_for
    from verifier.claim import Claim
    from verifier.verify import verify_claim

    check = CheckResult("reverify", REVERIFY_TITLE)
    if count <= 0:
        check.status = SKIPPED
        return check.settle("not asked for (--reverify N)")
    accepted = sorted((c for c in L.claims.values() if c["status"] == "Accepted"), key=lambda c: c["claim_id"])
    seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
    chosen = sorted(random.Random(seed).sample(accepted, min(count, len(accepted))), key=lambda c: c["claim_id"])
    heads = {(r["job_id"], r["round"]): r["head"] for r in L.t["rounds"]}
    for c in chosen:
        where = {"claim": c["claim_id"], "job": c["job_id"], "round": c["round"], "worker": c["worker"]}
        spec = specs.get(c["job_id"])
        head = heads.get((c["job_id"], c["round"]))
        if spec is None or c["seed"] is None or head is None:
            missing = "no spec (pass --spec FILE)" if spec is None else "no seed" if c["seed"] is None else "no head"
            check.add(UNVERIFIABLE, **where, decision="abstain", reason=missing)
            continue
        claim = Claim(claim_id=c["claim_id"], worker=c["worker"], round=c["round"], base=_b(c["base"]),
                      result=_b(c["result"]), transcript_root=_b(c["transcript_root"]), steps=c["steps"],
                      job_key=evidence.job_key(c["job_id"]))
        before = len(evidence.tampered)
        verdict = verify_claim(spec, claim, _b(head), _b(c["seed"]), AUDITOR_ADDRESS,
                               evidence.fetcher_for(c["artifact_uri"]), every_segment=True, replay=replay_for(spec))
        reason = dict(verdict.reason or {})
        tampered = evidence.tampered[before:]
        if tampered:
            reason["tampered"] = tampered
        if verdict.decision == "approve" and not tampered:
            status = PASS
        elif verdict.decision == "reject" or tampered:
            status = FAIL
        else:
            status = UNVERIFIABLE
        check.add(status, **where, decision=verdict.decision, reason=json.dumps(reason, default=str)[:600])
    passed = sum(1 for e in check.evidence if e["status"] == PASS)
    return check.settle(f"{passed} of {len(chosen)} chosen claims (of {len(accepted)} accepted; --reverify-seed "
                        f"{seed}) replayed every segment and matched")


def skipped(why: str) -> list[CheckResult]:
    """The artifact checks, each reported skipped (--no-artifacts)."""
    out = []
    for name, title in (("job_specs", SPECS_TITLE), ("head_average", HEAD_AVERAGE_TITLE),
                        ("reverify", REVERIFY_TITLE)):
        c = CheckResult(name, title, status=SKIPPED)
        out.append(c.settle(why))
    return out


def artifact_checks(db: sqlite_utils.Database, L: Rebuilt, opts, chain_id: int, ledger: str) -> list[CheckResult]:
    """job_specs, head_average and reverify; all three skipped with --no-artifacts."""
    if not opts.artifacts:
        return skipped("artifacts not fetched (--no-artifacts)")
    specs, spec_check = resolve_specs(L, opts.spec_files, opts.home)
    evidence = Evidence(chain_id=chain_id, ledger=ledger)
    try:
        return [spec_check, check_head_averages(db, L, specs, evidence),
                check_reverify(L, specs, evidence, opts.reverify, opts.reverify_seed)]
    finally:
        evidence.close()
