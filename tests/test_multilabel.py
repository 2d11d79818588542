"""Multilabel indicator y for MLPClassifier and TorchClassifier (issue 14, item 3)."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from torch import nn

from sklearn_dl import MLPClassifier, SoftmaxClassifier, TorchClassifier


@pytest.fixture(scope="module")
def multilabel():
    X, Y = make_multilabel_classification(n_samples=120, n_classes=4, random_state=0)
    return X / X.max(), Y


def _fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


def _torch_mlp(n_features, n_outputs):
    return nn.Sequential(nn.Linear(n_features, 32), nn.ReLU(), nn.Linear(32, n_outputs))


@pytest.mark.parametrize("est", [MLPClassifier((32,), max_iter=300, random_state=0),
                                 TorchClassifier(_torch_mlp, max_iter=300, random_state=0)],
                         ids=["MLPClassifier", "TorchClassifier"])
def test_multilabel_fit_gives_an_indicator_matrix_and_per_label_probabilities(multilabel, est):
    X, Y = multilabel
    _fit(est, X, Y)
    assert est.classes_.tolist() == [0, 1, 2, 3]
    pred, proba = est.predict(X), est.predict_proba(X)
    assert pred.shape == proba.shape == Y.shape and set(np.unique(pred)) <= {0, 1}
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(int))
    assert not np.allclose(proba.sum(1), 1)  # independent sigmoids, not a softmax
    # subset accuracy, scikit-learn's score for multilabel (measured ~0.7-0.8 here;
    # predicting the most common label set scores 0.13)
    assert est.score(X, Y) > 0.5


def test_multilabel_loss_is_scikit_learns(multilabel):
    X, Y = multilabel
    params = dict(hidden_layer_sizes=(8,), solver="sgd", batch_size=len(X), max_iter=20,
                  random_state=0)
    ours = _fit(MLPClassifier(**params), X, Y)
    theirs = _fit(SkMLPClassifier(**params), X, Y)
    # same initial weights, BCE summed over labels: the same curve (measured 1e-15 apart)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-7)
    assert ours.out_activation_ == theirs.out_activation_ == "logistic"


def test_multilabel_partial_fit_and_errors(multilabel):
    X, Y = multilabel
    clf = MLPClassifier((16,), random_state=0)
    for _ in range(3):
        clf.partial_fit(X, Y, classes=[0, 1, 2, 3])
    assert clf.predict(X).shape == Y.shape
    with pytest.raises(ValueError, match="multilabel indicator matrix of 3 labels"):
        clf.partial_fit(X, Y[:, :3])
    with pytest.raises(ValueError, match="fitted on a multilabel indicator y"):
        clf.partial_fit(X, Y[:, 0])
    # the linear softmax model is one-label-per-sample by definition
    with pytest.raises(ValueError, match="Multi-output and multilabel"):
        SoftmaxClassifier().fit(X, Y)
