"""Linear models as one ``nn.Linear`` layer: regression, polynomial ridge, softmax regression."""

from __future__ import annotations

import inspect
import math
import time
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from scipy.special import factorial
from sklearn.base import _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback
from skorch.history import History
from torch import nn

from . import _exact
from ._base import BaseTorchEstimator, TorchClassifierMixin, TorchRegressorMixin, _validate_data
from ._linear_sklearn import ElasticNet, Lasso, LogisticRegression, Ridge

__all__ = ["LinearRegressorNN", "SoftmaxClassifier", "PolyRidge", "ProximalL1", "ProximalGradient",
           "Ridge", "Lasso", "ElasticNet", "LogisticRegression"]


class _LinearBase(BaseTorchEstimator):
    """Shared parameters, penalty and exact solvers of the linear estimators.

    ``alpha`` and ``l1_ratio`` have scikit-learn ``ElasticNet``'s meaning:
    the loss is the data term plus
    ``alpha * l1_ratio * ||W||_1 + 0.5 * alpha * (1 - l1_ratio) * ||W||^2``
    (the intercept is never penalised).

    ``fit`` runs an exact float64 solver from :mod:`sklearn_dl._exact` when
    :meth:`_exact_solver` names one, and the skorch training loop otherwise
    (minibatch solvers, ``partial_fit``, early stopping, user callbacks).
    """

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
    }

    #: max_iter=None: the default budget of each kind of solver
    _MAX_ITER = {"ridge": 1, "cd": 1000, "logistic": 100, "lbfgs": 200, "minibatch": 200}

    def _param(self, name):
        value = super()._param(name)
        if name == "solver" and value == "auto":
            return "lbfgs"  # the skorch path of solver='auto' (partial_fit, callbacks)
        if name == "max_iter" and value is None:
            # the skorch path (the exact solvers read _exact_max_iter)
            return self._MAX_ITER["lbfgs" if self._param("solver") == "lbfgs" else "minibatch"]
        return value

    def _exact_max_iter(self, kind):
        return self._MAX_ITER[kind] if self.max_iter is None else self.max_iter

    def _build_module(self, n_features, n_outputs):
        return nn.Linear(n_features, n_outputs, bias=self.fit_intercept)

    def _transform_input(self, X, *, fit, sample_weight=None):
        return X

    def _sparse_formats(self):
        # X used as given (PolyRidge, which expands powers of X, refuses sparse
        # X): the minibatch solvers densify it per batch, the exact full-batch
        # float64 solvers (_fit_exact) whole
        if type(self)._transform_input is not _LinearBase._transform_input:
            return False
        return ("csr", "csc")

    def _penalty(self):
        return self.alpha * (1.0 - self.l1_ratio), False

    def _l1(self):
        """Coefficient of ``||W||_1`` in the objective."""
        return self.alpha * self.l1_ratio

    def _uses_fista(self):
        return self._param("solver") == "lbfgs" and self._l1() > 0

    def _exact_solver(self):
        """Name of the exact solver ``fit`` runs ('ridge', 'cd', 'logistic'), or None."""
        return None

    def _needs_epoch_loop(self):
        # early stopping and user callbacks act between epochs of the skorch loop
        return bool(self._param("early_stopping")) or bool(self._param("callbacks"))

    def _optimizer(self):
        # 'lbfgs' means "the full-batch solver": L-BFGS needs a smooth
        # objective, so with an L1 part the skorch path (partial_fit) runs
        # accelerated proximal gradient, which handles the non-smooth penalty.
        if self._uses_fista():
            return ProximalGradient, dict(
                l1=self._l1(), max_iter=self._param("max_iter"), tolerance_grad=self.tol)
        return super()._optimizer()

    def _extra_callbacks(self):
        # the minibatch solvers' L1 part; FISTA applies it itself
        if self._l1() > 0 and not self._uses_fista():
            return [("proximal_l1", ProximalL1(self._l1()))]
        return []

    def _weights(self):
        return _exact.linear_weights(self.module_)

    # ---- the exact path ------------------------------------------------------
    def _fit(self, X, y, *, incremental, classes=None, **kwargs):
        sample_weight = kwargs.pop("sample_weight", None)
        kind = None if incremental else self._exact_solver()
        if kind is not None:
            return self._fit_exact(X, y, kind, sample_weight)
        if sample_weight is not None:
            if "sample_weight" not in inspect.signature(super()._fit).parameters:
                raise ValueError(
                    f"sample_weight is supported by the exact solvers only; "
                    f"{type(self).__name__}(solver={self.solver!r}, "
                    f"early_stopping={self._param('early_stopping')}, callbacks=...) trains "
                    "by minibatches. Use the default solver without early_stopping or "
                    "callbacks, or repeat rows instead of weighting them.")
            kwargs["sample_weight"] = sample_weight
        return super()._fit(X, y, incremental=incremental, classes=classes, **kwargs)

    def _fit_exact(self, X, y, kind, sample_weight):
        start = time.perf_counter()
        warm = self._warm_weights() if self._param("warm_start") else None
        X, y = _validate_data(self, X, y, reset=True, dtype=[np.float64, np.float32],
                              accept_sparse=self._sparse_formats(),
                              multi_output=True, y_numeric=False)
        sw = (None if sample_weight is None else _exact.check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True))
        if sp.issparse(X):  # the exact solvers work on a dense X
            X = X.toarray()
        # float64 for the least-squares solvers; the logistic one computes in X's
        # precision, as LogisticRegression does, so that their iterates agree
        X = np.asarray(self._transform_input(X, fit=True, sample_weight=sw),
                       dtype=X.dtype if kind == "logistic" else np.float64)
        y_enc, n_outputs = self._prepare_target(y, reset=True)
        device = self._resolve_device()
        if warm is not None and warm[0].shape != (n_outputs, X.shape[1]):
            warm = None
        W, b, report = self._solve_exact(kind, X, y_enc, sw, device, warm)
        _store_linear_fit(self, W, b, report, len(X), time.perf_counter() - start)
        return self

    def _warm_weights(self):
        if not hasattr(self, "module_"):
            return None
        return _exact.linear_weights(self.module_)

    def _solve_exact(self, kind, X, y_enc, sw, device, warm):
        fit_intercept = getattr(self, "fit_intercept", True)
        if kind == "ridge":
            total = len(X) if sw is None else float(sw.sum())
            # ElasticNet's alpha on the weighted mean of the squared error is
            # Ridge's alpha / sum(sample_weight) on its weighted sum
            W, b, report = _exact.ridge_solve(X, y_enc, self.alpha * total, sample_weight=sw,
                                              fit_intercept=fit_intercept, device=device)
            report.objective /= 2 * total  # in this estimator's units (half the mean)
            return W, b, report
        if kind == "cd":
            return _exact.enet_solve(
                X, y_enc, self.alpha, self.l1_ratio, sample_weight=sw,
                fit_intercept=fit_intercept, max_iter=self._exact_max_iter(kind), tol=self.tol,
                warm_coef=None if warm is None else warm[0], device=device)
        n_classes = len(self.classes_)
        w0 = None
        if warm is not None:
            w0 = np.hstack([warm[0], warm[1][:, None]]) if fit_intercept else warm[0]
        return _exact.logistic_lbfgs(
            X, y_enc, n_classes, self.alpha, sample_weight=sw, fit_intercept=fit_intercept,
            max_iter=self._exact_max_iter(kind), tol=self.tol, w0=w0, device=device)


