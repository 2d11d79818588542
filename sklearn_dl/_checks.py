"""Clear errors for parameters and inputs that torch or skorch would reject with a raw one.

Each check names the problem and the fix (docs/errors.md lists them):
callbacks that are not skorch callbacks, ``torch.optim.SparseAdam``, a
criterion that fails on the module's outputs and targets, missing labels
given to ``score``.
"""

from __future__ import annotations

import numpy as np
import torch
from skorch.callbacks import Callback
from sklearn.utils._missing import is_pandas_na, is_scalar_nan

__all__ = ["check_callbacks", "check_optimizer_class", "criterion_error", "check_score_labels"]


def check_callbacks(callbacks):
    """``[(name or None, callback), ...]`` from the ``callbacks`` parameter, checked."""
    entries = []
    for i, entry in enumerate(callbacks or []):
        name = None
        if isinstance(entry, tuple):
            if len(entry) != 2 or not isinstance(entry[0], str):
                raise ValueError(
                    f"callbacks[{i}] is the tuple {entry!r}; a named callback is a "
                    "(name, callback) pair with a string name, e.g. ('stop', MyCallback()).")
            name, entry = entry
        is_class = isinstance(entry, type) and issubclass(entry, Callback)
        if not (isinstance(entry, Callback) or is_class):
            raise ValueError(
                f"callbacks[{i}] is {entry!r} of type {type(entry).__name__}, not a skorch "
                "callback. Pass instances of skorch.callbacks.Callback subclasses (e.g. "
                "skorch.callbacks.EpochScoring(...)) or (name, callback) pairs.")
        entries.append((name, entry))
    return entries


def check_optimizer_class(solver):
    """Refuse optimizers that cannot train the dense gradients every module here has."""
    if issubclass(solver, torch.optim.SparseAdam):
        raise ValueError(
            f"solver={solver.__module__}.{solver.__qualname__} only takes sparse gradients "
            "(those of nn.Embedding(sparse=True)); the estimators train modules on dense "
            "float input, whose gradients are dense. Use solver='adam' or torch.optim.Adam.")


def criterion_error(criterion, y_pred, y_true, exc, classifier):
    """A ValueError saying what a failing criterion received and what it should take."""
    def describe(t):
        return f"shape {tuple(t.shape)} ({str(t.dtype).replace('torch.', '')})" \
            if isinstance(t, torch.Tensor) else type(t).__name__

    name = getattr(criterion, "fn", None) or criterion
    hint = ("Classifiers give a criterion of your own class indices (int64, shape "
            "(n_samples,)): use a classification loss such as nn.CrossEntropyLoss or "
            "nn.NLLLoss (or criterion=None), or TorchRegressor for a regression loss such "
            "as nn.L1Loss." if classifier else
            "Regressors give the criterion float targets of shape (n_samples, n_targets) "
            "and the module's output of the same shape.")
    what = (f"failed on the module's output of {describe(y_pred)} and the target of "
            f"{describe(y_true)}: {exc}" if exc is not None else
            f"returned {describe(y_pred)} instead of a scalar loss (set reduction='mean')")
    return ValueError(f"criterion {name!r} {what}. {hint}")


def check_score_labels(y):
    """Refuse missing labels (NaN, None, pd.NA) in the ``y`` given to a classifier's score."""
    arr = np.asarray(y)
    if arr.dtype.kind == "f":
        missing = np.isnan(arr)
    elif arr.dtype.kind == "O":
        missing = np.array([v is None or is_scalar_nan(v) or is_pandas_na(v)
                            for v in arr.ravel()], dtype=bool)
    else:
        return
    if missing.any():
        rows = np.flatnonzero(missing.ravel())
        raise ValueError(
            f"y has {len(rows)} missing label(s) (NaN or None), at rows "
            f"{rows[:5].tolist()}{' ...' if len(rows) > 5 else ''}. score compares every "
            "row's label with the prediction: drop the rows without a label first.")
