"""``Ridge``, ``Lasso``, ``ElasticNet`` and ``LogisticRegression`` under scikit-learn's names.

Same parameters, meanings and defaults as :mod:`sklearn.linear_model`'s
classes (plus ``device``), solved exactly in float64 by :mod:`sklearn_dl._exact`,
with the fitted weights in a torch ``nn.Linear`` (``module_``) that predicts.
Imported from :mod:`sklearn_dl.linear_model`.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn import linear_model as _sk
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.utils.class_weight import compute_class_weight
from torch import nn

from . import _exact
from ._base import BaseTorchEstimator, TorchClassifierMixin, TorchRegressorMixin, _validate_data

__all__ = ["Ridge", "Lasso", "ElasticNet", "LogisticRegression"]

_DEVICE = {"device": BaseTorchEstimator._parameter_constraints["device"]}

_DEVICE_DOC = """device : {'auto', 'cpu', 'cuda'} or torch.device, default='auto'
        Not in scikit-learn. Where the ``nn.Linear`` lives and predicts
        ('auto': CUDA when available) and where the torch solvers run."""


class _ExactLinearModel(BaseTorchEstimator):
    """Validation and prediction of :class:`BaseTorchEstimator`, fitting by exact solvers.

    Subclasses define ``fit``; there is no skorch net, no ``partial_fit``.
    """

    def _build_module(self, n_features, n_outputs):
        return nn.Linear(n_features, n_outputs, bias=self.fit_intercept)

    def _param(self, name):
        # BaseTorchEstimator reads 'solver' to pick float32 or float64 inputs;
        # every solver here is float64.
        return "lbfgs" if name == "solver" else super()._param(name)

    def _validate_fit(self, X, y, sample_weight, *, y_numeric, keep_float32=False):
        X, y = _validate_data(self, X, y, reset=True, dtype=[np.float64, np.float32],
                              multi_output=y_numeric, y_numeric=y_numeric)
        if not keep_float32:
            X = np.asarray(X, dtype=np.float64)
        sw = (None if sample_weight is None else _exact.check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True))
        return X, y, sw

    def _sklearn_twin(self, cls):
        """scikit-learn's estimator with the same parameters (all but ``device``)."""
        params = self.get_params(deep=False)
        params.pop("device")
        return cls(**params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


class _ExactRegressor(RegressorMixin, _ExactLinearModel):
    _prepare_target = TorchRegressorMixin._prepare_target
    predict = TorchRegressorMixin.predict

    @property
    def coef_(self):
        w, _ = _exact.linear_weights(self.module_)
        return w[0] if self._y_ndim == 1 else w

    @property
    def intercept_(self):
        _, b = _exact.linear_weights(self.module_)
        return float(b[0]) if self._y_ndim == 1 else b

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class Ridge(_ExactRegressor):
    """Linear least squares with an L2 penalty: scikit-learn's ``Ridge`` on a torch ``nn.Linear``.

    Minimises ``||y - Xw - b||^2 + alpha * ||w||^2`` (with ``sample_weight``,
    ``sum_i sw_i (y_i - x_i w - b)^2``), the objective, parameters and
    defaults of :class:`sklearn.linear_model.Ridge`. With ``solver`` in
    {'auto', 'cholesky', 'svd'} and ``positive=False`` the solution is
    computed in float64 by ``torch.linalg`` on ``device`` (CPU or GPU):
    Cholesky on the smaller Gram matrix (``X^T X`` or ``X X^T``), SVD when
    that fails or ``alpha = 0`` (minimum-norm least squares); the intercept by
    (weighted) centring. The iterative solvers ('lsqr', 'sparse_cg', 'sag',
    'saga', 'lbfgs') and ``positive=True`` run scikit-learn's own solver on
    the CPU; the weights are copied into the layer.

    Parameters
    ----------
    alpha : float or array-like of shape (n_targets,), default=1.0
        Strength of the L2 penalty; one value per target for multi-output y.
    fit_intercept : bool, default=True
    copy_X : bool, default=True
        X is never modified here; kept for scikit-learn's signature.
    max_iter : int, default=None
        Iterations of the iterative solvers (scikit-learn's meaning).
    tol : float, default=1e-4
        Precision of the iterative solvers; unused by the closed forms.
    solver : {'auto', 'svd', 'cholesky', 'lsqr', 'sparse_cg', 'sag', 'saga', 'lbfgs'}, \
default='auto'
        'auto' is 'cholesky' (scikit-learn's choice for dense input).
    positive : bool, default=False
        Force non-negative coefficients (scikit-learn's 'lbfgs').
    random_state : int, RandomState instance or None, default=None
        Used by 'sag' and 'saga'.
    {device}

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : ndarray of shape (n_targets,)
        Iterations of the iterative solvers; 1 for the closed forms (where
        scikit-learn gives None, which its own estimator checks reject).
    solver_ : str
        The solver that ran ('cholesky', 'svd', or scikit-learn's).
    module_ : torch.nn.Linear
        The fitted float64 layer that predicts.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` had string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.linear_model import Ridge
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 3))
    >>> y = X @ [1.0, -2.0, 0.5] + 3.0
    >>> reg = Ridge(alpha=1.0).fit(X, y)
    >>> reg.module_
    Linear(in_features=3, out_features=1, bias=True)
    >>> np.round(reg.coef_, 2), round(reg.intercept_, 2)
    (array([ 0.99, -1.98,  0.5 ]), 3.0)
    """

    _parameter_constraints: dict = {**_sk.Ridge._parameter_constraints, **_DEVICE}

    def __init__(self, alpha=1.0, *, fit_intercept=True, copy_X=True, max_iter=None, tol=1e-4,
                 solver="auto", positive=False, random_state=None, device="auto"):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.positive = positive
        self.random_state = random_state
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : float or array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        X, y, sw = self._validate_fit(X, y, sample_weight, y_numeric=True)
        y2, n_targets = self._prepare_target(y, reset=True)
        alpha = np.asarray(self.alpha, dtype=np.float64)
        if alpha.ndim > 1 or (alpha.ndim == 1 and alpha.shape[0] not in (1, n_targets)):
            raise ValueError(
                f"Number of targets and number of penalties do not correspond: "
                f"{alpha.size} != {n_targets}. Pass one alpha, or one per column of y.")
        if (alpha < 0).any():
            raise ValueError(f"alpha must be non-negative; got {self.alpha!r}.")
        if self.solver in ("auto", "cholesky", "svd") and not self.positive:
            W, b, report = _exact.ridge_solve(
                X, y2, alpha, sample_weight=sw, fit_intercept=self.fit_intercept,
                solver=self.solver, device=self._resolve_device())
            self.n_iter_ = np.ones(n_targets, dtype=np.int32)  # one direct solve
            self.solver_ = report.detail["method"]
        else:
            twin = self._sklearn_twin(_sk.Ridge).fit(X, y, sample_weight=sw)
            W, b = _twin_weights(twin, self._resolve_device())
            self.n_iter_ = twin.n_iter_
            self.solver_ = twin.solver_
        _exact.store_in_linear(self, W, b)
        return self


class ElasticNet(_ExactRegressor):
    """Linear regression with L1 and L2 penalties: scikit-learn's ``ElasticNet`` on a torch ``nn.Linear``.

    Minimises ``1 / (2 n) ||y - Xw - b||^2 + alpha * l1_ratio * ||w||_1
    + 0.5 * alpha * (1 - l1_ratio) * ||w||^2``, with the parameters and
    defaults of :class:`sklearn.linear_model.ElasticNet`, by scikit-learn's
    own coordinate descent (on the CPU, float64), stopped when the duality
    gap is below ``tol`` times the variance of ``y``. The coefficients are
    copied into the ``nn.Linear`` that predicts (on ``device``).

    Parameters
    ----------
    alpha : float, default=1.0
    l1_ratio : float, default=0.5
    fit_intercept : bool, default=True
    precompute : bool or array-like of shape (n_features, n_features), default=False
        Use a precomputed Gram matrix to speed up the sweeps.
    max_iter : int, default=1000
        Coordinate-descent sweeps.
    copy_X : bool, default=True
    tol : float, default=1e-4
        Stop when the duality gap is below ``tol * ||y - mean(y)||^2 / n``.
    warm_start : bool, default=False
        Start from the previous solution.
    positive : bool, default=False
        Force non-negative coefficients.
    random_state : int, RandomState instance or None, default=None
        Used when ``selection='random'``.
    selection : {'cyclic', 'random'}, default='cyclic'
    {device}

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : int or list of int
        Sweeps run (per target).
    dual_gap_ : float or ndarray of shape (n_targets,)
        Duality gap at the end (scikit-learn's units: objective scale).
    module_ : torch.nn.Linear
        The fitted float64 layer that predicts.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` had string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.linear_model import ElasticNet
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 5))
    >>> y = 3 * X[:, 0] + rng.normal(scale=0.1, size=200)
    >>> reg = ElasticNet(alpha=0.1).fit(X, y)
    >>> int((reg.coef_ == 0).sum())
    4
    """

    _parameter_constraints: dict = {**_sk.ElasticNet._parameter_constraints, **_DEVICE}

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, precompute=False,
                 max_iter=1000, copy_X=True, tol=1e-4, warm_start=False, positive=False,
                 random_state=None, selection="cyclic", device="auto"):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.copy_X = copy_X
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.device = device

    def _l1_ratio(self):
        return self.l1_ratio

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, check_input=True):
        """Fit the model by coordinate descent.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : float or array-like of shape (n_samples,), default=None
            Weights of the rows in the squared error (rescaled to sum to
            n_samples, as scikit-learn does).
        check_input : bool, default=True
            Kept for scikit-learn's signature; the input is always checked.

        Returns
        -------
        self : object
        """
        X, y, sw = self._validate_fit(X, y, sample_weight, y_numeric=True)
        y2, n_targets = self._prepare_target(y, reset=True)
        warm = None
        if self.warm_start and hasattr(self, "module_"):
            w, _ = _exact.linear_weights(self.module_)
            warm = w if w.shape == (n_targets, X.shape[1]) else None
        W, b, report = _exact.enet_solve(
            X, y2, self.alpha, self._l1_ratio(), sample_weight=sw,
            fit_intercept=self.fit_intercept, max_iter=self.max_iter, tol=self.tol,
            warm_coef=warm, device=self._resolve_device(), precompute=self.precompute,
            copy_X=self.copy_X, positive=self.positive, random_state=self.random_state,
            selection=self.selection)
        gaps = report.detail["dual_gap"]
        self.n_iter_ = report.n_iter
        self.dual_gap_ = float(gaps[0]) if self._y_ndim == 1 else gaps
        _exact.store_in_linear(self, W, b)
        return self


