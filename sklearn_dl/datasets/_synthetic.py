"""Synthetic regression data of d2l's chapters 3 and 5 (the seed's Days 1, 9 and 10)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

__all__ = ["make_linear_regression", "make_polynomial_regression", "make_weight_decay_regression"]


def _coef_vector(coef, name):
    coef = np.asarray(coef, dtype=np.float64)
    if coef.ndim != 1 or coef.size == 0 or not np.isfinite(coef).all():
        raise ValueError(f"{name} must be a non-empty 1-D sequence of finite numbers; got {coef!r}.")
    return coef


def _linear_data(rng, n_samples, coef, intercept, noise):
    # d2l's synthetic_data: X ~ N(0, 1), y = Xw + b + N(0, noise^2)
    X = rng.normal(size=(n_samples, len(coef)))
    y = X @ coef + intercept + rng.normal(scale=noise, size=n_samples)
    return X, y


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "coef": ["array-like"],
        "intercept": [Real],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_linear_regression(n_samples=1000, coef=(2.0, -3.4), intercept=4.2, noise=0.01,
                           random_state=None):
    """Linear data with Gaussian noise, d2l's ``synthetic_data`` (the seed's Day 1).

    ``X ~ N(0, 1)`` of shape (n_samples, len(coef)) and
    ``y = X @ coef + intercept + N(0, noise^2)``.

    Parameters
    ----------
    n_samples : int, default=1000
    coef : array-like of shape (n_features,), default=(2.0, -3.4)
        True weights.
    intercept : float, default=4.2
        True bias.
    noise : float, default=0.01
        Standard deviation of the Gaussian noise on ``y``.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,), float64

    Examples
    --------
    >>> from sklearn_dl.datasets import make_linear_regression
    >>> X, y = make_linear_regression(random_state=0)
    >>> X.shape, y.shape
    ((1000, 2), (1000,))
    """
    coef = _coef_vector(coef, "coef")
    return _linear_data(check_random_state(random_state), n_samples, coef, intercept, noise)


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "coef": ["array-like"],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_polynomial_regression(n_samples=200, n_features=20, coef=(5.0, 1.2, -3.4, 5.6),
                               noise=0.1, random_state=None):
    """A cubic with factorial-scaled monomial features (the seed's Day 9, d2l 5.4).

    ``x ~ N(0, 1)``, ``y = sum_i coef[i] * x^i / i! + N(0, noise^2)``, and the
    features are ``X[:, i] = x^i / i!`` for ``i < n_features``: the first
    ``len(coef)`` columns fit ``y`` exactly, the others model noise. Dividing
    by ``i!`` keeps high powers from producing huge values and gradients.

    Parameters
    ----------
    n_samples : int, default=200
        d2l uses 100 for training and 100 for testing: split the rows.
    n_features : int, default=20
        Number of monomials (degrees 0 to n_features - 1). The data do not
        depend on it: ``X[:, :k]`` is the same for every ``n_features >= k``.
    coef : array-like, default=(5.0, 1.2, -3.4, 5.6)
        True weights of ``x^i / i!``, degree 0 first.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise on ``y``.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
        ``x^i / i!``; column 0 is all ones (the bias).
    y : ndarray of shape (n_samples,), float64
    x : ndarray of shape (n_samples,), float64
        The raw inputs, for plotting ``y`` against ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.datasets import make_polynomial_regression
    >>> X, y, x = make_polynomial_regression(n_features=4, noise=0.0, random_state=0)
    >>> bool(np.allclose(X[:, 2], x ** 2 / 2))
    True
    >>> np.round(np.linalg.lstsq(X, y, rcond=None)[0], 6)
    array([ 5. ,  1.2, -3.4,  5.6])
    """
    coef = _coef_vector(coef, "coef")
    rng = check_random_state(random_state)
    x = rng.normal(size=n_samples)
    degree = max(n_features, len(coef))
    powers = np.arange(degree)
    factorials = np.cumprod(np.maximum(powers, 1), dtype=np.float64)  # i!
    monomials = x[:, None] ** powers / factorials
    y = monomials[:, :len(coef)] @ coef + rng.normal(scale=noise, size=n_samples)
    return monomials[:, :n_features], y, x


@validate_params(
    {
        "n_train": [Interval(Integral, 1, None, closed="left")],
        "n_test": [Interval(Integral, 0, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "coef": [Real, "array-like"],
        "intercept": [Real],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_weight_decay_regression(n_train=20, n_test=100, n_features=200, coef=0.01,
                                 intercept=0.05, noise=0.01, random_state=None):
    """High-dimensional, few-sample linear data (the seed's Days 10-11, d2l 5.5).

    ``y = X @ w + b + N(0, noise^2)`` with ``X ~ N(0, 1)``, 200 features and
    only 20 training rows: an unregularised fit interpolates the training
    data and generalises badly, which weight decay fixes.

    Parameters
    ----------
    n_train : int, default=20
    n_test : int, default=100
    n_features : int, default=200
    coef : float or array-like of shape (n_features,), default=0.01
        True weights; a float gives every feature that weight.
    intercept : float, default=0.05
    noise : float, default=0.01
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X_train : ndarray of shape (n_train, n_features)
    X_test : ndarray of shape (n_test, n_features)
    y_train : ndarray of shape (n_train,)
    y_test : ndarray of shape (n_test,)
        In :func:`~sklearn.model_selection.train_test_split`'s order.

    Examples
    --------
    >>> from sklearn_dl.datasets import make_weight_decay_regression
    >>> X_train, X_test, y_train, y_test = make_weight_decay_regression(random_state=0)
    >>> X_train.shape, X_test.shape
    ((20, 200), (100, 200))
    """
    if np.ndim(coef) == 0:
        coef = np.full(n_features, float(coef))
    coef = _coef_vector(coef, "coef")
    if len(coef) != n_features:
        raise ValueError(f"coef has {len(coef)} entries but n_features={n_features}; "
                         "pass one weight per feature or a single float.")
    X, y = _linear_data(check_random_state(random_state), n_train + n_test, coef, intercept, noise)
    return X[:n_train], X[n_train:], y[:n_train], y[n_train:]
