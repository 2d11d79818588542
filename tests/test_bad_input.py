"""Bad input gets a ValueError naming the problem, never a torch traceback or a NaN.

Every public estimator, at fit and at predict (docs/errors.md lists the
same cases with their messages). Hypothesis then throws arrays of random
shape, dtype and values at fit and predict: the only outcomes allowed are
success with finite predictions or a ValueError.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.base import is_classifier
from sklearn.exceptions import NotFittedError
from sklearn_dl._nd_input import NDInputMixin

from _public_estimators import ESTIMATORS, ids, make_data, make_estimator

PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")

# Bad arrays given to an estimator fitted on a DataFrame: scikit-learn warns
# about the missing names before the error under test.
pytestmark = pytest.mark.filterwarnings("ignore:X does not have valid feature names")


def _object_X(X):
    X = X.astype(object)
    X[0, 0] = {"a": 1}
    return X


def _with(X, value, where=(0, 0)):
    X = X.astype(float).copy()
    X[where] = value
    return X


# (case, X -> bad X, y -> bad y, pattern the message must contain)
FIT_CASES = [
    ("nan_in_X", lambda X: _with(X, np.nan), None, "NaN"),
    ("inf_in_X", lambda X: _with(X, np.inf), None, "infinity"),
    ("strings_in_X", lambda X: X.astype(str).astype(object) + "x", None, "numeric"),
    ("objects_in_X", _object_X, None, "numeric"),
    ("complex_X", lambda X: X + 1j, None, "Complex"),
    ("no_rows", lambda X: X[:0], lambda y: y[:0], "0 sample"),
    ("no_columns", lambda X: X[:, :0], None, "0 feature"),
    ("X_1d", lambda X: X[:, 0], None, "Expected 2D array"),
    ("X_3d", lambda X: X[:, :, None], None, "dim 3"),
    ("sparse_X", sp.csr_matrix, None, "sparse input"),
    ("y_shorter_than_X", None, lambda y: y[:-1], "inconsistent numbers of samples"),
    ("nan_in_y", None, lambda y: np.where(np.arange(len(y)) == 0, np.nan, 0.0 + (
        np.arange(len(y)) % 2)), "NaN"),
    ("inf_in_y", None, lambda y: np.where(np.arange(len(y)) == 0, np.inf, 0.0 + (
        np.arange(len(y)) % 2)), "infinity"),
]
CLASSIFIER_FIT_CASES = [
    ("regression_target", None, lambda y: np.linspace(0, 1, len(y)), "Unknown label type"),
    ("one_class", None, lambda y: np.full(len(y), "a"), "only one class"),
    ("labels_str_and_None", None,
     lambda y: np.array(["a", None] * (len(y) // 2), dtype=object), "mixes label types"),
    ("multilabel_y", None, lambda y: np.eye(2)[np.arange(len(y)) % 2], "1-D class labels"),
]
REGRESSOR_FIT_CASES = [
    ("string_target", None, lambda y: np.array(["a", "b"] * (len(y) // 2)), "numeric"),
]


def _takes_nd(cls):
    """TorchClassifier, TorchRegressor and ConvNetClassifier take N-D X (images):
    a 3-D X is valid there (tests/test_convolutional.py checks its errors)."""
    return issubclass(cls, NDInputMixin)


def _fit_cases():
    for cls in ESTIMATORS:
        extra = CLASSIFIER_FIT_CASES if is_classifier(cls()) else REGRESSOR_FIT_CASES
        tags = cls().__sklearn_tags__()
        for case in FIT_CASES + extra:
            # 3-D X, sparse X and multilabel y are valid input where the estimator
            # takes them (tests/test_convolutional.py, test_sparse_input.py,
            # test_multilabel.py)
            if (case[0] == "X_3d" and _takes_nd(cls)) or (
                    case[0] == "sparse_X" and tags.input_tags.sparse) or (
                    case[0] == "multilabel_y" and tags.classifier_tags is not None
                    and tags.classifier_tags.multi_label):
                continue
            yield pytest.param(cls, *case[1:], id=f"{cls.__name__}-{case[0]}")


@pytest.mark.parametrize("cls, bad_X, bad_y, pattern", list(_fit_cases()))
def test_fit_rejects_bad_input_with_a_clear_value_error(cls, bad_X, bad_y, pattern):
    est = make_estimator(cls)
    X, y = make_data(est)
    X = bad_X(X) if bad_X else X
    y = bad_y(y) if bad_y else y
    with pytest.raises(ValueError, match=pattern):
        est.fit(X, y)


# ---------------------------------------------------------------------------
# predict: one fitted estimator per class (fitted on a DataFrame, so that
# feature-name checks apply), every prediction method
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module", params=ESTIMATORS, ids=ids(ESTIMATORS))
def fitted(request):
    est = make_estimator(request.param)
    X, y = make_data(est)
    X = pd.DataFrame(X, columns=["a", "b", "c"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few epochs: ConvergenceWarning
        est.fit(X, y)
    return est, X, y


PREDICT_CASES = [
    ("nan_in_X", lambda X: _with(X.to_numpy(), np.nan), "NaN"),
    ("inf_in_X", lambda X: _with(X.to_numpy(), -np.inf), "infinity"),
    ("strings_in_X", lambda X: X.astype(str) + "x", "numeric"),
    ("objects_in_X", lambda X: _object_X(X.to_numpy()), "numeric"),
    ("no_rows", lambda X: X.iloc[:0], "0 sample"),
    ("X_1d", lambda X: X.to_numpy()[0], "Expected 2D array"),
    # N-D estimators name the sample shape they were fitted on
    ("X_3d", lambda X: X.to_numpy()[:, :, None], r"dim 3|fitted on samples of shape \(3,\)"),
    ("fewer_features", lambda X: X.iloc[:, :2], "feature"),
    ("more_features", lambda X: X.assign(d=1.0), "feature"),
    ("renamed_columns", lambda X: X.rename(columns={"a": "z"}), "Feature names unseen"),
    ("reordered_columns", lambda X: X[["b", "a", "c"]], "same order"),
    ("sparse_X", lambda X: sp.csr_matrix(X.to_numpy()), "sparse input"),
]


@pytest.mark.parametrize("case, bad_X, pattern", PREDICT_CASES, ids=[c[0] for c in PREDICT_CASES])
def test_predict_rejects_bad_input_with_a_clear_value_error(fitted, case, bad_X, pattern):
    est, X, _ = fitted
    if case == "sparse_X" and est.__sklearn_tags__().input_tags.sparse:
        # valid input for this estimator: the same outputs as the dense rows
        for method in PREDICT_METHODS:
            if hasattr(est, method):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)  # no feature names
                    np.testing.assert_array_equal(getattr(est, method)(bad_X(X)),
                                                  getattr(est, method)(X.to_numpy()))
        return
    for method in PREDICT_METHODS:
        if hasattr(est, method):
            with pytest.raises(ValueError, match=pattern):
                getattr(est, method)(bad_X(X))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=ids(ESTIMATORS))
def test_unfitted_estimator_raises_not_fitted_error(cls):
    est = make_estimator(cls)
    X, _ = make_data(est)
    for method in PREDICT_METHODS:
        if hasattr(est, method):
            with pytest.raises(NotFittedError, match="not fitted yet"):
                getattr(est, method)(X)


def test_far_out_of_range_X_gives_an_error_or_finite_predictions_never_nan(fitted):
    est, X, _ = fitted
    for scale in (1e20, 1e37, 1e300):  # around and beyond float32's 3.4e38
        X_far = X * scale
        for method in PREDICT_METHODS:
            if not hasattr(est, method):
                continue
            try:
                out = getattr(est, method)(X_far)
            except ValueError as exc:
                # names the problem: float32 range, polynomial overflow, or the output
                assert re.search("too large|overflow|non-finite outputs", str(exc)), exc
                continue
            if out.dtype.kind == "f":
                assert np.isfinite(out).all(), (method, scale)


CLASSIFIERS = [c for c in ESTIMATORS if is_classifier(c())]
REGRESSORS = [c for c in ESTIMATORS if not is_classifier(c())]


@pytest.mark.parametrize("cls", CLASSIFIERS, ids=ids(CLASSIFIERS))
def test_unseen_labels_are_refused_when_training_continues(cls):
    est = make_estimator(cls)
    X, y = make_data(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    new = np.where(y == y[0], "unseen", y)
    with pytest.raises(ValueError, match="not seen in the first fit.*unseen"):
        est.partial_fit(X, new)
    first = make_estimator(type(est))
    with pytest.raises(ValueError, match="unseen"):
        first.partial_fit(X, new, classes=np.unique(y))


# ---------------------------------------------------------------------------
# Hypothesis: random shapes, dtypes and values
# ---------------------------------------------------------------------------
# float64 weighted up: well-formed numeric input must be reached often enough
# to check the predictions of a successful fit, not only the refusals.
_DTYPES = st.sampled_from([np.float64, np.float64, np.float32, np.int64, np.bool_,
                           np.complex128, np.dtype("U3"), np.dtype(object)])
_ANY_SHAPE = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)


@st.composite
def _arrays(draw, shape=_ANY_SHAPE):
    dtype = np.dtype(draw(_DTYPES))
    shape = draw(shape)
    size = int(np.prod(shape))
    if dtype.kind == "O":
        elements = st.one_of(st.floats(), st.text(max_size=2), st.none())
        arr = np.empty(size, dtype=object)
        arr[:] = draw(st.lists(elements, min_size=size, max_size=size))
        return arr.reshape(shape)
    if dtype.kind == "f":  # NaN and inf now and then, huge and tiny values
        elements = st.floats(allow_nan=True, allow_infinity=True, width=dtype.itemsize * 8)
        return draw(hnp.arrays(dtype, shape, elements=elements))
    return draw(hnp.arrays(dtype, shape))


@st.composite
def _fit_data(draw):
    """X, y, valid from one of three families, so successes and refusals both occur:

    numeric data of matching shapes (now and then one NaN, inf or huge
    value); matching shapes of any dtype; any shapes and dtypes. ``valid``
    marks well-formed input (finite floats of moderate size, at least two
    rows, at least two classes for a classifier): it must be accepted.
    """
    family = draw(st.sampled_from(["numeric", "numeric", "shaped", "any"]))
    n, p = draw(st.integers(0, 6)), draw(st.integers(0, 3))
    if family == "numeric":
        n, p = n + 2, p + 1
        X = draw(hnp.arrays(np.float64, (n, p), elements=st.floats(-1e3, 1e3)))
        valid = True
        if X.size and draw(st.booleans()):
            X.flat[draw(st.integers(0, X.size - 1))] = draw(
                st.sampled_from([np.nan, np.inf, -np.inf, 1e39, 1e300]))
            valid = False
        y = draw(st.one_of(hnp.arrays(np.int64, (n,), elements=st.integers(0, 2)),
                           hnp.arrays(np.float64, (n,), elements=st.floats(-1e3, 1e3))))
        return X, y, valid
    if family == "shaped":
        return draw(_arrays(st.just((n, p)))), draw(_arrays(st.just((n,)))), False
    return (draw(_arrays()), draw(_arrays(hnp.array_shapes(min_dims=0, max_dims=2, max_side=5))),
            False)


def _assert_finite_predictions(est, X):
    for method in PREDICT_METHODS:
        if hasattr(est, method):
            out = np.asarray(getattr(est, method)(X))
            assert len(out) == len(X)
            if out.dtype.kind == "f":
                assert np.isfinite(out).all(), method


def _assert_sensible_predictions(est, X, y):
    """Outputs a trained model must give: its labels, probabilities, and not a constant."""
    if is_classifier(est):
        assert set(est.predict(X)) <= set(np.unique(y))
        np.testing.assert_array_equal(est.classes_, np.unique(y))
        proba = est.predict_proba(X)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
        continuous = proba
    else:
        continuous = np.asarray(est.predict(X), dtype=np.float64)
    # distinct rows (in the float32 the models compute in) get distinct outputs:
    # a model whose output ignores X (a constant predictor) fails here
    # (a constant y has a constant least-squares fit, which the exact solvers
    # of LinearRegressorNN/PolyRidge find: only a varying target must vary)
    X32 = X.astype(np.float32)
    rows = np.unique(X32, axis=0)
    if len(rows) >= 2 and np.ptp(X32, axis=0).max() > 1e-2 and len(np.unique(y)) >= 2:
        assert np.ptp(continuous.reshape(len(X), -1), axis=0).max() > 0


_SETTINGS = settings(max_examples=15, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow])


@pytest.mark.parametrize("cls", ESTIMATORS, ids=ids(ESTIMATORS))
@_SETTINGS
@given(data=_fit_data())
def test_fit_on_random_arrays_succeeds_with_finite_predictions_or_raises_value_error(cls, data):
    X, y, valid = data
    est = make_estimator(cls, max_iter=2)
    classifier = is_classifier(est)
    if classifier:
        # float targets are a regression target for a classifier; one class is refused
        valid = valid and y.dtype.kind == "i" and len(np.unique(y)) >= 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if valid:  # well-formed input must be accepted (an estimator refusing all fails)
            est.fit(X, y)
        else:
            try:
                est.fit(X, y)
            except ValueError:
                return
        _assert_finite_predictions(est, X)
    if valid:
        _assert_sensible_predictions(est, X, y)


@pytest.mark.parametrize("cls", REGRESSORS, ids=ids(REGRESSORS))
def test_regressor_refuses_a_different_number_of_outputs_when_training_continues(cls):
    est = make_estimator(cls)
    X, y = make_data(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    with pytest.raises(ValueError, match="2 outputs"):
        est.partial_fit(X, np.column_stack([y, y]))


_FITTED = {}


def _fitted_once(cls):
    if cls not in _FITTED:
        est = make_estimator(cls, max_iter=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _FITTED[cls] = est.fit(*make_data(est))
    return _FITTED[cls]


@pytest.mark.parametrize("cls", ESTIMATORS, ids=ids(ESTIMATORS))
@_SETTINGS
@given(data=st.data())
def test_predict_on_random_arrays_gives_finite_outputs_or_raises_value_error(cls, data):
    est = _fitted_once(cls)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if data.draw(st.booleans()):
            # well-formed: right shape, finite values in the training data's range;
            # must be accepted (an estimator refusing everything fails here)
            Z = data.draw(hnp.arrays(
                np.float64, st.tuples(st.integers(1, 4), st.just(est.n_features_in_)),
                elements=st.floats(-3, 3)))
            _assert_finite_predictions(est, Z)
            return
        Z = data.draw(st.one_of(
            _arrays(),
            # right shape, any float values: the case a shape check cannot catch
            hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.just(est.n_features_in_)),
                       elements=st.floats(allow_nan=True, allow_infinity=True)),
        ))
        try:
            _assert_finite_predictions(est, Z)
        except ValueError:
            pass