class Lasso(ElasticNet):
    """Linear regression with an L1 penalty: scikit-learn's ``Lasso`` on a torch ``nn.Linear``.

    Minimises ``1 / (2 n) ||y - Xw - b||^2 + alpha * ||w||_1`` with the
    parameters and defaults of :class:`sklearn.linear_model.Lasso`, by
    scikit-learn's coordinate descent (CPU, float64), stopped by its
    duality-gap rule; the coefficients are copied into the ``nn.Linear``
    that predicts. Parameters and attributes as :class:`ElasticNet`
    (``l1_ratio`` is 1).

    Parameters
    ----------
    alpha : float, default=1.0
    fit_intercept : bool, default=True
    precompute : bool or array-like of shape (n_features, n_features), default=False
    copy_X : bool, default=True
    max_iter : int, default=1000
    tol : float, default=1e-4
    warm_start : bool, default=False
    positive : bool, default=False
    random_state : int, RandomState instance or None, default=None
    selection : {'cyclic', 'random'}, default='cyclic'
    {device}

    Attributes
    ----------
    coef_, intercept_, n_iter_, dual_gap_, module_, n_features_in_, feature_names_in_
        As in :class:`ElasticNet`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.linear_model import Lasso
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 5))
    >>> y = 3 * X[:, 0] + rng.normal(scale=0.1, size=200)
    >>> reg = Lasso(alpha=0.1).fit(X, y)
    >>> round(float(reg.coef_[0]), 1), int((reg.coef_ == 0).sum())
    (2.9, 4)
    """

    _parameter_constraints: dict = {**_sk.Lasso._parameter_constraints, **_DEVICE}

    def __init__(self, alpha=1.0, *, fit_intercept=True, precompute=False, copy_X=True,
                 max_iter=1000, tol=1e-4, warm_start=False, positive=False, random_state=None,
                 selection="cyclic", device="auto"):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.device = device

    def _l1_ratio(self):
        return 1.0


