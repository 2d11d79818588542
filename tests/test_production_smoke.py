"""benchmarks/production.py runs end to end in --quick mode and reports every target.

Speed is not asserted (the suite shares two cores). What is asserted: the
script, run as a user runs it, writes a report with a row for each latency
target and the generator-cost target, each with a positive, finite ratio,
and times every contender in both thread settings.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TARGETS = [
    "1-row predict / plain forward",
    "1-row predict_proba / plain forward",
    "1-row decision_function / plain forward",
    "-row predict / plain forward + argmax",
    "fit with per-fit generators / global generator",
]


def test_quick_run_reports_every_target_and_contender(tmp_path, fashion_mnist_dir):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "production.py"), "--quick",
         "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = (tmp_path / "RESULTS_production.md").read_text()
    for name in TARGETS:
        assert name in report, name
    results = json.loads((tmp_path / "results_production.json").read_text())
    targets = results["latency"]["targets"] + results["generators"]["targets"]
    assert len(targets) == len(TARGETS)
    for target in targets:
        assert math.isfinite(target["value"]) and target["value"] > 0, target
        # the verdict is the comparison it names, not a constant
        assert target["met"] == (target["value"] <= target["limit"]), target
    for block in results["latency"]["blocks"].values():
        one_row = block["1 row"]
        assert set(one_row) == {"plain forward", "predict", "predict_proba",
                                "decision_function"}
        assert all(v > 0 for v in one_row.values())
