"""`job create` warns when a tolerance job's delta is far from the calibrated value for its model
(node/jobs.py reads the table bench/calibrate_delta.py writes to prover/calibration.json)."""
from __future__ import annotations

import json

from node.jobs import CALIBRATION, FAR_ABOVE, tolerance_delta_warning
from prover.presets import digits_spec


def table(tmp_path, safe=3e-6, honest=1.5e-6):
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"models": {"mlp-digits": {"safe_delta": safe, "honest_max": honest,
                                                           "checkpoint_every": 10}}}))
    return path


def test_delta_far_above_the_calibrated_safe_delta_warns(tmp_path):
    spec = digits_spec(verification_mode="tolerance", delta=FAR_ABOVE * 3e-6 * 1.5)
    warning = tolerance_delta_warning(spec, table(tmp_path))
    assert warning is not None and "15x the safe delta" in warning and "mlp-digits" in warning


def test_delta_near_the_safe_delta_or_an_exact_job_or_an_uncalibrated_model_does_not(tmp_path):
    t = table(tmp_path)
    assert tolerance_delta_warning(digits_spec(verification_mode="tolerance", delta=FAR_ABOVE * 3e-6), t) is None
    assert tolerance_delta_warning(digits_spec(), t) is None  # exact mode
    t.write_text(json.dumps({"models": {}}))
    assert tolerance_delta_warning(digits_spec(verification_mode="tolerance", delta=1.0), t) is None


def test_delta_below_the_honest_maximum_warns(tmp_path):
    warning = tolerance_delta_warning(digits_spec(verification_mode="tolerance", delta=1e-6), table(tmp_path))
    assert warning is not None and "honest workers" in warning


def test_the_committed_table_covers_both_presets():
    models = json.loads(CALIBRATION.read_text())["models"]
    for name in ("mlp-digits", "tiny-gpt"):
        assert 0 < models[name]["honest_max"] < models[name]["safe_delta"]