class LogisticRegression(ClassifierMixin, _ExactLinearModel):
    """Logistic regression: scikit-learn's ``LogisticRegression`` on a torch ``nn.Linear``.

    The parameters, meanings and defaults of
    :class:`sklearn.linear_model.LogisticRegression`. Its default, ``solver='lbfgs'``
    with the L2 penalty (``l1_ratio=0``, or none with ``C=np.inf``), runs
    here as SciPy's L-BFGS-B on the same objective
    (``mean cross-entropy + ||W||^2 / (2 * C * n_samples)``; binomial on one
    logit for two classes, multinomial otherwise) with scikit-learn's options
    and stopping rule. On the CPU the loss and gradient come from
    scikit-learn's own loss code in X's precision, so the iterates are
    ``LogisticRegression``'s even when ``max_iter`` stops both unconverged; on
    another ``device`` torch computes them in float64.
    ``class_weight`` becomes sample weights as in scikit-learn. Every other
    combination (another solver, an L1 part, ``dual=True``, the deprecated
    ``penalty``) runs scikit-learn's own solver on the CPU and copies its
    coefficients into the layer.

    What differs: predictions come from the layer's logits, so
    ``predict_proba`` is the softmax (sigmoid for two classes) of
    ``decision_function``, as scikit-learn computes it for every solver but
    'liblinear' on more than two classes (one-vs-rest, whose normalised
    probabilities are not reproduced). ``n_jobs`` and ``verbose`` only reach
    scikit-learn's solvers. Sparse X is refused.

    Parameters
    ----------
    penalty : {'l1', 'l2', 'elasticnet', None}, default='deprecated'
        Deprecated in scikit-learn 1.8; use ``l1_ratio`` and ``C``.
    C : float, default=1.0
        Inverse of the L2 (or elastic-net) penalty strength.
    l1_ratio : float, default=0.0
        Share of L1 in the penalty (0: L2).
    dual : bool, default=False
    tol : float, default=1e-4
        'lbfgs' stops when the largest entry of the projected gradient is
        below ``tol``.
    fit_intercept : bool, default=True
    intercept_scaling : float, default=1
        Used by 'liblinear' only.
    class_weight : dict or 'balanced', default=None
    random_state : int, RandomState instance or None, default=None
    solver : {'lbfgs', 'liblinear', 'newton-cg', 'newton-cholesky', 'sag', 'saga'}, \
default='lbfgs'
    max_iter : int, default=100
    verbose : int, default=0
    warm_start : bool, default=False
        Start 'lbfgs' from the previous coefficients.
    n_jobs : int, default=None
    {device}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : ndarray of shape (1,)
    module_ : torch.nn.Linear
        The fitted float64 layer whose outputs are the logits.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` had string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_dl.linear_model import LogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = LogisticRegression().fit(X, y)
    >>> clf.coef_.shape, round(clf.score(X, y), 2)
    ((3, 4), 0.97)
    """

    _parameter_constraints: dict = {**_sk.LogisticRegression._parameter_constraints, **_DEVICE}

    def __init__(self, penalty="deprecated", *, C=1.0, l1_ratio=0.0, dual=False, tol=1e-4,
                 fit_intercept=True, intercept_scaling=1, class_weight=None, random_state=None,
                 solver="lbfgs", max_iter=100, verbose=0, warm_start=False, n_jobs=None,
                 device="auto"):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.device = device

    _multilabel_ok = False  # multilabel y is refused, as scikit-learn's LogisticRegression does
    _prepare_target = TorchClassifierMixin._prepare_target
    decision_function = TorchClassifierMixin.decision_function
    predict_proba = TorchClassifierMixin.predict_proba
    predict_log_proba = TorchClassifierMixin.predict_log_proba
    predict = TorchClassifierMixin.predict

    def _runs_in_torch(self):
        return (self.solver == "lbfgs" and self.penalty == "deprecated"
                and self.l1_ratio is not None and self.l1_ratio == 0 and not self.dual)

    @property
    def coef_(self):
        return _exact.linear_weights(self.module_)[0]

    @property
    def intercept_(self):
        return _exact.linear_weights(self.module_)[1]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        # X's precision is kept, as scikit-learn's LogisticRegression keeps it
        X, y, sw = self._validate_fit(X, y, sample_weight, y_numeric=False, keep_float32=True)
        y_enc, _ = self._prepare_target(y, reset=True)
        device = self._resolve_device()
        if not self._runs_in_torch():
            twin = self._sklearn_twin(_sk.LogisticRegression).fit(X, y, sample_weight=sw)
            W, b = _twin_weights(twin, device)
            self.n_iter_ = np.asarray(twin.n_iter_)
            _exact.store_in_linear(self, W, b)
            return self
        if self.class_weight is not None:
            cw = compute_class_weight(self.class_weight, classes=self.classes_, y=y,
                                      sample_weight=sw)
            sw = cw[y_enc] * (1.0 if sw is None else sw)
        total = len(X) if sw is None else float(sw.sum())
        l2 = 0.0 if self.C == np.inf else 1.0 / (self.C * total)
        w0 = None
        k = 1 if len(self.classes_) == 2 else len(self.classes_)
        if self.warm_start and hasattr(self, "module_"):
            w, b = _exact.linear_weights(self.module_)
            if w.shape == (k, X.shape[1]):
                w0 = np.hstack([w, b[:, None]]) if self.fit_intercept else w
        W, b, report = _exact.logistic_lbfgs(
            X, y_enc, len(self.classes_), l2, sample_weight=sw,
            fit_intercept=self.fit_intercept, max_iter=self.max_iter, tol=self.tol, w0=w0,
            device=device)
        self.n_iter_ = np.array([report.n_iter], dtype=np.int32)
        _exact.store_in_linear(self, W, b)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


def _twin_weights(twin, device):
    W = np.atleast_2d(np.asarray(twin.coef_, dtype=np.float64))
    b = np.broadcast_to(np.asarray(twin.intercept_, dtype=np.float64), (W.shape[0],))
    return (torch.as_tensor(np.ascontiguousarray(W), device=device),
            torch.as_tensor(np.ascontiguousarray(b), device=device))


for _cls in (Ridge, ElasticNet, Lasso, LogisticRegression):
    _cls.__doc__ = _cls.__doc__.replace("{device}", _DEVICE_DOC)
del _cls
