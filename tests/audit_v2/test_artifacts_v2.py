"""The v2 audit's artifact checks over real checkpoints served by real worker servers (artifact_scenario.py):
heads rebuilt as means, full replays, a head that is not the mean, evidence altered after acceptance, a worker
server down, and --strict's exit status through the real CLI."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from contextlib import contextmanager

import httpx
import pytest

from node.audit.report import FAIL, PASS, SKIPPED, UNVERIFIABLE
from node.api.server import BackgroundServer
from node.audit.run import AuditOptions, run_audit
from node.explorer.app import create_app as create_explorer
from node.explorer.pages import badge

import artifact_scenario
from artifact_scenario import DiskServer


@pytest.fixture(scope="module")
def served(chain, tmp_path_factory):
    yield from artifact_scenario.served_history(chain, tmp_path_factory, "audit-artifacts")


def audit(h, tmp_path, name="audit.db", to_block=None, **kw):
    opts = AuditOptions(home=h.home, db_path=tmp_path / name,
                        to_block=to_block if to_block is not None else h.ledger.w3.eth.block_number - 1, **kw)
    return run_audit(opts)


def items(report, name, **match):
    return [e for e in report.check(name).evidence if all(e.get(k) == v for k, v in match.items())]


def test_honest_heads_are_the_means_of_real_results_and_claims_replay_in_full(served, tmp_path):
    h = served
    report = audit(h, tmp_path, to_block=h.honest_block, reverify=2, reverify_seed=7)
    for c in report.checks:
        assert c.status == PASS, (c.name, c.summary, c.problems())
    (head,) = items(report, "head_average", round=0)
    assert head == {"status": PASS, "job": h.job_id, "round": 0, "proposal": h.proposal_0,
                    "head": "0x" + h.head_1.hex(), "claims": h.claims}
    replays = report.check("reverify").evidence
    assert sorted(e["claim"] for e in replays) == h.claims
    assert all(e["status"] == PASS and e["decision"] == "approve" for e in replays), replays
    assert "--reverify-seed 7" in report.check("reverify").summary
    assert report.exit_code(strict=True) == 0


def test_a_head_that_is_not_the_mean_fails_naming_its_round(served, tmp_path):
    h = served
    report = audit(h, tmp_path)
    heads = report.check("head_average")
    assert heads.status == FAIL
    (bad,) = heads.problems()
    assert (bad["job"], bad["round"], bad["proposal"], bad["head"], bad["recomputed"], bad["claims"]) == \
        (h.job_id, 1, h.bogus_proposal, "0x" + h.bogus_head.hex(), "0x" + h.round_1_mean.hex(), [h.claim_1])
    assert items(report, "head_average", round=0)[0]["status"] == PASS
    # Everything the contract itself enforces holds: the fraud is only in the average.
    for c in report.checks:
        if c.name not in ("head_average", "reverify"):
            assert c.status == PASS, (c.name, c.summary, c.problems())
    assert report.check("reverify").status == SKIPPED
    assert report.exit_code() == 1
    # The explorer shows the verdict beside each head.
    server = BackgroundServer(create_explorer(tmp_path / "audit.db")).start()
    try:
        html = httpx.get(server.url + "/").text
    finally:
        server.stop()
    body = re.search(rf'<table id="heads-{h.job_id}">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    assert [re.findall(r"<td>(.*?)</td>", r, re.S)[-1] for r in rows][1:] == [badge(PASS), badge(FAIL)]


@contextmanager
def disk_served(worker):
    """The worker's node server replaced, on its artifactURI's port, by one that serves its disk as it is."""
    worker.stop()
    server = DiskServer(worker.store.root, worker.port)
    try:
        yield
    finally:
        server.close()
        worker.start()


def test_a_result_altered_on_the_workers_disk_after_acceptance_fails(served, tmp_path):
    h = served
    worker, claim = h.workers[0], h.claims[0]
    path = worker.file_of(h.results[0])
    original = path.read_bytes()
    path.write_bytes(original[:-1] + bytes([original[-1] ^ 0x01]))  # one bit of one weight
    try:
        with disk_served(worker):
            report = audit(h, tmp_path, to_block=h.honest_block, reverify=2, reverify_seed=1)
        (bad,) = report.check("head_average").problems()
        assert bad["status"] == FAIL and bad["round"] == 0 and bad["claims"] == [claim], bad
        assert "tampered" in bad["problem"] and f"claim {claim}" in bad["problem"]
        replays = {e["claim"]: e for e in report.check("reverify").evidence}
        assert replays[claim]["status"] == FAIL and "tampered" in replays[claim]["reason"], replays[claim]
        assert replays[h.claims[1]]["status"] == PASS, replays[h.claims[1]]
        assert report.exit_code() == 1

        # The worker's own node server never serves the altered copy (it quarantines it): not a pass either.
        report = audit(h, tmp_path, name="node-served.db", to_block=h.honest_block)
        (gone,) = report.check("head_average").problems()
        assert gone["status"] == UNVERIFIABLE and gone["claims"] == [claim], gone
    finally:
        path.write_bytes(original)
    assert audit(h, tmp_path, name="restored.db", to_block=h.honest_block).check("head_average").status == PASS


def test_a_worker_server_down_is_unverifiable_and_strict_exits_3(served, tmp_path):
    h = served
    worker, claim = h.workers[1], h.claims[1]
    worker.stop()
    try:
        report = audit(h, tmp_path, to_block=h.honest_block)
        assert report.status == UNVERIFIABLE and report.exit_code() == 0
        (down,) = report.check("head_average").problems()
        assert down["status"] == UNVERIFIABLE and down["round"] == 0 and down["claims"] == [claim], down
        assert worker.url in down["problem"]
        argv = [sys.executable, "-m", "node.cli", "audit", "--home", str(h.home), "--db", str(tmp_path / "cli.db"),
                "--to-block", str(h.honest_block), "--json", "--strict"]
        strict = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=os.environ)
        assert strict.returncode == 3, strict.stdout[-2000:] + strict.stderr[-2000:]
        cli = json.loads(strict.stdout)
        assert cli["status"] == UNVERIFIABLE
        assert [c["status"] for c in cli["checks"] if c["name"] == "head_average"] == [UNVERIFIABLE]
    finally:
        worker.start()
