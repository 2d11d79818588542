"""Every public estimator of sklearn_dl, small and seeded, with data it can fit.

Built from ``sklearn_dl.__all__`` so that the reliability tests (bad input,
divergence, interruption, save/load, reproducibility) cover an estimator as
soon as it is exported.
"""

import numpy as np
from sklearn.base import BaseEstimator, is_classifier

import sklearn_dl


def public_estimator_classes():
    """Public estimator classes, in ``__all__`` order."""
    classes = []
    for name in sklearn_dl.__all__:
        obj = getattr(sklearn_dl, name)
        if isinstance(obj, type) and issubclass(obj, BaseEstimator):
            classes.append(obj)
    return classes


def make_estimator(cls, **params):
    """``cls`` with few epochs and a fixed seed; ``params`` override."""
    # a constant rate: the tests compare fits of different max_iter epoch by
    # epoch, which SoftmaxClassifier's default one-cycle schedule (sized by
    # max_iter) would not reproduce
    defaults = dict(max_iter=5, random_state=0, learning_rate="constant")
    accepted = cls().get_params()
    return cls(**{k: v for k, v in {**defaults, **params}.items() if k in accepted})


def make_data(estimator, n_samples=40, n_features=3, seed=0):
    """Standardised ``X`` and a target fitting the task: 3 string classes or floats."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features))
    score = X @ np.linspace(1.0, -1.0, n_features) + 0.1 * rng.normal(size=n_samples)
    if is_classifier(estimator):
        y = np.array(["low", "mid", "high"])[np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))]
    else:
        y = score
    return X, y


def ids(classes):
    return [c.__name__ for c in classes]


ESTIMATORS = public_estimator_classes()
