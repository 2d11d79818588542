"""Linear models as one ``nn.Linear`` layer: regression and softmax regression."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval
from torch import nn

from ._base import BaseTorchEstimator, TorchClassifierMixin, TorchRegressorMixin

__all__ = ["LinearRegressorNN", "SoftmaxClassifier"]


class _LinearBase(BaseTorchEstimator):
    """Shared parameters and penalty of the linear estimators.

    ``alpha`` and ``l1_ratio`` have scikit-learn ``ElasticNet``'s meaning:
    the loss is the data term plus
    ``alpha * l1_ratio * ||W||_1 + 0.5 * alpha * (1 - l1_ratio) * ||W||^2``
    (the intercept is never penalised).
    """

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
    }

    def _build_module(self, n_features, n_outputs):
        return nn.Linear(n_features, n_outputs, bias=self.fit_intercept)

    def _penalty(self):
        return self.alpha * (1.0 - self.l1_ratio), False

    def _extra_callbacks(self):
        if self.l1_ratio > 0 and self.alpha > 0:
            raise NotImplementedError(
                "l1_ratio > 0 (an L1 penalty) is not available yet; use l1_ratio=0.")
        return []

    def _weights(self):
        layer = self.module_
        w = layer.weight.detach().cpu().double().numpy().copy()
        b = (layer.bias.detach().cpu().double().numpy().copy() if layer.bias is not None
             else np.zeros(w.shape[0]))
        return w, b


class LinearRegressorNN(TorchRegressorMixin, _LinearBase):
    """Linear regression (optionally ridge / elastic-net) as a torch ``nn.Linear``.

    The seed's Day 1-2 model. Trained on half the mean squared error,
    ``1/(2n) ||y - Xw - b||^2`` (summed over outputs), plus the elastic-net
    penalty, by minibatch SGD/Adam or by full-batch L-BFGS, which reaches the
    exact least-squares optimum.

    Parameters
    ----------
    alpha : float, default=0.0
        Penalty strength, as in :class:`sklearn.linear_model.ElasticNet`.
        ``alpha * n_samples`` equals :class:`sklearn.linear_model.Ridge`'s alpha
        when ``l1_ratio=0``.
    l1_ratio : float, default=0.0
        Mix of L1 (1.0) and L2 (0.0) penalty.
    fit_intercept : bool, default=True
        Learn a bias (never penalised).
    solver : {'lbfgs', 'sgd', 'adam'} or torch.optim.Optimizer subclass, default='lbfgs'
        'lbfgs' is exact and full batch; 'sgd' and 'adam' use minibatches.
    learning_rate_init : float, default=0.01
        Step size of 'sgd', 'adam' or a torch optimizer (unused by 'lbfgs').
    learning_rate : {'constant', 'invscaling', 'adaptive', 'one_cycle', 'cosine'}, default='constant'
        Step-size schedule for the minibatch solvers.
    batch_size : int or 'auto', default='auto'
        Rows per minibatch; 'auto' is ``min(200, n_samples)``.
    max_iter : int, default=200
        Epochs for minibatch solvers; iterations for 'lbfgs'.
    tol : float, default=1e-4
        Minibatch solvers stop when the training loss improves by less than
        ``tol`` for ``n_iter_no_change`` epochs; 'lbfgs' stops when the largest
        gradient entry is below ``tol``.
    n_iter_no_change : int, default=10
        Patience (epochs) of the stopping rule above.
    momentum : float, default=0.9
        Momentum of 'sgd'.
    nesterovs_momentum : bool, default=True
        Use Nesterov momentum with 'sgd'.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when the
        validation R^2 stops improving; the best weights are restored.
    validation_fraction : float, default=0.1
        Share of the training data held out when ``early_stopping=True``.
    shuffle : bool, default=True
        Shuffle the rows each epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and the validation split. The same
        seed gives bit-for-bit the same model on the same device; the global
        torch and numpy random states are left untouched.
    verbose : int, default=0
        0 prints nothing, 1 a table per epoch, 2 adds a progress bar.
    warm_start : bool, default=False
        Continue from the previous fit's weights instead of re-initialising.
    device : {'auto', 'cpu', 'cuda'} or torch.device, default='auto'
        Where the model trains; 'auto' picks CUDA when available.
    init : str or callable, default='default'
        Initialisation: a name from :data:`sklearn_dl.init.INIT_SCHEMES` or a
        callable applied with ``module.apply``.
    callbacks : list of skorch callbacks or (name, callback) pairs, default=None
        Extra callbacks, copied at each fit.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    module_ : torch.nn.Linear
        The trained layer.
    net_ : skorch.NeuralNet
        The skorch net that trained it.
    history_ : skorch.History
        Per-epoch record: ``train_loss``, ``valid_loss``, ``valid_score``, ``dur``.
    loss_curve_ : list of float
        Training loss per epoch.
    n_iter_ : int
        Epochs run (L-BFGS iterations for 'lbfgs').
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` had string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import LinearRegressorNN
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(1000, 2))
    >>> y = X @ [2.0, -3.4] + 4.2 + rng.normal(scale=0.01, size=1000)
    >>> reg = LinearRegressorNN(random_state=0).fit(X, y)
    >>> np.round(reg.coef_, 2), round(reg.intercept_, 2)
    (array([ 2. , -3.4]), 4.2)
    """

    def __init__(
        self,
        alpha=0.0,
        l1_ratio=0.0,
        *,
        fit_intercept=True,
        solver="lbfgs",
        learning_rate_init=0.01,
        learning_rate="constant",
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        random_state=None,
        verbose=0,
        warm_start=False,
        device="auto",
        init="default",
        callbacks=None,
    ):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.device = device
        self.init = init
        self.callbacks = callbacks

    def _make_criterion(self):
        return HalfSquaredError()

    @property
    def coef_(self):
        w, _ = self._weights()
        return w[0] if self._y_ndim == 1 else w

    @property
    def intercept_(self):
        _, b = self._weights()
        return float(b[0]) if self._y_ndim == 1 else b


class HalfSquaredError(nn.Module):
    """``0.5 * mean over rows of the squared error summed over outputs``.

    The data term of scikit-learn's ``ElasticNet`` and d2l's ``squared_loss``
    (which is ``(y_hat - y)**2 / 2``).
    """

    def forward(self, y_pred, y_true):
        return 0.5 * (y_pred - y_true).pow(2).sum(1).mean()


class SoftmaxClassifier(TorchClassifierMixin, _LinearBase):
    """Multinomial logistic (softmax) regression as a torch ``nn.Linear``.

    The seed's Day 4 model. Raw logits are trained with cross-entropy (one
    logit and binary cross-entropy for two classes), plus the elastic-net
    penalty on the weights.

    Parameters
    ----------
    alpha : float, default=1e-4
        Penalty strength on the weights (``ElasticNet`` meaning, added to the
        mean cross-entropy).
    l1_ratio : float, default=0.0
        Mix of L1 (1.0) and L2 (0.0) penalty.
    fit_intercept : bool, default=True
    solver : {'adam', 'sgd', 'lbfgs'} or torch.optim.Optimizer subclass, default='adam'
    learning_rate_init : float, default=1e-2
    learning_rate : {'constant', 'invscaling', 'adaptive', 'one_cycle', 'cosine'}, default='constant'
    batch_size : int or 'auto', default='auto'
    max_iter : int, default=100
        Epochs (iterations for 'lbfgs').
    tol, n_iter_no_change, momentum, nesterovs_momentum, early_stopping, \
validation_fraction, shuffle, random_state, verbose, warm_start, device, init, callbacks
        As in :class:`LinearRegressorNN`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    module_, net_, history_, loss_curve_, n_iter_, n_features_in_, feature_names_in_
        As in :class:`LinearRegressorNN`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_dl import SoftmaxClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxClassifier(solver="lbfgs", random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:1]).round(2).sum()
    np.float64(1.0)
    >>> clf.score(X, y) > 0.95
    True
    """

    def __init__(
        self,
        alpha=1e-4,
        l1_ratio=0.0,
        *,
        fit_intercept=True,
        solver="adam",
        learning_rate_init=1e-2,
        learning_rate="constant",
        batch_size="auto",
        max_iter=100,
        tol=1e-4,
        n_iter_no_change=10,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        random_state=None,
        verbose=0,
        warm_start=False,
        device="auto",
        init="default",
        callbacks=None,
    ):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.device = device
        self.init = init
        self.callbacks = callbacks

    @property
    def coef_(self):
        return self._weights()[0]

    @property
    def intercept_(self):
        return self._weights()[1]
