"""The ``sklearn-dl`` command: house prices end to end, the demo hand-off, errors."""

import importlib
import os
from pathlib import Path

import pandas as pd
import pytest

from sklearn_dl import cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def data_args(house_prices_dir):
    shared = ROOT.parent / "shared" / "data"
    if os.environ.get("SKLEARN_DL_DATA") or not shared.is_dir():
        return []
    return ["--data-home", str(shared)]


def test_house_prices_end_to_end(data_args, tmp_path, capsys):
    out = tmp_path / "submission.csv"
    status = cli.main(["house-prices", "--model", "ridge", "--model", "d2l", "--cv", "2",
                       "--out", str(out), "--quiet", *data_args])
    assert status == 0
    printed = capsys.readouterr()
    table = [line for line in printed.out.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| model | valid log-RMSE mean | std |")
    scores = {row.split("|")[1].strip(): float(row.split("|")[2]) for row in table[2:]}
    assert set(scores) == {"ridge", "d2l"}
    # ridge on the log price beats the seed's model on raw prices (0.144 vs 0.169 in
    # 5-fold CV, benchmarks/RESULTS_house_prices.md), and is the one fitted on all rows.
    # This 2-fold run measured ridge 0.152, d2l 0.199; 0.25 is 25% above d2l's value
    # (the seed's own folds reached 0.191) and far below a constant price's 0.40
    assert scores["ridge"] < scores["d2l"] < 0.25
    assert "Fitted 'ridge' on all 1460 training houses" in printed.out
    # d2l's fixed 100 epochs end with a ConvergenceWarning, summarised in one line
    assert "note: 'd2l' raised" in printed.err
    submission = pd.read_csv(out)
    assert list(submission.columns) == ["Id", "SalePrice"]
    assert submission["Id"].tolist() == list(range(1461, 2920))
    assert (submission["SalePrice"] > 0).all()


def test_missing_data_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SKLEARN_DL_DATA", raising=False)
    status = cli.main(["house-prices", "--data-home", str(tmp_path), "--no-download",
                       "--out", str(tmp_path / "s.csv")])
    assert status == 2
    err = capsys.readouterr().err
    assert "the data are missing" in err
    assert "kaggle_house_pred_train.csv" in err and "--data-home DIR" in err
    assert not (tmp_path / "s.csv").exists()


def test_bad_arguments(capsys):
    assert cli.main(["house-prices", "--cv", "1"]) == 2
    assert "--cv must be 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["house-prices", "--model", "nope"])
    assert "invalid choice: 'nope'" in capsys.readouterr().err


def test_demo_gets_the_rest_of_the_command_line(monkeypatch):
    demo = importlib.import_module("sklearn_dl.demo")
    seen = []
    monkeypatch.setattr(demo, "main", lambda argv: seen.append(argv) or 0)
    assert cli.main(["demo", "--quick", "--epochs", "1"]) == 0
    assert seen == [["--quick", "--epochs", "1"]]


@pytest.mark.parametrize("make_out, says", [
    (lambda d: d / "missing" / "x.csv", "does not exist"),
    (lambda d: d, "is a directory"),
])
def test_output_path_is_checked_before_any_training(tmp_path, capsys, monkeypatch, make_out,
                                                    says):
    # Issue 18 item 4: a bad --out used to train every model and then die in
    # pandas (exit 1). Loading data or training would fail this test: both are
    # replaced by a function that raises.
    import sklearn_dl.house_prices as hp
    import time

    def never(*args, **kwargs):
        raise AssertionError("training or loading started before --out was checked")

    monkeypatch.setattr(hp, "load_frames", never)
    monkeypatch.setattr(hp, "make_model", never)
    out = make_out(tmp_path)
    start = time.perf_counter()
    status = cli.main(["house-prices", "--out", str(out), "--quiet"])
    elapsed = time.perf_counter() - start
    assert status == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0  # one line
    assert err.startswith(f"sklearn-dl house-prices: --out {out}: ") and says in err
    assert elapsed < 1.0  # the bound; measured about 1 ms
