"""scikit-learn's MLP stopping rule, 'adaptive' learning rate and verbose lines.

One skorch callback does what ``sklearn/neural_network/_multilayer_perceptron.py``
does at the end of each epoch of ``_fit_stochastic`` (``_update_no_improvement_count``
and ``trigger_stopping``), so that ``tol``, ``n_iter_no_change``,
``early_stopping`` and ``learning_rate='adaptive'`` mean exactly what they mean
there:

* an epoch counts as "no improvement" when the training loss is not below the
  best loss so far minus ``tol`` (with ``early_stopping``: the validation score
  is not above the best score plus ``tol``); an improving epoch resets the count;
  the best value moves on *any* improvement;
* when the count exceeds ``n_iter_no_change``, training stops, or with
  ``learning_rate='adaptive'`` the learning rate is divided by 5 and the count
  restarts, until the rate is at most 1e-6;
* with ``early_stopping`` the weights of the best-scoring epoch are restored
  at the end of training.

The count and the best values survive a ``warm_start`` refit or ``partial_fit``
(scikit-learn keeps them too), because the callback lives on the estimator's net.
"""

from __future__ import annotations

import numpy as np
from skorch.callbacks import Callback

#: scikit-learn's SGDOptimizer stops 'adaptive' once the rate is this small.
_MIN_ADAPTIVE_LR = 1e-6


class SklearnStopping(Callback):
    """Stop (or lower the rate) after ``n_iter_no_change`` epochs without improvement.

    Parameters
    ----------
    tol : float
        Smallest improvement that counts.
    n_iter_no_change : int or float
        Epochs without improvement tolerated; ``np.inf`` never stops (the count
        still runs, as in scikit-learn).
    validate : bool
        Monitor ``valid_score`` (higher is better) instead of ``train_loss``,
        and restore the best epoch's weights at the end of training.
    adaptive : bool
        scikit-learn's ``learning_rate='adaptive'``: divide the rate by 5
        instead of stopping, while it is above 1e-6.
    verbose : bool
        Print scikit-learn's ``Iteration n, loss = ...`` lines (plain text).
    sink : callable
        Where the lines go (``print``).
    """

    def __init__(self, tol, n_iter_no_change, validate=False, adaptive=False,
                 verbose=False, sink=print):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.validate = validate
        self.adaptive = adaptive
        self.verbose = verbose
        self.sink = sink

    @property
    def monitor(self):
        """The history key watched (what callers filter validation callbacks by)."""
        return "valid_score" if self.validate else "train_loss"

    @property
    def load_best(self):
        """Whether the best epoch's weights are restored (skorch's EarlyStopping name)."""
        return self.validate

    def initialize(self):
        self.no_improvement_count_ = 0
        self.best_loss_ = np.inf
        self.best_validation_score_ = -np.inf
        self.best_weights_ = None
        self.best_epoch_ = 0  # history's epoch number of the restored weights
        self.epochs_this_call_ = 0
        return self

    def on_train_begin(self, net, **kwargs):
        self.epochs_this_call_ = 0

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        self.epochs_this_call_ += 1
        loss = float(row["train_loss"])
        if self.verbose:
            self.sink("Iteration %d, loss = %.8f" % (self.epochs_this_call_, loss))
        if self.validate and "valid_score" in row:
            score = float(row["valid_score"])
            if self.verbose:
                self.sink("Validation score: %f" % score)
            worse = not (score >= self.best_validation_score_ + self.tol)
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self.best_weights_ = {k: v.detach().clone()
                                      for k, v in net.module_.state_dict().items()}
                self.best_epoch_ = row["epoch"]
            what = "Validation score"
        else:
            worse = not (loss <= self.best_loss_ - self.tol)
            if loss < self.best_loss_:
                self.best_loss_ = loss
            what = "Training loss"
        self.no_improvement_count_ = self.no_improvement_count_ + 1 if worse else 0
        if self.no_improvement_count_ > self.n_iter_no_change:
            msg = (f"{what} did not improve more than tol={self.tol:f} for "
                   f"{self.n_iter_no_change} consecutive epochs.")
            if self._lower_rate(net, msg):
                self.no_improvement_count_ = 0
                return
            raise KeyboardInterrupt  # skorch's way to end the fit loop cleanly

    def _lower_rate(self, net, msg):
        """'adaptive': divide the rate by 5 and go on; False when it is time to stop."""
        groups = net.optimizer_.param_groups
        if not self.adaptive or groups[0]["lr"] <= _MIN_ADAPTIVE_LR:
            if self.verbose:
                self.sink(msg + (" Learning rate too small. Stopping." if self.adaptive
                                 else " Stopping."))
            return False
        for group in groups:
            group["lr"] /= 5.0
        if self.verbose:
            self.sink(msg + " Setting learning rate to %f" % groups[0]["lr"])
        return True

    def on_train_end(self, net, **kwargs):
        if self.validate and self.best_weights_ is not None:
            net.module_.load_state_dict(self.best_weights_)
