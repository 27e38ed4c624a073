"""bench/useful_work.py at tiny settings: the network learns, and the figures it prints are the ones it computed."""
from __future__ import annotations

import importlib.util
import math
import re
import statistics
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def uw():
    spec = importlib.util.spec_from_file_location("useful_work", ROOT / "bench" / "useful_work.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def result(uw):
    return uw.run_bench(seeds=2, rounds=2, workers=2)


def test_the_network_learns_from_genesis(uw, result):
    assert len(result.seeds) == 2 and (result.rounds, result.workers) == (2, 2)
    assert len(set(uw.worker_addresses(2))) == 2
    assert result.seeds[0].genesis_acc != result.seeds[1].genesis_acc or \
        result.seeds[0].network_acc != result.seeds[1].network_acc  # the seeds are different runs
    for s in result.seeds:
        assert s.network_acc > s.genesis_acc
        assert s.network_curve[-1] == s.network_acc and len(s.network_curve) == 2
        # the reported accuracy is the returned head's, scored afresh
        assert uw.evaluate(uw.bench_spec(s.seed), s.head)["accuracy"] == s.network_acc


def test_ratios_are_the_printed_figures(uw, result):
    ratios_a = [s.network_acc / s.seq_acc for s in result.seeds]
    ratios_b = [s.network_acc / s.wide_acc for s in result.seeds]
    assert [s.ratio_seq for s in result.seeds] == ratios_a
    assert [s.ratio_wide for s in result.seeds] == ratios_b
    for got, ratios in ((result.ratio_seq, ratios_a), (result.ratio_wide, ratios_b)):
        assert math.isclose(got.mean, statistics.fmean(ratios))
        assert (got.min, got.max) == (min(ratios), max(ratios))
        assert math.isclose(got.stdev, statistics.stdev(ratios))

    text = "\n".join(uw.report_lines(result))
    for s, a, b in zip(result.seeds, ratios_a, ratios_b):
        line = next(x for x in text.splitlines() if x.strip().startswith(f"seed {s.seed}:"))
        assert f"network {s.network_acc:.4f}" in line and f"(a) {s.seq_acc:.4f}" in line
        assert f"ratio a {a:.4f}" in line and f"ratio b {b:.4f}" in line
    (a_line,) = [x for x in text.splitlines() if x.strip().startswith("(a) same total steps")]
    assert f"mean {statistics.fmean(ratios_a):.4f}" in a_line and f"min {min(ratios_a):.4f}" in a_line
    assert f"stdev {statistics.stdev(ratios_a):.4f}" in a_line


def test_main_prints_what_it_checks(uw, result, capsys):
    # same settings, same seeds: the run is deterministic, so main must print the figures computed above
    assert uw.main(["--seeds", "2", "--rounds", "2", "--workers", "2", "--no-check"]) == 0
    out = capsys.readouterr().out
    printed = [float(x) for x in re.findall(r"ratio a (\d\.\d{4})", out)]
    assert printed == [round(s.ratio_seq, 4) for s in result.seeds]
    mean = float(re.search(r"\(a\) same total steps.*?mean (\d\.\d{4})", out).group(1))
    assert mean == round(result.ratio_seq.mean, 4)
    verdict = "OK" if result.ratio_seq.mean >= uw.CHECK_RATIO else "NOTE"
    assert re.search(rf"^{verdict}: mean ratio against \(a\) {mean:.4f}", out, re.M)
