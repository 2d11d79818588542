"""``sample_weight`` in fit / partial_fit: scikit-learn's meaning (issue 14, item 3).

The loss is the weighted mean of the samples' losses, so an integer weight
acts as that many copies of the row; with early stopping the validation
score is weighted too; the weights route through Pipeline, GridSearchCV and
scikit-learn's metadata routing.
"""

import warnings

import numpy as np
import pytest
import sklearn
import sklearn.neural_network as sk
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from sklearn_dl import (
    ConvNetClassifier,
    MLPClassifier,
    MLPRegressor,
    SoftmaxClassifier,
    TorchClassifier,
    TorchRegressor,
)


@pytest.fixture(scope="module")
def iris_weighted():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    w = np.random.RandomState(0).randint(0, 3, len(y))  # 0, 1 or 2 copies of each row
    return X, y, w


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fn(*args, **kwargs)


class _Small(nn.Module):
    def __init__(self, n_features, n_outputs):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_features, 8), nn.Tanh(), nn.Linear(8, n_outputs))

    def forward(self, X):
        return self.net(X)


CASES = [
    (MLPClassifier, dict(hidden_layer_sizes=(5,)), "predict_proba"),
    (SoftmaxClassifier, {}, "predict_proba"),
    (TorchClassifier, dict(module=_Small), "predict_proba"),
    # without batch norm, whose batch statistics are unweighted by design
    (ConvNetClassifier, dict(channels=(4,), hidden_layer_sizes=(8,), batch_norm=False),
     "predict_proba"),
    (MLPRegressor, dict(hidden_layer_sizes=(5,)), "predict"),
    # a convex model: one optimum for both fits to reach
    (TorchRegressor, dict(module=nn.Linear(3, 1)),
     "predict"),
]


@pytest.mark.parametrize("cls, params, method", CASES, ids=[c[0].__name__ for c in CASES])
def test_integer_weights_train_the_model_of_repeated_rows(iris_weighted, cls, params, method):
    X, y, w = iris_weighted
    if method == "predict":
        X, y = X[:, :3], X[:, 3]
    # full-batch L-BFGS: both fits see the same loss, so reach the same optimum
    est = dict(solver="lbfgs", max_iter=300, random_state=0, **params)
    weighted = _quiet(cls(**est).fit, X, y, sample_weight=w)
    repeated = _quiet(cls(**est).fit, np.repeat(X, w, axis=0), np.repeat(y, w))
    # measured: 1e-9 (MLPClassifier), 7e-9 (SoftmaxClassifier); 1e-5 leaves room
    # for where L-BFGS stops on another CPU
    np.testing.assert_allclose(getattr(weighted, method)(X), getattr(repeated, method)(X),
                               atol=1e-5)
    unweighted = _quiet(cls(**est).fit, X, y)
    assert np.abs(getattr(unweighted, method)(X) - getattr(weighted, method)(X)).max() > 1e-3


def test_weighted_minibatch_training_follows_scikit_learns_loss_curve(iris_weighted):
    X, y, w = iris_weighted
    params = dict(hidden_layer_sizes=(5,), solver="sgd", batch_size=len(X), max_iter=50,
                  random_state=0)
    ours = _quiet(MLPRegressor(**params).fit, X[:, :3], X[:, 3], sample_weight=w)
    theirs = _quiet(sk.MLPRegressor(**params).fit, X[:, :3], X[:, 3], sample_weight=w)
    # same initial weights, same weighted loss and alpha / sum(w): measured 7e-8 apart
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-5)


def test_partial_fit_takes_weights(iris_weighted):
    X, y, w = iris_weighted
    a = MLPClassifier((5,), random_state=0).partial_fit(X, y, classes=[0, 1, 2], sample_weight=w)
    b = MLPClassifier((5,), random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    assert not np.allclose(a.predict_proba(X), b.predict_proba(X))


def test_early_stopping_scores_validation_rows_by_their_weight(iris_weighted):
    X, y, _ = iris_weighted
    rng = np.random.RandomState(1)
    noisy = rng.rand(len(y)) < 0.5
    y_bad = np.where(noisy, rng.randint(0, 3, len(y)), y)  # half the labels scrambled
    w = np.where(noisy, 0.0, 1.0)
    params = dict(hidden_layer_sizes=(16,), early_stopping=True, validation_fraction=0.3,
                  learning_rate_init=0.01, max_iter=200, random_state=0)
    weighted = _quiet(MLPClassifier(**params).fit, X, y_bad, sample_weight=w)
    plain = _quiet(MLPClassifier(**params).fit, X, y_bad)
    # the clean rows are easy (iris, measured ~0.95); the scrambled ones are chance
    assert weighted.best_validation_score_ > 0.85 > plain.best_validation_score_


def test_weights_route_through_pipeline_and_grid_search(iris_weighted):
    X, y, w = iris_weighted
    pipe = make_pipeline(StandardScaler(), SoftmaxClassifier(max_iter=5, random_state=0))
    pipe.fit(X, y, softmaxclassifier__sample_weight=w)
    direct = SoftmaxClassifier(max_iter=5, random_state=0).fit(
        StandardScaler().fit_transform(X), y, sample_weight=w)
    np.testing.assert_allclose(pipe.predict_proba(X), direct.predict_proba(
        StandardScaler().fit_transform(X)), rtol=1e-6)
    search = GridSearchCV(SoftmaxClassifier(max_iter=3, random_state=0),
                          {"learning_rate_init": [0.01, 0.1]}, cv=2)
    _quiet(search.fit, X, y, sample_weight=w)
    assert search.best_estimator_.n_iter_ >= 1


def test_weights_route_through_metadata_routing(iris_weighted):
    X, y, w = iris_weighted
    with sklearn.config_context(enable_metadata_routing=True):
        clf = SoftmaxClassifier(max_iter=5, random_state=0).set_fit_request(sample_weight=True)
        pipe = make_pipeline(clf).fit(X, y, sample_weight=w)
        direct = SoftmaxClassifier(max_iter=5, random_state=0).fit(X, y, sample_weight=w)
        np.testing.assert_allclose(pipe.predict_proba(X), direct.predict_proba(X), rtol=1e-6)
        unrequested = make_pipeline(SoftmaxClassifier(max_iter=5, random_state=0))
        with pytest.raises(ValueError, match="sample_weight"):
            unrequested.fit(X, y, sample_weight=w)


def test_bad_weights_get_clear_errors(iris_weighted):
    X, y, _ = iris_weighted
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        SoftmaxClassifier().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="at least one non-zero"):
        SoftmaxClassifier().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(3,\), expected \(150,\)"):
        SoftmaxClassifier().fit(X, y, sample_weight=[1, 2, 3])

    def loss_without_reduction(out, target):
        return nn.functional.cross_entropy(out, target)

    clf = TorchClassifier(_Small, criterion=loss_without_reduction, max_iter=1)
    with pytest.raises(ValueError, match="has no `reduction` setting"):
        clf.fit(X, y, sample_weight=np.ones(len(y)))
