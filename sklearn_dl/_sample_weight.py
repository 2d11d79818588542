"""``sample_weight``: scikit-learn's meaning, a weighted mean of the per-sample losses.

With weights ``w`` the training loss of a batch is ``sum(w_i * l_i) / sum(w_i)``
where ``l_i`` is sample i's loss (averaged over its outputs), so integer
weights act as repeated rows and equal weights change nothing. The weights
travel with the targets through the batch iterator (``y`` becomes the pair
``(y, w)``); without weights nothing changes on the training path.
"""

from __future__ import annotations

import inspect

import numpy as np
import torch
from sklearn.utils.validation import _check_sample_weight
from torch import nn


def check_sample_weight(sample_weight, X):
    """Validated float64 weights of shape (n_samples,), or None; an error names the fix."""
    if sample_weight is None:
        return None
    sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    if not sw.sum() > 0:
        raise ValueError(
            "sample_weight sums to 0: every sample would be ignored. Give at least one "
            "sample a positive weight.")
    return sw


def _rows(loss):
    """Per-element losses (n_samples, ...) averaged to one value per sample."""
    return loss.reshape(loss.shape[0], -1).mean(1) if loss.ndim > 1 else loss


def per_sample_loss(criterion, y_pred, y_true):
    """Each sample's loss under ``criterion``, shape (n_samples,).

    The per-sample form of each loss the estimators build, and of any torch
    loss with a ``reduction`` argument; a loss given as a function must
    accept ``reduction='none'``.
    """
    from .linear_model import HalfSquaredError
    from .neural_network import HalfMeanSquaredError, HalfPoissonDeviance, _LossFunction

    if isinstance(criterion, HalfMeanSquaredError):
        return _rows(0.5 * nn.functional.mse_loss(y_pred, y_true, reduction="none"))
    if isinstance(criterion, HalfSquaredError):
        return 0.5 * nn.functional.mse_loss(y_pred, y_true, reduction="none").reshape(
            len(y_pred), -1).sum(1)
    if isinstance(criterion, HalfPoissonDeviance):
        z = y_pred
        return (torch.exp(z) - y_true * z + torch.xlogy(y_true, y_true) - y_true).sum(1)
    if isinstance(criterion, _LossFunction) and _takes_reduction(criterion.fn):
        return _rows(criterion.fn(y_pred, y_true, **{**criterion.kwargs, "reduction": "none"}))
    if isinstance(getattr(criterion, "reduction", None), str):
        saved = criterion.reduction
        criterion.reduction = "none"
        try:
            return _rows(criterion(y_pred, y_true))
        finally:
            criterion.reduction = saved
    raise ValueError(
        f"sample_weight needs each sample's loss, but the criterion {criterion!r} has no "
        "`reduction` setting: use a torch loss class (e.g. nn.CrossEntropyLoss) or a "
        "function that accepts reduction='none', or fit without sample_weight.")


def weighted_loss(criterion, y_pred, y_true, weight):
    """``sum(w_i * loss_i) / sum(w_i)`` over the batch."""
    losses = per_sample_loss(criterion, y_pred, y_true)
    weight = weight.to(losses.dtype)
    return (losses * weight).sum() / weight.sum().clamp_min(torch.finfo(losses.dtype).tiny)


def _takes_reduction(fn):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "reduction" in params or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
