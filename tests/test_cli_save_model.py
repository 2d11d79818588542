"""``sklearn-dl house-prices --save-model`` and ``sklearn-dl predict``: a saved model predicts as fitted."""

import os
from pathlib import Path

import pandas as pd
import pytest

from sklearn_dl import cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def data_args():
    shared = ROOT.parent / "shared" / "data"
    if os.environ.get("SKLEARN_DL_DATA") or not shared.is_dir():
        return []
    return ["--data-home", str(shared)]


def test_saved_model_predicts_the_submission_exactly(data_args, tmp_path, capsys):
    submission, model = tmp_path / "submission.csv", tmp_path / "ridge.safetensors"
    assert cli.main(["house-prices", "--model", "ridge", "--cv", "0", "--out", str(submission),
                     "--save-model", str(model), "--quiet", *data_args]) == 0
    assert f"Saved the fitted model to {model}" in capsys.readouterr().out
    predictions = tmp_path / "predictions.csv"
    assert cli.main(["predict", "--model", str(model), "--out", str(predictions),
                     *data_args]) == 0
    assert "Wrote 1459 predictions" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_csv(predictions), pd.read_csv(submission))
    # --input: any frame with Id and the feature columns
    first = pd.read_csv(submission).head(3)
    from sklearn_dl.house_prices import load_frames

    _, test = load_frames(data_args[1] if data_args else None, download=False)
    test.head(3).to_csv(tmp_path / "three.csv", index=False)
    assert cli.main(["predict", "--model", str(model), "--input", str(tmp_path / "three.csv"),
                     "--out", str(tmp_path / "three_out.csv")]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "three_out.csv"), first)


@pytest.mark.parametrize("option", ["--out", "--save-model"])
@pytest.mark.parametrize("bad", ["missing-folder/x", "."])
def test_bad_output_paths_fail_before_any_training(tmp_path, monkeypatch, capsys, option, bad):
    import sklearn_dl.house_prices as hp

    def no_training(*args, **kwargs):
        raise AssertionError("trained before checking the output paths")

    monkeypatch.setattr(hp, "make_model", no_training)
    monkeypatch.setattr(hp, "load_frames", no_training)
    path = str(tmp_path / bad)
    args = ["house-prices", "--cv", "0", "--quiet", "--out", str(tmp_path / "s.csv"), option, path]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"sklearn-dl house-prices: {option}")
    assert ("does not exist" in err) if bad != "." else ("is a directory" in err)


def test_predict_refuses_a_bad_model_file_in_one_line(tmp_path, capsys):
    (tmp_path / "model.pkl").write_bytes(b"\x80\x04K\x01.")  # a pickle: never unpickled
    assert cli.main(["predict", "--model", str(tmp_path / "model.pkl"),
                     "--out", str(tmp_path / "p.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot load the model" in err
    assert "not a readable safetensors file" in err
    assert cli.main(["predict", "--model", str(tmp_path / "nope"), "--out",
                     str(tmp_path / "p.csv")]) == 2
    assert "No such file" in capsys.readouterr().err
    assert cli.main(["predict", "--model", str(tmp_path / "nope"), "--out",
                     str(tmp_path / "no" / "p.csv")]) == 2
    assert "--out" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists()