def _store_linear_fit(estimator, W, b, report, n_samples, seconds):
    """Put an exact solution into a fresh float64 ``nn.Linear`` and set the fitted state.

    The fitted attributes mirror the skorch path's: a one-row ``history_``
    (the final objective as ``train_loss``), ``loss_curve_``, ``n_iter_``.
    A skorch net of an earlier fit is dropped: a later ``warm_start`` or
    ``partial_fit`` with an iterative solver starts from these weights.
    """
    _exact.store_in_linear(estimator, W, b)
    history = History()
    history.new_epoch()
    history.record("epoch", 1)
    history.record("train_loss", report.objective)
    history.record("dur", seconds)
    estimator.history_ = history
    estimator.loss_curve_ = [report.objective]
    estimator.loss_ = estimator.best_loss_ = report.objective
    estimator.n_iter_ = 1 if report.n_iter is None else int(np.max(report.n_iter))
    estimator.t_ = n_samples
    estimator.converged_ = report.converged
    for stale in ("net_", "validation_scores_", "best_validation_score_"):
        estimator.__dict__.pop(stale, None)


class LinearRegressorNN(TorchRegressorMixin, _LinearBase):
    """Linear regression (optionally ridge / elastic-net) as a torch ``nn.Linear``.

    Minimises half the mean squared error, ``1/(2n) ||y - Xw - b||^2``
    (summed over outputs; with ``sample_weight`` the weighted mean), plus the
    elastic-net penalty. At the defaults (``solver='auto'``) it reaches
    scikit-learn's optimum exactly: the closed form for an L2 penalty (or
    none), coordinate descent for an L1 part. For the same model under
    scikit-learn's own parameter names and defaults see
    :class:`sklearn_dl.linear_model.Ridge`, :class:`~sklearn_dl.linear_model.Lasso`
    and :class:`~sklearn_dl.linear_model.ElasticNet`.

    Parameters
    ----------
    alpha : float, default=0.0
        Penalty strength, as in :class:`sklearn.linear_model.ElasticNet`.
        ``alpha * n_samples`` (``alpha * sum(sample_weight)``) equals
        :class:`sklearn.linear_model.Ridge`'s alpha when ``l1_ratio=0``.
    l1_ratio : float, default=0.0
        Mix of L1 (1.0) and L2 (0.0) penalty. Weights that ``Lasso`` /
        ``ElasticNet`` set to zero come out exactly zero.
    fit_intercept : bool, default=True
        Learn a bias (never penalised).
    solver : {'auto', 'lbfgs', 'sgd', 'adam'} or torch.optim.Optimizer subclass, default='auto'
        'auto' is exact, in float64: with ``l1_ratio = 0`` (or ``alpha = 0``)
        the closed form (Cholesky solve of the normal equations on the
        smaller Gram matrix, SVD when that is singular, intercept by
        centring; ``torch.linalg`` on ``device``); with an L1 part
        scikit-learn's coordinate descent (on the CPU), stopped when the
        duality gap is below ``tol`` times the variance of ``y``, as
        ``ElasticNet`` does. 'lbfgs' runs torch's L-BFGS on the smooth
        objective (float64, stopping when the largest gradient entry is below
        ``tol``; it can stop short of the optimum on ill-conditioned designs)
        and the same coordinate descent when there is an L1 part. With
        ``early_stopping=True`` or ``callbacks`` (which act between epochs),
        and in ``partial_fit``, 'auto' and 'lbfgs' train through skorch: L-BFGS,
        or accelerated proximal gradient (:class:`ProximalGradient`) with an
        L1 part. 'sgd', 'adam' and torch optimizers use minibatches in
        float32 (for data that does not fit one batch), with a
        :class:`ProximalL1` step after each update when ``l1_ratio > 0``.
    learning_rate_init : float, default=0.01
        Step size of 'sgd', 'adam' or a torch optimizer (unused by 'lbfgs').
    learning_rate : {'constant', 'invscaling', 'adaptive', 'one_cycle', 'cosine'}, default='constant'
        Step-size schedule for the minibatch solvers.
    batch_size : int or 'auto', default='auto'
        Rows per minibatch; 'auto' is ``min(200, n_samples)``.
    max_iter : int or None, default=None
        Coordinate-descent sweeps (None: 1000, ``ElasticNet``'s), L-BFGS
        iterations or epochs of the minibatch solvers (None: 200). Unused by
        the closed form.
    tol : float, default=1e-4
        Coordinate descent stops when the duality gap is below ``tol`` times
        the (weighted) variance of ``y``; 'lbfgs' when the largest gradient
        entry is below ``tol``; minibatch solvers when the training loss
        improves by less than ``tol`` for ``n_iter_no_change`` epochs.
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
        Any spelling ``torch.device`` accepts ('cuda:1', ``torch.device('cuda')``);
        a device this machine lacks raises a ValueError listing those it has.
    init : str or callable, default='default'
        Initialisation: a name from :data:`sklearn_dl.init.INIT_SCHEMES` or a
        callable applied with ``module.apply``.
    callbacks : list of skorch callbacks or (name, callback) pairs, default=None
        Extra callbacks, copied at each fit.
    **kwargs
        ``optimizer__<name>=value``: keyword arguments of the optimizer
        (skorch's convention), e.g. ``optimizer__betas=(0.9, 0.99)``. They
        replace what the estimator derives from its own parameters and are
        estimator parameters (``get_params``, ``clone``, ``GridSearchCV``).

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
        Epochs run (L-BFGS iterations for 'lbfgs', coordinate-descent sweeps,
        1 for the closed form).
    converged_ : bool
        Set by the exact solvers: whether they met ``tol`` (otherwise a
        ConvergenceWarning named the duality gap or the gradient left).
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
        solver="auto",
        learning_rate_init=0.01,
        learning_rate="constant",
        batch_size="auto",
        max_iter=None,
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
        **kwargs,
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
        self._set_extra_params(kwargs)

    _parameter_constraints: dict = {
        **_LinearBase._parameter_constraints,
        "solver": [StrOptions({"auto", "sgd", "adam", "lbfgs"}), type],
    }

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the linear model on ``X, y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows in the mean squared error (the
            solution is scikit-learn ``ElasticNet``'s / ``Ridge``'s with the
            same weights). Exact solvers only.

        Returns
        -------
        self : object
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    def _exact_solver(self):
        if self._needs_epoch_loop() or self.solver not in ("auto", "lbfgs"):
            return None
        if self._l1() > 0:
            return "cd"
        return "ridge" if self.solver == "auto" else None

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
        # One fused mse_loss node instead of sub/pow/sum/mean: the backward of a
        # small linear model is mostly per-node overhead (benchmarks/RESULTS.md).
        return nn.functional.mse_loss(y_pred, y_true, reduction="sum") * (0.5 / y_pred.shape[0])


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
        Mix of L1 (1.0) and L2 (0.0) penalty. ``alpha = 1 / (C * n_samples)``
        and the same ``l1_ratio`` give scikit-learn ``LogisticRegression``'s
        objective.
    fit_intercept : bool, default=True
    solver : {'adam', 'sgd', 'lbfgs'} or torch.optim.Optimizer subclass, default='adam'
        'adam' and 'sgd' train by minibatches in float32 (the d2l chapter's
        model). 'lbfgs' with ``l1_ratio = 0`` is scikit-learn
        ``LogisticRegression``'s solver: SciPy's L-BFGS-B with its options
        and stopping rule (largest gradient entry below ``tol``), the loss and
        gradient from scikit-learn's own loss code in X's precision on the CPU
        (the same iterates as ``LogisticRegression``, converged or not) or
        from torch in float64 on another ``device``,
        from zero weights (the previous ones with ``warm_start=True``). With
        ``l1_ratio > 0``, ``early_stopping=True``, ``callbacks``, or in
        ``partial_fit``, 'lbfgs' trains through skorch instead (torch's L-BFGS;
        accelerated proximal gradient with an L1 part).
    learning_rate_init : float, default=5e-2
        Step size; with 'one_cycle' the peak of the cycle. Chosen on a
        validation split of the Fashion-MNIST training images
        (``benchmarks/softmax_defaults.py``), never on the test set.
    learning_rate : {'constant', 'invscaling', 'adaptive', 'one_cycle', 'cosine'}, default='one_cycle'
        Step-size schedule. 'one_cycle' warms up to ``learning_rate_init`` and
        anneals to nearly 0 over the ``max_iter`` epochs (one cycle per
        ``fit``, per ``partial_fit`` epoch). With the defaults this reaches
        Fashion-MNIST test accuracy 0.85 in 10 epochs
        (``benchmarks/RESULTS_softmax_defaults.md``; speed against
        ``LogisticRegression``: ``benchmarks/RESULTS.md``, case 2).
    batch_size : int or 'auto', default='auto'
        Rows per minibatch. 'auto' is ``n_samples // 64`` within [8, 1024]:
        about 64 steps per epoch, so the default 10 epochs make enough steps
        on small data and large batches keep the epochs fast on large data.
    max_iter : int or None, default=None
        Epochs of the minibatch solvers (None: 10) or iterations of 'lbfgs'
        (None: 100, ``LogisticRegression``'s).
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
        learning_rate_init=5e-2,
        learning_rate="one_cycle",
        batch_size="auto",
        max_iter=None,
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
        **kwargs,
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
        self._set_extra_params(kwargs)

    _MAX_ITER = {**_LinearBase._MAX_ITER, "minibatch": 10, "lbfgs": 100}

    def _exact_solver(self):
        if self.solver == "lbfgs" and self._l1() == 0 and not self._needs_epoch_loop():
            return "logistic"
        return None

    def _auto_batch_size(self, n_samples):
        return max(8, min(1024, n_samples // 64))

    @property
    def coef_(self):
        return self._weights()[0]

    @property
    def intercept_(self):
        return self._weights()[1]


class PolyRidge(TorchRegressorMixin, _LinearBase):
    """Polynomial regression with an elastic-net penalty, as a torch ``nn.Linear``.

    The seed's Day 9 model. ``X`` is expanded with scikit-learn's
    :class:`~sklearn.preprocessing.PolynomialFeatures` (all monomials of
    degree 1 to ``degree``; the constant is the intercept), the columns are
    scaled, and a linear layer is trained on half the mean squared error plus
    ``alpha * l1_ratio * ||w||_1 + 0.5 * alpha * (1 - l1_ratio) * ||w||^2`` on
    the *scaled* columns (``ElasticNet``'s meaning of ``alpha``; the intercept
    is not penalised). Tune it with ``GridSearchCV`` over ``degree`` and
    ``alpha``.

    Parameters
    ----------
    degree : int, default=2
        Highest total degree of the monomials.
    alpha : float, default=1e-3
        Penalty strength, as in :class:`sklearn.linear_model.ElasticNet`
        (``alpha * n_samples`` is ``Ridge``'s alpha when ``l1_ratio=0``). The
        small default keeps high degrees well posed: powers of one variable
        are nearly collinear, so the unpenalised least-squares problem is
        ill-conditioned, while 1e-3 shrinks a standardised coefficient by
        about 0.1 %. Use ``alpha=0`` for plain least squares.
    l1_ratio : float, default=0.0
        Mix of L1 (1.0) and L2 (0.0) penalty; with L1, coefficients of
        unneeded powers are exactly zero.
    scaling : {'standard', 'factorial'} or None, default='standard'
        How the expanded columns are scaled before the linear layer:

        - 'standard': zero mean and unit variance on the training data
          (:class:`~sklearn.preprocessing.StandardScaler`). The default: every
          power gets the same scale whatever the range of ``X``, so the
          penalty treats all powers alike and gradient solvers stay stable.
        - 'factorial': the seed's ``x**i / i!`` (a monomial
          ``x0**a * x1**b`` is divided by ``a! * b!``). Tames powers only when
          ``|x|`` is of order 1, as in the seed's ``x ~ N(0, 1)``.
        - None: raw monomials.
    interaction_only : bool, default=False
        Only products of distinct features (passed to ``PolynomialFeatures``).
    solver : {'auto', 'lbfgs', 'sgd', 'adam'} or torch.optim.Optimizer subclass, default='auto'
        As in :class:`LinearRegressorNN`: 'auto' is exact (closed form, or
        coordinate descent when ``l1_ratio > 0``); the seed trained with
        ``solver='sgd'``.
    learning_rate_init, learning_rate, batch_size, max_iter, tol, n_iter_no_change, \
