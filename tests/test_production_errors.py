"""Small cases that gave raw torch/skorch errors (issue 16, item 5) now say what to fix."""

import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from sklearn.exceptions import ConvergenceWarning
from torch import nn

from sklearn_dl import (LinearRegressorNN, MLPClassifier, MLPRegressor, SoftmaxClassifier,
                        TorchClassifier, TorchRegressor)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    return X, np.digitize(X[:, 0], [-0.5, 0.5])


def _quiet_fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


@pytest.mark.parametrize("callbacks, match", [
    ([object()], r"callbacks\[0\] is <object .* not a skorch callback"),
    ([("a", "b", Callback())], r"callbacks\[0\] is the tuple .* \(name, callback\) pair"),
    ([(1, Callback())], r"\(name, callback\) pair with a string name"),
])
def test_callbacks_that_are_not_skorch_callbacks(callbacks, match, data):
    X, y = data
    with pytest.raises(ValueError, match=match):
        MLPClassifier(max_iter=1, callbacks=callbacks).fit(X, y)


def test_a_callback_class_is_still_accepted(data):
    X, y = data
    _quiet_fit(MLPClassifier(max_iter=1, callbacks=[Callback]), X, y)


def test_sparse_adam_is_refused(data):
    X, y = data
    with pytest.raises(ValueError, match="only takes sparse gradients.*torch.optim.Adam"):
        MLPClassifier(max_iter=1, solver=torch.optim.SparseAdam).fit(X, y)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_a_regression_criterion_on_a_classifier_names_shapes_and_the_fix(n_classes, data):
    X, y = data
    y = y if n_classes == 3 else (y > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's broadcasting warning
        with pytest.raises(ValueError, match=(
                rf"criterion L1Loss\(\) failed on the module's output of shape \(40, {n_classes}\)"
                r" \(float32\) and the target of shape \(40,\) \(int64\).*nn.CrossEntropyLoss")):
            TorchClassifier(max_iter=1, criterion=nn.L1Loss).fit(X, y)


def test_a_criterion_returning_no_scalar_is_refused(data):
    X, y = data
    with pytest.raises(ValueError, match=r"returned shape \(40, 1\) .* instead of a scalar"):
        TorchRegressor(max_iter=1, criterion=nn.L1Loss, criterion__reduction="none").fit(
            X, y.astype(float))


@pytest.mark.parametrize("missing", [np.nan, None])
def test_score_with_missing_labels_is_a_value_error(missing, data):
    X, y = data
    labels = np.array(["a", "b", "c"])[y]
    clf = _quiet_fit(MLPClassifier(max_iter=2), X, labels)
    y_missing = labels.astype(object)
    y_missing[[3, 7]] = missing
    with pytest.raises(ValueError, match=r"y has 2 missing label\(s\).*rows \[3, 7\]"):
        clf.score(X, y_missing)


def test_regressor_score_with_nan_is_a_value_error(data):
    X, y = data
    reg = _quiet_fit(MLPRegressor(max_iter=2), X, y.astype(float))
    y_nan = y.astype(float)
    y_nan[0] = np.nan
    with pytest.raises(ValueError, match=r"y has 1 missing label\(s\)"):
        reg.score(X, y_nan)


class _Interrupt(Callback):
    def on_batch_begin(self, net, **kwargs):
        raise KeyboardInterrupt


@pytest.mark.parametrize("cls", [MLPClassifier, SoftmaxClassifier, LinearRegressorNN])
def test_interrupted_lbfgs_reports_no_iterations(cls, data):
    X, y = data
    y = y.astype(float) if cls is LinearRegressorNN else y
    est = cls(solver="lbfgs", callbacks=[_Interrupt()]).fit(X, y)
    assert len(est.history_) == 0
    assert est.n_iter_ == 0
