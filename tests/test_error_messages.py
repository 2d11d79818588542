"""docs/errors.md, row by row, for every public estimator, messages matched in full.

The rows that tests/test_bad_input.py left untested (issue 19 item 4): X
beyond float32's range, 0-D X, 0-D y, and a parameter that training cannot
continue with (warm_start / partial_fit); plus the full text of the
messages that test matches by keyword.
"""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from _public_estimators import ESTIMATORS, ids, make_data, make_estimator
from sklearn_dl._base import InputTypeError
from sklearn_dl._nd_input import NDInputMixin


def _fit_quietly(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


@pytest.fixture(params=ESTIMATORS, ids=ids(ESTIMATORS))
def cls(request):
    return request.param


def _continuous_output(est, X):
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


def test_x_beyond_float32_range(cls):
    # Models compute in X's precision (float64 X: float64 model, float32 X:
    # float32 model; the exact solvers always in float64). A float64 model
    # takes X beyond float32's range; a float32 model refuses it, saying so.
    X, y = make_data(make_estimator(cls))
    X_big = X.copy()
    X_big[0, 0] = 2.55e39
    msg = ("X has values too large for float32 (largest |x| is 2.55e+39; the limit is "
           "3.4e+38). Standardise X, for example with StandardScaler.")
    est64 = _fit_quietly(make_estimator(cls), X_big, y)
    assert est64.module_dtype_ == torch.float64
    assert np.isfinite(_continuous_output(est64, X_big)).all()
    est32 = _fit_quietly(make_estimator(cls, warm_start=True), X.astype(np.float32), y)
    if est32.module_dtype_ == torch.float32:
        with pytest.raises(ValueError, match="^" + re.escape(msg) + "$"):
            est32.predict(X_big)
        with pytest.raises(ValueError, match="^" + re.escape(msg) + "$"):
            est32.fit(X_big, y)  # warm_start continues the float32 model
    else:  # the exact solvers (docs/errors.md names them) compute in float64
        assert cls.__name__ in ("LinearRegressorNN", "PolyRidge")
        assert np.isfinite(_continuous_output(est32, X_big)).all()


def test_zero_dimensional_x(cls):
    est = make_estimator(cls)
    _, y = make_data(est)
    with pytest.raises(ValueError, match=r"^Expected 2D array, got scalar array instead:\n"
                                         r"array=1\.0\.\nReshape your data"):
        est.fit(np.array(1.0), y)


def test_zero_dimensional_y(cls):
    est = make_estimator(cls)
    X, _ = make_data(est)
    msg = (f"{cls.__name__} got invalid input: Input should have at least 1 dimension i.e. "
           "satisfy `len(x.shape) > 0`, got scalar `array(1.)` instead.")
    with pytest.raises(InputTypeError, match="^" + re.escape(msg)):
        est.fit(X, np.array(1.0))
    assert issubclass(InputTypeError, ValueError) and issubclass(InputTypeError, TypeError)


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_parameter_training_cannot_continue_with(cls, how):
    # an exact solver's fit (LinearRegressorNN's and PolyRidge's default
    # solver='auto') leaves no trained net: an iterative solver continues from
    # its weights (test_exact_solvers.py), so start them with one here
    iterative = {"solver": "adam"} if cls().get_params().get("solver") == "auto" else {}
    est = make_estimator(cls, warm_start=(how == "warm_start"), **iterative)
    X, y = make_data(est)
    _fit_quietly(est, X, y)
    solver = est.get_params()["solver"]
    est.set_params(solver="sgd" if solver != "sgd" else "adam")
    msg = ("warm_start=True and partial_fit continue the existing model, which cannot take "
           "the new value of solver. Fit with warm_start=False to train a new model with it.")
    with pytest.raises(ValueError, match="^" + re.escape(msg) + "$"):
        if how == "warm_start":
            est.fit(X, y)
        else:
            est.partial_fit(X, y)
    # what the message advises works
    est.set_params(warm_start=False)
    _fit_quietly(est, X, y)


# Full messages of rows test_bad_input.py matches by keyword
def test_full_messages_of_common_rows(cls):
    est = make_estimator(cls)
    X, y = make_data(est)
    name = cls.__name__
    cases = [
        (lambda: est.fit(np.where(np.eye(*X.shape) == 1, np.nan, X), y),
         ValueError, r"^Input X contains NaN\."),
        (lambda: est.fit(np.where(np.eye(*X.shape) == 1, np.inf, X), y), ValueError,
         re.escape("Input X contains infinity or a value too large for dtype('float64')")),
        (lambda: est.fit(X[:0], y[:0]), ValueError, re.escape(
            f"Found array with 0 sample(s) (shape=(0, 3)) while a minimum of 1 is "
            f"required by {name}.")),
        (lambda: est.fit(X, y[:-1]), ValueError, re.escape(
            "Found input variables with inconsistent numbers of samples: [40, 39]")),
        (lambda: est.fit(X.astype(str).astype(object) + "x", y), InputTypeError,
         "^" + re.escape(f"{name} needs numeric X and y values: could not convert string "
                         "to float: ")),
    ]
    if not issubclass(cls, NDInputMixin):
        cases.append((lambda: est.fit(X[:, :, None], y), ValueError, re.escape(
            f"Found array with dim 3, while dim <= 2 is required by {name}.")))
    elif cls.__name__ != "ConvNetClassifier":  # the N-D estimators give the module X as is
        cases.append((lambda: est.fit(X[:, :, None], y), ValueError, "^" + re.escape(
            "The module failed on input of shape (2, 3, 1): ") + ".*" + re.escape(
            "It receives X as given, samples of shape (3, 1); a class or factory with an "
            "input_shape argument receives it from the data.")))
    if cls.__name__ == "PolyRidge":  # the others take sparse X (test_sparse_input.py)
        cases.append((lambda: est.fit(sp.csr_matrix(X), y), InputTypeError, "^" + re.escape(
            f"{name} does not accept sparse input: X is a csr_matrix of shape (40, 3). "
            "The models train on dense tensors; densify it with X.toarray()")))
    else:
        assert len(_fit_quietly(make_estimator(cls), sp.csr_matrix(X), y).predict(X)) == len(X)
    for call, error, pattern in cases:
        with pytest.raises(error, match=pattern):
            call()
    fitted = _fit_quietly(make_estimator(cls), X, y)
    with pytest.raises(ValueError, match="^" + re.escape(
            f"X has 2 features, but {name} is expecting 3 features as input.")):
        fitted.predict(X[:, :2])
