"""Multilabel indicator targets for MLPClassifier and TorchClassifier.

As scikit-learn's ``MLPClassifier``: ``y`` of shape (n_samples, n_labels) with
0/1 entries trains one sigmoid output per label with binary cross-entropy;
``classes_`` is ``arange(n_labels)``, ``predict`` returns the 0/1 indicator
matrix and ``predict_proba`` one independent probability per label (rows do
not sum to 1).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import type_of_target
from torch import nn


def is_multilabel(y):
    """Whether ``y`` is a 2-D 0/1 indicator matrix of several labels."""
    return getattr(y, "ndim", 1) == 2 and y.shape[1] > 1 and \
        type_of_target(y) == "multilabel-indicator"


class MultilabelBCE(nn.Module):
    """Binary cross-entropy on logits, summed over labels and averaged over samples.

    scikit-learn's ``binary_log_loss`` for multilabel targets (so ``alpha``
    weighs the same against it); ``reduction='none'`` gives each sample's sum.
    """

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, logits, target):
        per_sample = nn.functional.binary_cross_entropy_with_logits(
            logits, target, reduction="none").sum(1)
        return per_sample if self.reduction == "none" else per_sample.mean()


def prepare(estimator, y, *, reset):
    """``(y as float64, n_labels)``; sets ``classes_`` on the first fit."""
    y = np.asarray(y)
    if reset:
        estimator.classes_ = np.arange(y.shape[1])
        estimator._is_multilabel = True
    elif not getattr(estimator, "_is_multilabel", False) or y.shape[1] != len(estimator.classes_):
        raise ValueError(
            f"y is a multilabel indicator matrix of {y.shape[1]} labels, but the model was "
            f"fitted on {'multilabel' if getattr(estimator, '_is_multilabel', False) else 'class'}"
            f" targets with {len(estimator.classes_)} classes. Fit a new model for this y.")
    return y.astype(np.float64), y.shape[1]


def active(estimator):
    return getattr(estimator, "_is_multilabel", False)
