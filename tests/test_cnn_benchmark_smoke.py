"""benchmarks/cnn_fashion_mnist.py runs end to end in --quick mode and reports every contender.

Speed and accuracy are not asserted here (the suite shares two cores); the
targets are the benchmark's own, checked by its full run.
"""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location(
        "cnn_bench", ROOT / "benchmarks" / "cnn_fashion_mnist.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_reports_every_contender_and_target(bench, tmp_path):
    out = tmp_path / "report.md"
    assert bench.main(["--quick", "--select", "--threads", "1", "--out", str(out)]) == 0
    report = out.read_text()
    for row in ("| sklearn_dl |", "| hand loop |", "| skorch |"):
        assert row in report
    assert "Target sklearn_dl <= 1.1x the hand loop" in report
    # issue 17's skorch comparison, paired by repeat, with its count of clear wins
    assert "sklearn_dl against skorch, paired by repeat: median" in report
    assert "at least 10% faster in" in report
    assert "Target >= 0.915" in report
    # one row per candidate of the default selection
    assert report.count("| {'channels': ") == len(bench.CANDIDATES)
