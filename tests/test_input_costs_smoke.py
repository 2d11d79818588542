"""benchmarks/input_costs.py runs end to end in --quick mode and reports every number.

Speed is not asserted (the suite shares two cores): what is asserted is that
the script, run as a user runs it (a subprocess, with its own child processes
for the memory measurements), prints a row for every contender and every
ratio, each with a positive, finite value, and writes the same table to --out.
"""

import math
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CONTENDERS = [
    "MLPClassifier, CSR X", "MLPClassifier, dense X",
    "MLPClassifier", "MLPClassifier, sample_weight=ones",
    "SoftmaxClassifier", "SoftmaxClassifier, sample_weight=ones",
    "MLPClassifier, float32 X", "MLPClassifier, float64 X",
]
RATIOS = [
    "sparse / dense: fit time",
    "sparse / dense: predict time",
    "sparse / dense: fit peak RSS growth",
    "sparse / dense: predict peak RSS growth",
    "sparse / dense: input size",
    "sparse / dense: input + fit peak RSS growth",
    "MLPClassifier: sample_weight / none, fit time",
    "SoftmaxClassifier: sample_weight / none, fit time",
    "MLPClassifier: float64 / float32, fit time",
]


def _rows(text):
    """First cell -> the other cells, for every markdown table row."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def test_quick_run_reports_every_contender_and_ratio(tmp_path):
    out = tmp_path / "RESULTS_input_costs.md"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # --quick: 2,000 x 2,000 sparse, 1,000 x 100 dense, 1-2 epochs; ~25 s on two loaded cores
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "input_costs.py"), "--quick", "--out", str(out)],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    assert text.strip() in proc.stdout
    for field in ("- date:", "- CPU:", "- load average at start", "- command:"):
        assert field in text, field
    rows = _rows(text)
    for name in CONTENDERS:
        assert name in rows, f"contender {name!r} missing from the table"
        seconds = [float(c) for c in rows[name][:3] if re.fullmatch(r"[0-9.]+", c)]
        assert seconds and all(s > 0 for s in seconds), (name, rows[name])
    # both sides of the sparse comparison train the same model
    assert rows["MLPClassifier, CSR X"][-1] == rows["MLPClassifier, dense X"][-1]
    for name in RATIOS:
        assert name in rows, f"ratio {name!r} missing from the table"
        value = float(rows[name][0])
        assert math.isfinite(value) and value > 0, (name, value)
    # the sparse input is smaller than its dense copy (density 1 %: about 2 %)
    assert float(rows["sparse / dense: input size"][0]) < 0.1
