"""Kaggle's house-price metric: root mean squared error between log prices.

Examples
--------
>>> from sklearn.dummy import DummyRegressor
>>> from sklearn_dl.metrics import log_rmse_scorer
>>> X, y = [[0], [1]], [100.0, 400.0]
>>> model = DummyRegressor(strategy="constant", constant=200.0).fit(X, y)
>>> round(float(log_rmse_scorer(model, X, y)), 4)  # negated: greater is better
-0.6931
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import make_scorer
from sklearn.utils.validation import check_consistent_length

__all__ = ["log_rmse", "log_rmse_scorer"]


def log_rmse(y_true, y_pred, *, sample_weight=None):
    """Root mean squared error between the logarithms of true and predicted values.

    Kaggle scores the house-price competition with it: an error of 10% costs
    the same on a cheap house as on an expensive one. As in the seed (d2l's
    ``log_rmse``), predictions below 1 are raised to 1 before the logarithm,
    so a model that predicts zero or a negative price gets a large, finite
    error instead of NaN.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True values; must be positive.
    y_pred : array-like of shape (n_samples,)
        Predicted values; anything below 1 counts as 1.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the squared log errors.

    Returns
    -------
    float
        ``sqrt(mean((log(y_true) - log(max(y_pred, 1)))**2))``; lower is better.

    Raises
    ------
    ValueError
        If a true value is not positive or finite (its logarithm is
        undefined), a prediction is NaN, or the lengths differ.

    Examples
    --------
    >>> from sklearn_dl.metrics import log_rmse
    >>> round(log_rmse([100.0, 200.0], [110.0, 180.0]), 4)
    0.1005
    >>> log_rmse([100.0], [-5.0]) == log_rmse([100.0], [1.0])  # clamped to 1
    True
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    check_consistent_length(y_true, y_pred, sample_weight)
    if y_true.ndim == 2 and y_true.shape[1] == 1:
        y_true = y_true[:, 0]
    if y_pred.ndim == 2 and y_pred.shape[1] == 1:
        y_pred = y_pred[:, 0]
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true has shape {y_true.shape} and y_pred {y_pred.shape}; log_rmse "
            "compares one prediction per true value.")
    if not (np.all(np.isfinite(y_true)) and np.all(y_true > 0)):
        raise ValueError(
            "log_rmse needs positive, finite true values (prices); got "
            f"min {np.nanmin(y_true)!r}. Drop rows whose target is zero, negative or NaN.")
    if np.any(np.isnan(y_pred)):
        raise ValueError(
            "y_pred contains NaN; the model produced no prediction for some rows. "
            "Check the model's inputs (missing values) or its training.")
    # np.clip also maps +inf to a finite log error of inf, which is honest.
    errors = np.log(y_true) - np.log(np.clip(y_pred, 1.0, None))
    return float(np.sqrt(np.average(errors**2, weights=sample_weight)))


log_rmse_scorer = make_scorer(log_rmse, greater_is_better=False)
log_rmse_scorer.__doc__ = """Scorer of Kaggle's house-price metric for model selection.

``scorer(estimator, X, y)`` returns ``-log_rmse(y, estimator.predict(X))``:
negated, because scikit-learn's model selection maximises scores. Pass it as
``scoring=`` to ``cross_val_score``, ``cross_validate`` or ``GridSearchCV``;
``-search.best_score_`` is then the best mean log-RMSE. The estimator must
predict prices (not log prices): :func:`log_rmse` takes the logarithm.

Examples
--------
>>> from sklearn.dummy import DummyRegressor
>>> from sklearn_dl.metrics import log_rmse_scorer
>>> X, y = [[0], [1]], [100.0, 400.0]
>>> float(log_rmse_scorer(DummyRegressor(strategy="constant", constant=200.0).fit(X, y), X, y))
-0.6931...
"""