momentum, nesterovs_momentum, early_stopping, validation_fraction, shuffle, \
random_state, verbose, warm_start, device, init, callbacks
        As in :class:`LinearRegressorNN`.

    Attributes
    ----------
    coef_ : ndarray of shape (n_output_features,) or (n_targets, n_output_features)
        Coefficients of the *unscaled* monomials named by
        :meth:`get_feature_names_out`, whatever ``scaling`` is:
        ``predict(X) == poly_.transform(X) @ coef_ + intercept_``. The weights
        of the scaled columns (the seed's weights with ``scaling='factorial'``)
        are ``coef_ * feature_scale_``.
    intercept_ : float or ndarray of shape (n_targets,)
        The constant term (the seed's weight of ``x**0``).
    poly_ : sklearn.preprocessing.PolynomialFeatures
        The fitted expansion.
    powers_ : ndarray of shape (n_output_features, n_features_in_)
        Exponent of each input in each monomial (``poly_.powers_``).
    feature_offset_, feature_scale_ : ndarray of shape (n_output_features,)
        The layer sees ``(poly_.transform(X) - feature_offset_) / feature_scale_``.
    module_, net_, history_, loss_curve_, n_iter_, n_features_in_, feature_names_in_
        As in :class:`LinearRegressorNN`.

    See Also
    --------
    sklearn.preprocessing.PolynomialFeatures : The expansion used here.
    LinearRegressorNN : The same model without the expansion.

    Examples
    --------
    The seed's Day 9 polynomial, recovered by degree 3:

    >>> import numpy as np
    >>> from sklearn_dl import PolyRidge
    >>> rng = np.random.RandomState(0)
    >>> x = rng.normal(size=(100, 1))
    >>> y = 5 + 1.2 * x[:, 0] - 3.4 * x[:, 0] ** 2 / 2 + 5.6 * x[:, 0] ** 3 / 6
    >>> reg = PolyRidge(degree=3, alpha=0.0).fit(x, y)
    >>> reg.get_feature_names_out()
    array(['x0', 'x0^2', 'x0^3'], dtype=object)
    >>> np.round(reg.coef_, 3), round(reg.intercept_, 3)
    (array([ 1.2  , -1.7  ,  0.933]), 5.0)
    """

    _parameter_constraints: dict = {
        **{k: v for k, v in _LinearBase._parameter_constraints.items() if k != "fit_intercept"},
        "degree": [Interval(Integral, 1, None, closed="left")],
        "scaling": [StrOptions({"standard", "factorial"}), None],
        "interaction_only": ["boolean"],
        "solver": [StrOptions({"auto", "sgd", "adam", "lbfgs"}), type],
    }

    fit = LinearRegressorNN.fit
    _exact_solver = LinearRegressorNN._exact_solver

    def __init__(
        self,
        degree=2,
        alpha=1e-3,
        l1_ratio=0.0,
        *,
        scaling="standard",
        interaction_only=False,
        solver="auto",
        learning_rate_init=0.01,
        learning_rate="constant",
        batch_size="auto",
        max_iter=None,
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
        **kwargs,
    ):
        self.degree = degree
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.scaling = scaling
        self.interaction_only = interaction_only
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
        self._set_extra_params(kwargs)

    def _build_module(self, n_features, n_outputs):
        return nn.Linear(n_features, n_outputs, bias=True)

    def _make_criterion(self):
        return HalfSquaredError()

    def _transform_input(self, X, *, fit, sample_weight=None):
        # Powers in float64 whatever X's dtype: x**degree loses digits (or
        # overflows) in float32 long before the scaled result would.
        X = np.asarray(X, dtype=np.float64)
        if fit:
            self.poly_ = PolynomialFeatures(
                degree=self.degree, interaction_only=self.interaction_only,
                include_bias=False).fit(X)
        with np.errstate(over="ignore", invalid="ignore"):
            F = self.poly_.transform(X)
        if not np.isfinite(F).all():
            raise ValueError(
                f"The powers of X up to degree {self.degree} overflow float64 (X has values "
                f"up to {np.abs(X).max():.3g}). Standardise X first, for example "
                "make_pipeline(StandardScaler(), PolyRidge(...)), or lower the degree.")
        if fit:
            n_out = F.shape[1]
            if self.scaling == "standard":
                # weighted like the data term, so that weights equal repeated rows
                scaler = StandardScaler().fit(F, sample_weight=sample_weight)
                self.feature_offset_, self.feature_scale_ = scaler.mean_, scaler.scale_
            elif self.scaling == "factorial":
                self.feature_offset_ = np.zeros(n_out)
                self.feature_scale_ = factorial(self.poly_.powers_).prod(axis=1)
            else:
                self.feature_offset_, self.feature_scale_ = np.zeros(n_out), np.ones(n_out)
        return (F - self.feature_offset_) / self.feature_scale_

    @property
    def powers_(self):
        return self.poly_.powers_

    def get_feature_names_out(self, input_features=None):
        """Name of the monomial each entry of ``coef_`` multiplies.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Names of the input columns; defaults to ``feature_names_in_``
            when ``X`` had column names, else ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            For example ``['x0', 'x1', 'x0^2', 'x0 x1', 'x1^2']``.
        """
        check_is_fitted(self, "poly_")
        if input_features is None:
            input_features = getattr(self, "feature_names_in_", None)
        return self.poly_.get_feature_names_out(input_features)

    @property
    def coef_(self):
        w, _ = self._weights()
        coef = w / self.feature_scale_
        return coef[0] if self._y_ndim == 1 else coef

    @property
    def intercept_(self):
        w, b = self._weights()
        intercept = b - (w / self.feature_scale_) @ self.feature_offset_
        return float(intercept[0]) if self._y_ndim == 1 else intercept


# --------------------------------------------------------------------------
# The L1 part of the penalty: proximal steps
# --------------------------------------------------------------------------
def _soft_threshold_(p, threshold):
    """In place: ``p <- sign(p) * max(|p| - threshold, 0)``, the prox of the L1 norm.

    Computed as ``p - clamp(p, -threshold, threshold)``: the same values
    (zeros as +0.0 where ``sign(p) * ...`` gave -0.0), with one temporary
    instead of four.
    """
    return p.sub_(torch.clamp(p, -threshold, threshold))


class ProximalL1(Callback):
    """Proximal L1 step after every optimizer step (proximal SGD / Adam).

    Soft-thresholds every weight (parameters with ``ndim >= 2``; biases are
    left alone) by ``step * l1``, where ``step`` is the step size the
    optimizer just used. A subgradient of ``|w|`` would leave weights
    oscillating around zero; the proximal step sets them exactly to zero,
    which is what makes L1 select features.

    The threshold follows the optimizer's effective step size, so that a
    weight stays exactly zero when its (averaged) gradient is below ``l1``,
    the lasso's optimality condition. For Adam-type optimizers (state holding
    ``exp_avg_sq``) the step of each coordinate is ``lr / (sqrt(v_hat) + eps)``:
    with the plain ``lr * l1``, Adam's normalised steps, about ``lr`` whatever
    the gradient, would cross the threshold and no weight would stay at
    zero. For SGD with momentum ``m`` the steps settle at ``lr / (1 - m)``
    times the gradient, and the threshold is scaled alike.

    Parameters
    ----------
    l1 : float
        Coefficient of ``||W||_1`` in the objective (``alpha * l1_ratio``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import LinearRegressorNN
    >>> from sklearn_dl.linear_model import ProximalL1
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 5))
    >>> y = 3 * X[:, 0] + rng.normal(scale=0.1, size=200)
    >>> reg = LinearRegressorNN(solver="sgd", n_iter_no_change=5, random_state=0,
    ...                         callbacks=[ProximalL1(0.5)]).fit(X, y)
    >>> (reg.coef_[1:] == 0).all()
    np.True_
    """

    def __init__(self, l1):
        self.l1 = l1

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        # A per-batch LR scheduler steps in on_batch_end, possibly before this
        # callback: remember the rates the coming optimizer step uses.
        if training:
            self.lrs_ = [group["lr"] for group in net.optimizer_.param_groups]

    @torch.no_grad()
    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        if not training or self.l1 <= 0:
            return
        optimizer = net.optimizer_
        for lr, group in zip(self.lrs_, optimizer.param_groups):
            for p in group["params"]:
                if p.ndim < 2 or not p.requires_grad:
                    continue
                state = optimizer.state.get(p, {})
                if "exp_avg_sq" in state and "betas" in group:
                    bias_correction2 = 1.0 - group["betas"][1] ** float(state["step"])
                    denom = (state["exp_avg_sq"] / bias_correction2).sqrt() + group["eps"]
                    _soft_threshold_(p, lr * self.l1 / denom)
                elif group.get("momentum", 0) > 0:
                    # heavy-ball steps settle at lr * (1 - dampening) / (1 - momentum)
                    # times the gradient: threshold on the same scale
                    scale = (1.0 - group.get("dampening", 0.0)) / (1.0 - group["momentum"])
                    _soft_threshold_(p, lr * scale * self.l1)
                else:
                    _soft_threshold_(p, lr * self.l1)


class ProximalGradient(torch.optim.Optimizer):
    """Accelerated proximal gradient (FISTA) for a smooth loss plus ``l1 * ||W||_1``.

    Full-batch and deterministic, like :class:`torch.optim.LBFGS`: one
    ``step(closure)`` runs up to ``max_iter`` iterations. Each iteration is a
    gradient step on the smooth part (the closure's loss: data term plus any
    L2 penalty) followed by soft-thresholding of the weights (``ndim >= 2``),
    with Beck and Teboulle's (2009) backtracking step size and Nesterov
    momentum, restarted whenever it points uphill (O'Donoghue and Candes,
    2015), which makes the method converge linearly on strongly convex
    problems such as the lasso with more samples than features.

    It stops when every entry of the proximal-gradient map
    ``(w - prox(w - t * grad)) / t`` at the current iterate is below
    ``tolerance_grad``: the analogue of L-BFGS's ``tolerance_grad`` (the map
    is the gradient itself when ``l1 = 0``) and zero exactly at the optimum.

    Parameters
    ----------
    params : iterable of tensors or dicts
    lr : float, default=1.0
        Unused; the step size comes from the line search. Accepted so that
        skorch can pass its ``lr``.
    l1 : float, default=0.0
        Coefficient of the L1 norm of the weights.
    max_iter : int, default=200
        Iterations per ``step`` call.
    tolerance_grad : float, default=1e-4
        Stopping tolerance on the proximal-gradient map (max norm).
    """

    #: Full batch with its own step size: there is no learning rate to lower.
    has_line_search = True

    def __init__(self, params, lr=1.0, l1=0.0, max_iter=200, tolerance_grad=1e-4):
        super().__init__(params, dict(lr=lr, l1=l1, max_iter=max_iter,
                                      tolerance_grad=tolerance_grad))
        if len(self.param_groups) != 1:
            raise ValueError("ProximalGradient supports a single parameter group.")
        # Like LBFGS: one flat list, global state kept under its first tensor.
        self._params = self.param_groups[0]["params"]

    def _evaluate(self, closure, point):
        for p, v in zip(self._params, point):
            p.copy_(v)
        with torch.enable_grad():
            loss = float(closure().detach())
        grads = [p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p)
                 for p in self._params]
        return loss, grads

    def _prox_step(self, point, grads, t, l1):
        out = []
        for v, g in zip(point, grads):
            z = v - t * g
            if l1 > 0 and v.ndim >= 2:
                _soft_threshold_(z, t * l1)
            out.append(z)
        return out

    def _initial_step(self, closure, x, g):
        """``1 / L`` with ``L`` the curvature along the gradient (one probe)."""
        g_norm = math.sqrt(sum(float(gi.pow(2).sum()) for gi in g))
        if g_norm == 0:
            return 1.0
        x_norm = math.sqrt(sum(float(xi.pow(2).sum()) for xi in x))
        eps = 1e-4 * max(x_norm, 1.0) / g_norm
        _, g2 = self._evaluate(closure, [xi - eps * gi for xi, gi in zip(x, g)])
        dg = math.sqrt(sum(float((a - b).pow(2).sum()) for a, b in zip(g2, g)))
        return 1.0 if dg == 0 else eps * g_norm / dg

    @torch.no_grad()
    def step(self, closure):
        """Run up to ``max_iter`` iterations; return the loss at the start.

        Parameters
        ----------
        closure : callable
            Re-evaluates the smooth loss, calls ``backward`` and returns it.
        """
        group = self.param_groups[0]
        l1, max_iter, tol = group["l1"], group["max_iter"], group["tolerance_grad"]
        state = self.state[self._params[0]]
        x = [p.detach().clone() for p in self._params]
        f_y, g_y = self._evaluate(closure, x)
        first_loss = f_y
        if not math.isfinite(f_y):
            # nothing to descend from: the convergence guard reports it at epoch end
            return torch.tensor(first_loss)
        t = state.get("step_size") or self._initial_step(closure, x, g_y)
        y, theta, n_iter, converged, gmap = x, 1.0, 0, False, math.inf
        while n_iter < max_iter:
            n_iter += 1
            for _ in range(60):  # backtracking: halve t until the quadratic bound holds
                z = self._prox_step(y, g_y, t, l1)
                f_z, g_z = self._evaluate(closure, z)
                d = [a - b for a, b in zip(z, y)]
                bound = (f_y + sum(float((g * di).sum()) for g, di in zip(g_y, d))
                         + sum(float(di.pow(2).sum()) for di in d) / (2 * t))
                # slack for float64 round-off near the optimum, where both sides agree
                if f_z <= bound + 1e-11 * max(1.0, abs(f_y)):
                    break
                t *= 0.5
            if not (t > 0 and math.isfinite(f_z)):
                break  # the step underflowed: the problem is too badly scaled to descend
            z_next = self._prox_step(z, g_z, t, l1)
            gmap = max(float((a - b).abs().max()) for a, b in zip(z, z_next)) / t
            if gmap <= tol:
                x, converged = z, True
                break
            # gradient-based restart: drop the momentum when it opposes the step
            if sum(float(((a - b) * (b - c)).sum()) for a, b, c in zip(y, z, x)) > 0:
                theta = 1.0
            theta_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * theta * theta))
            beta = (theta - 1.0) / theta_next
            x_prev, x, theta = x, z, theta_next
            if beta == 0.0:
                y, f_y, g_y = z, f_z, g_z
            else:
                y = [a + beta * (a - b) for a, b in zip(x, x_prev)]
                f_y, g_y = self._evaluate(closure, y)
        for p, v in zip(self._params, x):
            p.copy_(v)
        state["step_size"] = t
        state["n_iter"] = state.get("n_iter", 0) + n_iter
        if not converged:
            warnings.warn(
                f"Proximal gradient (FISTA, used by solver='lbfgs' when l1_ratio > 0) did "
                f"not converge in max_iter={max_iter} iterations: the largest "
                f"proximal-gradient entry is {gmap:.3g} > tol={tol:g}. Increase max_iter, "
                "or standardise the features.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return torch.tensor(first_loss)
