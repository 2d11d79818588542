"""The short predict path for a few rows keeps every check and gives the general path's bits.

Issue 16 asked for single-row predict within 2x a plain torch forward with
every input check kept (benchmarks/production.py measures the ratio). The
short path (sklearn_dl/_predict.py) takes a validated float ndarray of the
model's dtype; these tests pin what it must not change.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sklearn_dl import MLPClassifier, MLPRegressor

METHODS = ("predict", "predict_proba", "decision_function")


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


@pytest.fixture(scope="module", params=[(32,), (1100,)], ids=["padded", "unpadded"])
def clf(request):
    # (32,) on 64 features: 2,368 multiply-adds per row, passes padded to 8 rows;
    # (1100,): 81,400 >= _predict.NO_PAD_WORK, passes not padded
    X, y = load_digits(return_X_y=True)
    est = _fit(MLPClassifier(request.param, max_iter=2, random_state=0),
               (X[:400] / 16).astype(np.float32), y[:400])
    return est, (X[400:700] / 16).astype(np.float32)


@pytest.mark.parametrize("rows", [1, 3, 256])
@pytest.mark.parametrize("method", METHODS)
def test_short_path_gives_the_general_paths_bits(clf, rows, method):
    est, X = clf
    A = np.ascontiguousarray(X[:rows])
    short = getattr(est, method)(A)  # float32 ndarray: the short path
    # the same rows as float64 take the general path (cast to float32 there)
    general = getattr(est, method)(A.astype(np.float64))
    np.testing.assert_array_equal(short, general)
    # a strided view is copied, not misread
    np.testing.assert_array_equal(getattr(est, method)(X[: 2 * rows : 2]),
                                  getattr(est, method)(np.ascontiguousarray(X[: 2 * rows : 2])))


@pytest.mark.parametrize("value, match", [(np.nan, "Input X contains NaN"),
                                          (np.inf, "Input X contains infinity")])
@pytest.mark.parametrize("method", METHODS)
def test_single_row_checks_are_kept(clf, value, match, method):
    est, X = clf
    row = X[:1].copy()
    row[0, 5] = value
    with pytest.raises(ValueError, match=match):
        getattr(est, method)(row)


def test_single_row_width_and_range_checks_are_kept(clf):
    est, X = clf
    with pytest.raises(ValueError, match="X has 63 features"):
        est.predict(X[:1, :63])
    huge = X[:1].astype(np.float64)
    huge[0, 0] = 1e39  # finite in float64, beyond float32
    with pytest.raises(ValueError, match="too large for float32"):
        est.predict(huge)


def test_single_row_dataframe_keeps_feature_name_checks():
    X, y = load_digits(return_X_y=True)
    cols = [f"p{i}" for i in range(64)]
    df = pd.DataFrame(X[:200] / 16, columns=cols)
    est = _fit(MLPClassifier((8,), max_iter=2, random_state=0), df, y[:200])
    assert est.predict(df.iloc[:1]).shape == (1,)
    with pytest.raises(ValueError, match="feature names should match"):
        est.predict(df.iloc[:1].rename(columns={"p0": "q0"}))


def test_outputs_that_overflow_are_still_refused_on_one_row():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 3)).astype(np.float32)
    reg = _fit(MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0), X, X[:, 0])
    with torch.no_grad():
        reg.module_.linear1.weight.fill_(1.0)  # 3 x 3e38 overflows float32
    row = np.full((1, 3), 3e38, dtype=np.float32)
    with pytest.raises(ValueError, match="non-finite outputs"):
        reg.predict(row)
