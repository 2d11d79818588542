"""Behaviours of scikit-learn's MLPs that ours reproduce (issue 14, item 2).

Where scikit-learn's own suite (tests/test_sklearn_mlp_suite.py) reads its
private attributes, these tests check the same behaviour through ours, mostly
side by side with scikit-learn's estimator: an integer ``random_state`` starts
both from the same weights, so in float64 with full-batch SGD the two train
the same way and their loss curves agree to rounding.
"""

import re
import warnings

import numpy as np
import pytest
import sklearn.neural_network as sk
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler

from sklearn_dl import MLPClassifier, MLPRegressor


@pytest.fixture(scope="module")
def digits3():
    X, y = load_digits(n_class=3, return_X_y=True)
    return MinMaxScaler().fit_transform(X[:200]), y[:200]


def _quiet_fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)


def _side_by_side(X, y, **params):
    params = {**dict(hidden_layer_sizes=(10,), solver="sgd", batch_size=len(X), max_iter=500,
                     random_state=0), **params}
    return _quiet_fit(MLPClassifier(**params), X, y), _quiet_fit(sk.MLPClassifier(**params), X, y)


def test_same_random_state_starts_from_scikit_learns_initial_weights(digits3):
    X, y = digits3
    ours, theirs = _side_by_side(X, y, learning_rate_init=1e-300, max_iter=1)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_tol_rule_stops_at_the_same_epoch_as_scikit_learn(digits3):
    # A slowly falling loss: the old rule (reference moved only by gains > tol,
    # one epoch late) ran on; scikit-learn's stops. Measured: both stop at 118.
    X, y = digits3
    ours, theirs = _side_by_side(X, y, learning_rate_init=0.01, tol=1e-3)
    assert ours.n_iter_ == theirs.n_iter_ < 500
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    # the rule itself: each of the last n_iter_no_change + 1 epochs improved on
    # the best loss before it by no more than tol; the one before them did
    curve, k = ours.loss_curve_, 10
    assert all(curve[i] > min(curve[:i]) - 1e-3 for i in range(len(curve) - k - 1, len(curve)))
    i = len(curve) - k - 2
    assert curve[i] <= min(curve[:i]) - 1e-3
    assert ours._no_improvement_count == k + 1


def test_adaptive_divides_the_rate_by_5_and_stops_below_1e_6(digits3):
    X, y = digits3
    ours, theirs = _side_by_side(X, y, learning_rate="adaptive", learning_rate_init=0.5,
                                 tol=1e-2, n_iter_no_change=3)
    rate = ours.net_.optimizer_.param_groups[0]["lr"]
    # 0.5 / 5**k for the first k with a rate <= 1e-6: k = 9, 2.56e-7 (scikit-learn's too)
    assert rate == pytest.approx(0.5 / 5**9) and rate == pytest.approx(theirs._optimizer.learning_rate)
    assert ours.n_iter_ == theirs.n_iter_
    # not a no-op: a constant rate stops at the first stall
    constant, _ = _side_by_side(X, y, learning_rate="constant", learning_rate_init=0.5,
                                tol=1e-2, n_iter_no_change=3)
    assert ours.n_iter_ > constant.n_iter_


def test_early_stopping_stops_by_scikit_learns_rule_on_the_validation_score(digits3):
    X, y = digits3
    clf = _quiet_fit(MLPClassifier((10,), solver="sgd", early_stopping=True, tol=1e-2,
                                   n_iter_no_change=4, random_state=0), X, y)
    scores, k = clf.validation_scores_, 4
    assert len(scores) == clf.n_iter_ < clf.max_iter
    # the last k + 1 scores did not beat the best before them by more than tol,
    best_before = max(scores[:-k - 1])
    assert all(s < best_before + 1e-2 for s in scores[-k - 1:])
    # and the weights are the best epoch's
    assert clf.score(X, y) >= 0  # usable
    assert clf.best_validation_score_ == max(scores)


def test_n_iter_counts_the_epochs_of_the_last_call(digits3):
    X, y = digits3
    clf = _quiet_fit(MLPClassifier((8,), max_iter=3, warm_start=True, random_state=0), X, y)
    _quiet_fit(clf, X, y)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 6
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_the_model_carries_the_precision_of_its_input(digits3, cls, dtype):
    X, y = digits3
    est = _quiet_fit(cls(hidden_layer_sizes=(5,), max_iter=5, random_state=0), X.astype(dtype), y)
    assert {c.dtype for c in est.coefs_ + est.intercepts_} == {np.dtype(dtype)}
    assert est.predict(X.astype(dtype)).dtype == (dtype if cls is MLPRegressor else y.dtype)
    if cls is MLPClassifier:
        assert est.predict_proba(X).dtype == dtype
    # subset invariance within the precision the output carries
    out = est.predict_proba(X) if cls is MLPClassifier else est.predict(X)
    parts = np.concatenate([(est.predict_proba if cls is MLPClassifier else est.predict)(X[i:i + 7])
                            for i in range(0, len(X), 7)])
    np.testing.assert_allclose(parts, out, rtol=10 * np.finfo(dtype).eps, atol=np.finfo(dtype).eps)


def test_errors_scikit_learn_raises(digits3):
    X, y = digits3
    with pytest.raises(ValueError, match="The validation set is too small"):
        MLPRegressor(early_stopping=True).fit(X[:2], y[:2].astype(float))
    clf = _quiet_fit(MLPClassifier((4,), max_iter=2, warm_start=True, random_state=0), X, y)
    with pytest.raises(ValueError, match=re.escape("warm_start can only be used where `y` has "
                                                   "the same classes")):
        clf.fit(X[y < 2], y[y < 2])
    inc = MLPClassifier((4,)).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="is not the same as on the first call to partial_fit"):
        inc.partial_fit(X, y, classes=[0, 1, 2, 3])
    stopped = _quiet_fit(MLPClassifier((4,), max_iter=3, early_stopping=True), X, y)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        stopped.partial_fit(X, y)
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")


def test_coefs_can_be_assigned_and_write_into_the_module(digits3):
    X, y = digits3
    clf = _quiet_fit(MLPClassifier((4,), max_iter=2, random_state=0), X, y)
    zeros = [np.zeros_like(c) for c in clf.coefs_]
    clf.coefs_ = zeros
    assert all((c == 0).all() for c in clf.coefs_)
    assert np.ptp(clf.predict_proba(X), axis=0).max() == 0  # every row gets the same output
    with pytest.raises(ValueError, match=r"coefs_\[0\] has shape"):
        clf.coefs_ = [np.zeros((3, 3)), zeros[1]]
