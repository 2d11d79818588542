"""A diverging fit stops, keeps the last finite epoch, warns, and predicts finite values.

Decision (documented in docs/errors.md and the core's _ConvergenceGuard):
``fit`` warns with a ConvergenceWarning rather than raising, so that the
estimator stays usable and a hyper-parameter search scores a diverging
setting instead of crashing; ``warnings.simplefilter("error",
ConvergenceWarning)`` turns it into an error.
"""

import re
import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from _public_estimators import ESTIMATORS, ids, make_data, make_estimator

PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")


def _fit_recording(est, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    return [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]


def _assert_usable(est, X):
    for p in est.module_.parameters():
        assert torch.isfinite(p).all()
    for method in PREDICT_METHODS:
        if hasattr(est, method):
            out = getattr(est, method)(X)
            if out.dtype.kind == "f":
                assert np.isfinite(out).all(), method
    assert all(np.isfinite(est.loss_curve_))
    assert est.n_iter_ == len(est.history_) == len(est.loss_curve_)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=ids(ESTIMATORS))
def test_huge_learning_rate_stops_at_the_first_epoch_and_warns(cls):
    # The example: plain SGD with learning_rate_init=1e6.
    # 10 batches per epoch. Most models overflow within the first epoch; a
    # linear softmax's cross-entropy grows only linearly with its weights and
    # overflows float32 in the second.
    est = make_estimator(cls, solver="sgd", learning_rate_init=1e6, max_iter=10, batch_size=10)
    X, y = make_data(est, n_samples=100)
    X = X.astype(np.float32)  # a float32 model, as measured (float64 overflows epochs later)
    messages = _fit_recording(est, X, y)
    diverged = [m for m in messages if "diverged" in m]
    assert len(diverged) == 1, messages
    epoch = int(re.search(r"diverged at epoch (\d+):", diverged[0]).group(1))
    assert epoch <= 2
    kept = "keeps its initial weights" if epoch == 1 else f"weights of epoch {epoch - 1}"
    assert kept in diverged[0]
    assert "smaller learning_rate_init (it is 1e+06)" in diverged[0]
    assert not any("maximum iterations" in m for m in messages)
    assert est.n_iter_ == epoch - 1
    _assert_usable(est, X)


class RaiseLearningRate(Callback):
    """At the end of epoch ``epoch``, set the learning rate to ``lr``."""

    def __init__(self, epoch=2, lr=1e30):
        self.epoch, self.lr = epoch, lr

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            for group in net.optimizer_.param_groups:
                group["lr"] = self.lr


class CountBatches(Callback):
    def initialize(self):
        self.count_ = 0
        return self

    def on_batch_end(self, net, training=False, **kwargs):
        self.count_ += training


@pytest.mark.parametrize("cls", ESTIMATORS, ids=ids(ESTIMATORS))
def test_divergence_mid_epoch_restores_the_last_finite_epoch_exactly(cls):
    # 2 good epochs, then a rate (1e30) that overflows float32 within the
    # first batches of epoch 3, whatever the model
    # constant rate: a schedule sized by max_iter would differ from the reference's
    params = dict(solver="sgd", learning_rate_init=1e-3, learning_rate="constant",
                  batch_size=10, max_iter=6, n_iter_no_change=100)
    est = make_estimator(cls, **params, callbacks=[RaiseLearningRate(), CountBatches()])
    X, y = make_data(est, n_samples=100)  # 10 batches per epoch
    messages = _fit_recording(est, X, y)
    diverged = [m for m in messages if "diverged" in m]
    assert len(diverged) == 1 and "epoch 3:" in diverged[0], messages
    assert "weights of epoch 2" in diverged[0]
    # stopped at the batch whose loss was not finite, not at the end of epoch 3
    assert dict(est.net_.callbacks_)["user_1_CountBatches"].count_ < 30
    _assert_usable(est, X)
    assert est.n_iter_ == 2

    reference = make_estimator(cls, **{**params, "max_iter": 2})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X, y)
    for a, b in zip(est.module_.state_dict().values(), reference.module_.state_dict().values()):
        assert torch.equal(a, b)
    assert est.loss_curve_ == reference.loss_curve_


@pytest.mark.parametrize("cls", ESTIMATORS, ids=ids(ESTIMATORS))
def test_lbfgs_divergence_is_caught_and_the_advice_is_to_scale_x(cls):
    # float64 X of 1e160: finite, but its squares or the first L-BFGS steps
    # overflow. L-BFGS would spend max_fun (15000) loss evaluations on NaNs,
    # minutes, before the epoch ends: the core stops at the first NaN
    # evaluation. degree=1 keeps PolyRidge's own overflow check quiet.
    est = make_estimator(cls, solver="lbfgs", max_iter=20, degree=1)
    X, y = make_data(est)
    messages = _fit_recording(est, X * 1e160, y)
    if not hasattr(est, "net_"):
        # SoftmaxClassifier's fit runs SciPy's L-BFGS-B (the exact path): its line
        # search gives up, and the warning names the gradient and the fix
        assert any("did not converge" in m and "StandardScaler" in m for m in messages), \
            messages
    else:
        diverged = [m for m in messages if "diverged" in m]
        assert len(diverged) == 1, messages
        assert "no learning rate to lower" in diverged[0] and "StandardScaler" in diverged[0]
        assert "keeps its initial weights" in diverged[0]  # L-BFGS runs one "epoch"
    for p in est.module_.parameters():
        assert torch.isfinite(p).all()
    out = est.predict(X)
    assert len(out) == len(X) and (out.dtype.kind != "f" or np.isfinite(out).all())


@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_fista_divergence_is_caught_with_the_same_advice(l1_ratio):
    # partial_fit with solver='lbfgs' and an L1 part runs proximal gradient
    # (FISTA; fit runs coordinate descent); a loss that is inf at the start
    # used to underflow its step size to 0 and crash with ZeroDivisionError.
    from sklearn_dl import LinearRegressorNN

    X, y = make_data(LinearRegressorNN())
    est = LinearRegressorNN(alpha=0.1, l1_ratio=l1_ratio, solver="lbfgs", random_state=0)
    messages = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.partial_fit(X * 1e160, y)
    messages = [str(w.message) for w in caught]
    diverged = [m for m in messages if "diverged" in m]
    assert len(diverged) == 1, messages
    assert "no learning rate to lower" in diverged[0]
    assert np.isfinite(est.predict(X)).all()


def test_divergence_can_be_turned_into_an_error():
    cls = ESTIMATORS[0]
    est = make_estimator(cls, solver="sgd", learning_rate_init=1e6, batch_size=10)
    X, y = make_data(est, n_samples=100)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="diverged at epoch"):
            est.fit(X, y)


# LinearRegressorNN, the first of ESTIMATORS until ConvNetClassifier sorted
# before it: a deep batch-norm network can end its last finite-loss epoch with
# weights (~1e16) whose activations overflow at predict, which then raises
# (a NaN score in the search) instead of predicting NaN (issue 17's report).
_LINEAR = [c for c in ESTIMATORS if c.__name__ == "LinearRegressorNN"]


@pytest.mark.parametrize("cls", _LINEAR, ids=ids(_LINEAR))
def test_grid_search_over_learning_rates_survives_a_diverging_value(cls):
    # Why fit warns rather than raises: the search scores the bad rate
    # (finite, poor) and picks the good one.
    est = make_estimator(cls, solver="sgd", max_iter=20)
    X, y = make_data(est, n_samples=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(est, {"learning_rate_init": [1e6, 1e-2]}, cv=2).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_ == {"learning_rate_init": 1e-2}
