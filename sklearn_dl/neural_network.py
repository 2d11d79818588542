"""Neural networks: drop-in MLPs and estimators around any torch module.

- :class:`MLPClassifier` and :class:`MLPRegressor` take every parameter of
  scikit-learn's estimators of the same name, with the same meaning and
  defaults, plus ``dropout``, ``device``, ``init`` and ``callbacks``.
- :class:`TorchClassifier` and :class:`TorchRegressor` train any
  ``torch.nn.Module``, given as an instance or as a class/factory whose
  keyword arguments are estimator parameters named ``module__<name>``.
"""

from __future__ import annotations

import copy
import inspect
from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.metaestimators import available_if
from torch import nn

from . import _multilabel, _weights
from ._base import BaseTorchEstimator, TorchClassifierMixin, TorchRegressorMixin
from ._extra_params import accepted_keywords
from ._nd_input import NDInputMixin
from .modules import ACTIVATIONS, MLP

__all__ = ["MLPClassifier", "MLPRegressor", "TorchClassifier", "TorchRegressor"]


class HalfMeanSquaredError(nn.Module):
    """``0.5 * mean of (y_pred - y)**2`` over rows and outputs: scikit-learn MLP's squared loss."""

    def forward(self, y_pred, y_true):
        # one fused node instead of sub/pow/mean; on CPU the value and the
        # gradient are bit-identical to 0.5 * (y_pred - y_true).pow(2).mean()
        return 0.5 * nn.functional.mse_loss(y_pred, y_true)


class HalfPoissonDeviance(nn.Module):
    """Half the Poisson deviance with a log link, as scikit-learn's ``MLPRegressor(loss='poisson')``.

    The module outputs ``z = log(mu)``; the loss is the mean over rows of
    ``sum over outputs of y*log(y/mu) - y + mu``, which is 0 at a perfect fit.
    """

    def forward(self, z, y_true):
        return (torch.exp(z) - y_true * z + torch.xlogy(y_true, y_true) - y_true).sum(1).mean()


# --------------------------------------------------------------------------
# MLPClassifier / MLPRegressor
# --------------------------------------------------------------------------
class _MLPBase(BaseTorchEstimator):
    """The MLP estimators' shared parameters, module and fitted attributes."""

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
    }

    def _build_module(self, n_features, n_outputs):
        module = MLP(n_features, n_outputs, hidden_layer_sizes=self.hidden_layer_sizes,
                     activation=self.activation, dropout=self.dropout)
        if isinstance(self.init, str) and self.init == "default":
            _weights.sklearn_init(module, self.activation, self.random_state)
        return module

    def _out_activation(self):
        raise NotImplementedError

    def _set_fitted_attributes(self, *args, **kwargs):
        super()._set_fitted_attributes(*args, **kwargs)
        self.n_layers_ = len(self.module_.linears) + 1
        self.n_outputs_ = self.module_.output.out_features
        self.out_activation_ = self._out_activation()
        # scikit-learn's convention: the attributes of the other stopping rule are None
        if self.early_stopping:
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None

    @property
    def coefs_(self):
        """Weights per layer, ``coefs_[i]`` of shape (units in layer i, units in layer i+1).

        A copy in the model's precision. Assigning a list of arrays writes
        them into the module (see :mod:`sklearn_dl._weights`); assigned before
        the first ``fit``/``partial_fit``, they are the starting weights.
        """
        return _weights.get_layers(self, "coefs_")

    @coefs_.setter
    def coefs_(self, value):
        _weights.set_layers(self, "coefs_", value)

    @property
    def intercepts_(self):
        """Biases per layer, ``intercepts_[i]`` of shape (units in layer i+1,); settable as ``coefs_``."""
        return _weights.get_layers(self, "intercepts_")

    @intercepts_.setter
    def intercepts_(self, value):
        _weights.set_layers(self, "intercepts_", value)

    def _stochastic_solver(self):
        """scikit-learn's rule: ``partial_fit`` exists only for the minibatch solvers."""
        if self.solver == "lbfgs":
            raise AttributeError(
                f"partial_fit is not available for solver='lbfgs' (a full-batch solver); "
                "use solver='sgd' or 'adam'.")
        return True

    def _make_net(self, *args, **kwargs):
        net, train_ds = super()._make_net(*args, **kwargs)
        _weights.write_pending(self, net.module_)
        return net, train_ds


_MLP_PARAMS_DOC = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,) or int, default=(100,)
        The ith element is the number of units in the ith hidden layer.
    activation : {'relu', 'identity', 'logistic', 'sigmoid', 'tanh', 'gelu'}, default='relu'
        Activation of the hidden layers: scikit-learn's four, 'sigmoid' as an
        alias of 'logistic', and 'gelu'.
    solver : {'adam', 'sgd', 'lbfgs'}, torch.optim.Optimizer subclass or partial, default='adam'
        'adam' and 'sgd' train on minibatches; 'lbfgs' is full-batch L-BFGS
        (in float64). An optimizer class (e.g. ``torch.optim.AdamW``) or a
        ``functools.partial`` of one (``partial(torch.optim.AdamW,
        weight_decay=0.01)``) is called with the parameters,
        ``lr=learning_rate_init`` and the ``optimizer__*`` parameters.
    alpha : float, default=0.0001
        Strength of the L2 penalty, scikit-learn MLP's meaning: the loss gets
        ``0.5 * alpha * ||W||^2 / batch_size`` over all weights (not biases).
    batch_size : int or 'auto', default='auto'
        Minibatch size; 'auto' is ``min(200, n_samples)``. Ignored by 'lbfgs'.
    learning_rate : {'constant', 'invscaling', 'adaptive', 'one_cycle', 'cosine'}, default='constant'
        Step-size schedule: scikit-learn's three, plus torch's one-cycle and
        cosine annealing (stepped per batch over ``max_iter`` epochs).
    learning_rate_init : float, default=0.001
        Initial step size of 'sgd', 'adam' or the optimizer class.
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.
    max_iter : int, default=200
        Epochs for 'sgd'/'adam'; iterations for 'lbfgs'.
    shuffle : bool, default=True
        Shuffle the rows each epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the validation
        split; the global torch and numpy random states are left untouched.
    tol : float, default=1e-4
        Training stops when the loss (or validation score with early
        stopping) improves by less than ``tol`` for ``n_iter_no_change`` epochs.
    verbose : bool or int, default=False
        Print a table of epochs (2 adds a progress bar).
    warm_start : bool, default=False
        Continue from the previous fit's weights and optimizer state. This is
        also the way to train from weights of your own (fit once, load them
        with ``est.module_.load_state_dict(...)``, fit again) and to train
        only some layers: ``est.module_.linear1.requires_grad_(False)``
        before the next ``fit`` freezes that layer (it gets no gradient, so
        neither the optimizer nor ``alpha`` changes it).
    momentum : float, default=0.9
        Momentum of 'sgd'.
    nesterovs_momentum : bool, default=True
        Nesterov momentum for 'sgd' when ``momentum > 0``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when
        the validation score stops improving; the best weights are restored.
    validation_fraction : float, default=0.1
        Share of the data held out when ``early_stopping=True``.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's moment decay rates.
    epsilon : float, default=1e-8
        Adam's numerical stabiliser.
    n_iter_no_change : int, default=10
        Patience (epochs) of the stopping rules above.
    max_fun : int, default=15000
        Most loss evaluations of 'lbfgs'.
    dropout : float or array-like of float, default=0.0
        Dropout probability after each hidden layer (one value for all, or
        one per hidden layer, e.g. the seed's ``(0.2, 0.5)``). Active while
        training only: ``predict`` is deterministic.
    device : {'auto', 'cpu', 'cuda', 'mps'} or torch.device, default='auto'
        Where the network trains and predicts; 'auto' picks CUDA when available.
        Any spelling ``torch.device`` accepts ('cuda:1', ``torch.device('cuda')``);
        a device this machine lacks raises a ValueError listing those it has.
    init : str, callable or dict, default='default'
        Weight initialisation: 'default' is scikit-learn's MLP initialisation
        (weights and biases uniform in +-sqrt(6 / (fan_in + fan_out)), 2 instead
        of 6 for 'logistic'), so that the same data start from the same kind
        of weights as scikit-learn's estimator; otherwise a name from
        :data:`sklearn_dl.init.INIT_SCHEMES` ('normal' is the seed's
        N(0, 0.01^2)), a callable applied with ``module.apply``, or a dict of
        those keyed by layer name (``'linear1'``, ..., ``'output'``).
    callbacks : list of skorch callbacks or (name, callback) pairs, default=None
        Extra skorch callbacks, copied at each fit.
    **kwargs
        ``optimizer__<name>=value``: keyword arguments of the optimizer
        (skorch's convention), e.g. ``optimizer__weight_decay=1e-4`` or
        ``optimizer__betas=(0.9, 0.99)``. They replace what the estimator
        derives from its own parameters (``betas`` from ``beta_1`` and
        ``beta_2``, ...) and are estimator parameters: ``get_params``,
        ``set_params``, ``clone`` and ``GridSearchCV`` reach them.
"""

_MLP_ATTRS_DOC = """
    loss_ : float
        Training loss (data term plus penalty) of the last epoch.
    best_loss_ : float or None
        Smallest training loss; None when ``early_stopping=True``.
    loss_curve_ : list of float
        Training loss per epoch.
    validation_scores_ : list of float or None
        Validation score per epoch with ``early_stopping=True``, else None.
    best_validation_score_ : float or None
        Best of ``validation_scores_``, else None.
    t_ : int
        Training samples seen by the solver, as in scikit-learn (rows of
        every training batch, summed over epochs and training calls).
    coefs_ : list of ndarray
        ``coefs_[i]`` has shape (units in layer i, units in layer i+1), as in
        scikit-learn (the transpose of ``nn.Linear.weight``).
    intercepts_ : list of ndarray
        ``intercepts_[i]`` has shape (units in layer i+1,).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` had string column names.
    n_iter_ : int
        Epochs run (L-BFGS iterations for 'lbfgs').
    n_layers_ : int
        Layers including input and output.
    n_outputs_ : int
        Output units.
    out_activation_ : str
        How outputs are read: 'logistic', 'softmax', 'identity' or 'exp'.
    module_ : sklearn_dl.modules.MLP
        The trained torch network (layers ``linear1, act1, [dropout1], ..., output``):
        ``module_.named_parameters()`` and ``module_.state_dict()`` reach
        every parameter by name.
    net_ : skorch.NeuralNet
        The skorch net that trained it.
    history_ : skorch.History
        Per-epoch record of training.
"""


class MLPClassifier(TorchClassifierMixin, _MLPBase):
    __doc__ = """Multi-layer perceptron classifier in PyTorch, a drop-in for scikit-learn's.

    Same parameters, defaults and fitted attributes as
    :class:`sklearn.neural_network.MLPClassifier` (swap the import and
    nothing else changes), trained by torch through skorch, plus dropout,
    a device, initialisation schemes and callbacks. Two classes use one
    logistic output; more use a softmax over one output per class, trained
    with cross-entropy plus the L2 penalty ``alpha``.

    Differences from scikit-learn: ``fit`` takes no ``sample_weight``, and
    multilabel targets (a 2-D indicator ``y``) are refused.

    Parameters
    ----------""" + _MLP_PARAMS_DOC + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.""" + _MLP_ATTRS_DOC + """
    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn_dl import MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(64,), dropout=0.2, max_iter=50,
    ...                     random_state=0).fit(X_train, y_train)
    >>> clf.score(X_test, y_test) > 0.9
    True
    >>> [c.shape for c in clf.coefs_]
    [(64, 64), (64, 10)]
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        device="auto",
        init="default",
        callbacks=None,
        **kwargs,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.device = device
        self.init = init
        self.callbacks = callbacks
        self._set_extra_params(kwargs)

    _multilabel_ok = True
    partial_fit = available_if(_MLPBase._stochastic_solver)(TorchClassifierMixin.partial_fit)

    def _out_activation(self):
        return "logistic" if len(self.classes_) == 2 or _multilabel.active(self) else "softmax"


class MLPRegressor(TorchRegressorMixin, _MLPBase):
    __doc__ = """Multi-layer perceptron regressor in PyTorch, a drop-in for scikit-learn's.

    Same parameters, defaults and fitted attributes as
    :class:`sklearn.neural_network.MLPRegressor`, trained by torch through
    skorch, plus dropout, a device, initialisation schemes and callbacks.
    Identity output and half the mean squared error (or a log link and half
    the Poisson deviance), plus the L2 penalty ``alpha``.

    Difference from scikit-learn: ``fit`` takes no ``sample_weight``.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        'squared_error' trains ``0.5 * mean((y - y_pred)**2)``; 'poisson'
        predicts ``exp`` of the network's output and trains half the Poisson
        deviance (``y`` must be non-negative).""" + _MLP_PARAMS_DOC + """
    Attributes
    ----------""" + _MLP_ATTRS_DOC + """
    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn_dl import MLPRegressor
    >>> X, y = make_regression(n_samples=300, n_features=5, noise=1.0, random_state=0)
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=300,
    ...                    random_state=0).fit(X, y / 100)
    >>> reg.score(X, y / 100) > 0.95
    True
    """

    _parameter_constraints: dict = {
        **_MLPBase._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        device="auto",
        init="default",
        callbacks=None,
        **kwargs,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.device = device
        self.init = init
        self.callbacks = callbacks
        self._set_extra_params(kwargs)

    partial_fit = available_if(_MLPBase._stochastic_solver)(TorchRegressorMixin.partial_fit)

    def _out_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _prepare_target(self, y, *, reset, classes=None):
        y_enc, n_outputs = super()._prepare_target(y, reset=reset, classes=classes)
        if self.loss == "poisson" and (y_enc < 0).any():
            raise ValueError("Some value(s) of y are negative which is not allowed for "
                             "Poisson regression (loss='poisson'); use "
                             "loss='squared_error' or shift y.")
        return y_enc, n_outputs

    def _make_criterion(self):
        return HalfPoissonDeviance() if self.loss == "poisson" else HalfMeanSquaredError()

    def _forward(self, X):
        out = super()._forward(X)
        return out.exp() if self.loss == "poisson" else out

    def _score_outputs(self, outputs, y, sample_weight=None):
        if self.loss == "poisson":
            outputs = outputs.exp()
        return super()._score_outputs(outputs, y, sample_weight=sample_weight)


# --------------------------------------------------------------------------
# TorchClassifier / TorchRegressor: any module
# --------------------------------------------------------------------------
def _is_bce(criterion):
    bce = (nn.BCEWithLogitsLoss,)
    return (isinstance(criterion, bce) or criterion is nn.functional.binary_cross_entropy_with_logits
            or (isinstance(criterion, type) and issubclass(criterion, bce)))


class _LossFunction(nn.Module):
    """A loss given as a function, as the ``nn.Module`` skorch expects.

    ``forward(output, target)`` returns ``fn(output, target, **kwargs)``,
    ``kwargs`` being the estimator's ``criterion__<name>`` parameters.
    """

    def __init__(self, fn, **kwargs):
        super().__init__()
        self.fn = fn
        self.kwargs = kwargs

    def forward(self, y_pred, y_true):
        return self.fn(y_pred, y_true, **self.kwargs)

    def extra_repr(self):
        name = getattr(self.fn, "__qualname__", repr(self.fn))
        return ", ".join([name] + [f"{k}={v!r}" for k, v in self.kwargs.items()])


class _FlatTarget(nn.Module):
    """The criterion of a module with one output per sample, shape (n_samples,).

    Calls ``criterion(output, target[:, 0])``: the single-target regression
    target has shape (n_samples, 1).
    """

    def __init__(self, criterion):
        super().__init__()
        self.criterion = criterion

    def forward(self, y_pred, y_true):
        if y_pred.ndim == 1 and y_true.ndim == 2 and y_true.shape[1] == 1:
            y_true = y_true[:, 0]
        return self.criterion(y_pred, y_true)


class _TorchModuleBase(NDInputMixin, BaseTorchEstimator):
    """``module`` as instance or factory, ``module__*`` / ``criterion__*`` parameters.

    ``X`` may have any number of dimensions (images, sequences): the module
    receives the samples in the shape they were given (see ``_nd_input.py``).
    """

    _EXTRA_PREFIXES = ("module__", "criterion__", "optimizer__")

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        "module": [None, callable],
        "criterion": [None, callable],
    }

    # ---- module ------------------------------------------------------------
    def _build_module(self, n_features, n_outputs):
        # the values per sample: the module's input width for 2-D X
        input_shape = tuple(getattr(self, "input_shape_", None) or (n_features,))
        n_features = self._n_module_features() if hasattr(self, "input_shape_") else n_features
        kwargs = self._prefixed("module__")
        module = MLP if self.module is None else self.module
        if isinstance(module, nn.Module):
            if kwargs:
                raise ValueError(
                    f"module__ parameters {sorted(kwargs)} only apply when module is a class "
                    "or factory, but module is an instance; pass its class instead, or drop "
                    "the module__ parameters.")
            # fit must not mutate the user's module (and clone must stay cheap)
            net = copy.deepcopy(module)
        else:
            accepted = accepted_keywords(module)
            filled = [("n_features", n_features), ("n_outputs", n_outputs)]
            if len(input_shape) > 1:  # for flat X the module's own input_shape holds
                filled.append(("input_shape", input_shape))
            for name, value in filled:
                if name not in kwargs and accepted is not None and name in accepted:
                    kwargs[name] = value
            net = module(**kwargs)
            if not isinstance(net, nn.Module):
                raise ValueError(
                    f"module={module!r} returned {type(net).__name__}, not a torch.nn.Module. "
                    "Pass an nn.Module instance, an nn.Module class, or a function "
                    "returning one.")
        self._check_module_output(net, input_shape, n_outputs)
        return net

    def _accepts_flat_output(self, n_outputs):
        """Whether a module may return shape (n_samples,) instead of (n_samples, 1)."""
        return False

    def _check_module_output(self, net, input_shape, n_outputs):
        """One forward pass on two zero samples so a wrong shape fails early and clearly."""
        first = next(iter(net.parameters()), None)
        dtype = first.dtype if first is not None and first.is_floating_point() else torch.float32
        device = first.device if first is not None else torch.device("cpu")
        was_training = net.training
        net.eval()
        try:
            with torch.no_grad():
                out = net(torch.zeros((2,) + input_shape, dtype=dtype, device=device))
        except RuntimeError as exc:
            if len(input_shape) == 1:
                hint = (f"Its first layer must take {input_shape[0]} inputs; a class or factory "
                        "with an n_features argument receives it from the data.")
            else:
                hint = ("It receives X as given, samples of shape "
                        f"{input_shape}; a class or factory with an input_shape argument "
                        "receives it from the data.")
            what = (f"with {input_shape[0]} features" if len(input_shape) == 1
                    else f"of shape {(2,) + input_shape}")
            raise ValueError(f"The module failed on input {what}: {exc}. {hint}") from exc
        finally:
            net.train(was_training)
        self._flat_output = bool(isinstance(out, torch.Tensor) and out.shape == (2,)
                                 and self._accepts_flat_output(n_outputs))
        if self._flat_output:
            return
        if not isinstance(out, torch.Tensor) or out.shape != (2, n_outputs):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(
                f"The module returned {shape} for 2 samples; {self._outputs_needed(n_outputs)}"
                f" so it must return shape (2, {n_outputs}). A class or factory with an "
                "n_outputs argument receives it from the data.")

    # ---- criterion -----------------------------------------------------------
    def _custom_criterion(self):
        kwargs = self._prefixed("criterion__")
        crit = self.criterion
        if isinstance(crit, nn.Module):
            if kwargs:
                raise ValueError(
                    f"criterion__ parameters {sorted(kwargs)} only apply when criterion is a "
                    "class or a function; pass nn.CrossEntropyLoss rather than "
                    "nn.CrossEntropyLoss().")
            return copy.deepcopy(crit)
        if isinstance(crit, type):
            return crit(**kwargs)
        # a loss function (torch.nn.functional.mse_loss, a lambda, ...)
        try:
            inspect.signature(crit).bind(None, None, **kwargs)
        except TypeError as exc:
            extra = "".join(f", {k}=..." for k in kwargs)
            raise ValueError(
                f"criterion={crit!r} is a function, so it is called as "
                f"criterion(module_output, target{extra}) (keywords from the criterion__ "
                f"parameters), which its signature does not accept: {exc}. Pass a loss "
                "function of that form, or a loss class such as nn.MSELoss.") from None
        except ValueError:  # no signature to inspect (some builtins): call it as it is
            pass
        return _LossFunction(crit, **kwargs)


_TORCH_PARAMS_DOC = """
    module : torch.nn.Module, class, callable or None, default=None
        The network, mapping a float tensor of shape (n_samples, n_features)
        to shape (n_samples, n_outputs).

        - A class or factory is called at each ``fit`` with the
          ``module__<name>`` parameters as keyword arguments; if it accepts
          ``n_features`` / ``n_outputs`` and they are not given, they are
          filled in from the data.
        - An instance is deep-copied at each ``fit`` and trained from its
          current weights (warm start from given weights; leave
          ``init='default'`` to keep them). The instance itself is never
          modified; the trained copy is ``module_``.
        - None trains :class:`sklearn_dl.modules.MLP` (one hidden layer of
          100 ReLU units unless ``module__hidden_layer_sizes`` etc. say otherwise).

        Parameters with ``requires_grad=False`` are frozen: they get no
        gradient, so no optimizer step and no ``alpha`` penalty changes them.
        Layers used twice (tied weights) stay one object.
    criterion : torch.nn.Module, class, callable or None, default=None
        The loss, called as ``criterion(module_output, target)``. A class is
        called with the ``criterion__<name>`` parameters; an instance is
        deep-copied. A function (``torch.nn.functional.huber_loss``, a
        lambda) is the loss itself, called as
        ``criterion(module_output, target, **criterion_kwargs)`` with the
        ``criterion__<name>`` parameters as keywords; it must return a scalar.
    **kwargs
        ``module__<name>=value``, ``criterion__<name>=value`` and
        ``optimizer__<name>=value``: keyword arguments of the module, of the
        criterion (class or function) and of the optimizer (skorch's convention).
        They are estimator parameters: ``get_params``, ``set_params``, ``clone`` and
        ``GridSearchCV(param_grid={'module__hidden': [32, 64]})`` reach them.
    solver : {'adam', 'sgd', 'lbfgs'} or torch.optim.Optimizer subclass, default='adam'
    alpha : float, default=0.0
        L2 penalty on all weight matrices, scikit-learn MLP's meaning
        (``0.5 * alpha * ||W||^2 / batch_size`` added to the loss).
    batch_size, learning_rate, learning_rate_init, power_t, max_iter, shuffle, \
random_state, tol, verbose, warm_start, momentum, nesterovs_momentum, early_stopping, \
validation_fraction, beta_1, beta_2, epsilon, n_iter_no_change, max_fun, device, init, callbacks
        As in :class:`MLPClassifier`; ``init`` names refer to the module's
        own submodule names.
"""

_TORCH_ATTRS_DOC = """
    module_ : torch.nn.Module
        The trained module: ``module_.named_parameters()`` and
        ``module_.state_dict()`` reach its parameters by name.
    net_ : skorch.NeuralNet
    history_ : skorch.History
    loss_, best_loss_, loss_curve_, n_iter_, t_, n_features_in_, feature_names_in_
        As in :class:`MLPClassifier`.
    validation_scores_, best_validation_score_ : list of float, float
        Defined when ``early_stopping=True``.
    n_outputs_ : int
        Columns of the module's output.
"""


class TorchClassifier(TorchClassifierMixin, _TorchModuleBase):
    __doc__ = """Classifier around any torch module that outputs one score per class.

    The module's outputs are read as logits (or log-probabilities: the
    softmax of log-probabilities is the probabilities themselves), so
    ``predict_proba`` is their softmax and ``predict`` their argmax.

    Targets: with ``criterion=None``, two classes use one output and
    ``BCEWithLogitsLoss``, more classes one output per class and
    ``CrossEntropyLoss``. With a criterion of your own, the module has one
    output per class (two for two classes) and the criterion receives class
    indices (``torch.long``), e.g. ``nn.NLLLoss`` for a module ending in
    ``nn.LogSoftmax(dim=1)``; ``BCEWithLogitsLoss`` (or
    ``nn.functional.binary_cross_entropy_with_logits``) keeps one output and
    float targets (two classes only).

    Parameters
    ----------""" + _TORCH_PARAMS_DOC + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)""" + _TORCH_ATTRS_DOC + """
    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn_dl import TorchClassifier
    >>> from sklearn_dl.modules import NestMLP
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = TorchClassifier(NestMLP, module__hidden=32, max_iter=20, random_state=0)
    >>> clf.fit(X / 16, y).module_.linear.out_features
    10
    >>> search = GridSearchCV(clf, {"module__hidden": [16, 32]}, cv=2).fit(X / 16, y)
    >>> search.best_params_["module__hidden"] in (16, 32)
    True
    """

    def __init__(
        self,
        module=None,
        *,
        criterion=None,
        solver="adam",
        alpha=0.0,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        device="auto",
        init="default",
        callbacks=None,
        **kwargs,
    ):
        self.module = module
        self.criterion = criterion
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.device = device
        self.init = init
        self.callbacks = callbacks
        self._set_extra_params(kwargs)

    _multilabel_ok = True

    def _single_logit(self):
        return (len(self.classes_) == 2 and not _multilabel.active(self)
                and (self.criterion is None or _is_bce(self.criterion)))

    def _prepare_target(self, y, *, reset, classes=None):
        y_enc, n_labels = super()._prepare_target(y, reset=reset, classes=classes)
        if _multilabel.active(self):  # one sigmoid output per label
            self.n_outputs_ = n_labels
            return y_enc, n_labels
        if _is_bce(self.criterion) and len(self.classes_) > 2:
            raise ValueError(
                f"criterion BCEWithLogitsLoss handles two classes; y has "
                f"{len(self.classes_)}. Use nn.CrossEntropyLoss (or criterion=None).")
        self.n_outputs_ = 1 if self._single_logit() else len(self.classes_)
        return y_enc, self.n_outputs_

    def _outputs_needed(self, n_outputs):
        return (f"the task has {len(self.classes_)} classes and needs {n_outputs} "
                f"output{'s' if n_outputs > 1 else ''} per sample")

    def _target_tensor(self, y):
        if _multilabel.active(self):
            return torch.as_tensor(y, dtype=torch.float32)
        if self._single_logit():
            return torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
        return torch.as_tensor(y, dtype=torch.long)

    def _make_criterion(self):
        if self.criterion is None:
            return super()._make_criterion()
        return self._custom_criterion()

    def decision_function(self, X):
        """Scores: shape (n_samples,) for two classes (log-odds of ``classes_[1]``), else
        (n_samples, n_classes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray
        """
        out = self._checked_forward(X).numpy()
        if _multilabel.active(self):
            return out
        if out.shape[1] == 2:
            return out[:, 1] - out[:, 0]
        return out[:, 0] if out.shape[1] == 1 else out


class TorchRegressor(TorchRegressorMixin, _TorchModuleBase):
    __doc__ = """Regressor around any torch module that outputs one value per target.

    With ``criterion=None`` the loss is ``nn.MSELoss`` (mean over rows and
    targets); any criterion is called as ``criterion(output, y)`` with
    float ``y`` of shape (n_samples, n_targets).

    Parameters
    ----------""" + _TORCH_PARAMS_DOC + """
    Attributes
    ----------""" + _TORCH_ATTRS_DOC + """
    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import TorchRegressor
    >>> from sklearn_dl.modules import tied_mlp
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> y = X @ [1.0, -2.0, 0.5, 0.0]
    >>> reg = TorchRegressor(tied_mlp, module__hidden=16, learning_rate_init=0.01,
    ...                      random_state=0).fit(X, y)
    >>> reg.module_[2].weight is reg.module_[4].weight
    True
    >>> reg.score(X, y) > 0.9
    True
    """

    def __init__(
        self,
        module=None,
        *,
        criterion=None,
        solver="adam",
        alpha=0.0,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        device="auto",
        init="default",
        callbacks=None,
        **kwargs,
    ):
        self.module = module
        self.criterion = criterion
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.device = device
        self.init = init
        self.callbacks = callbacks
        self._set_extra_params(kwargs)

    def _outputs_needed(self, n_outputs):
        return f"y has {n_outputs} target{'s' if n_outputs > 1 else ''}"

    def _accepts_flat_output(self, n_outputs):
        # the common ``squeeze(-1)`` head of a single-target regressor
        return n_outputs == 1

    def _make_criterion(self):
        crit = nn.MSELoss() if self.criterion is None else self._custom_criterion()
        # a (n_samples,) output against a (n_samples, 1) target would broadcast
        # to (n_samples, n_samples) and train on a wrong loss
        return _FlatTarget(crit) if getattr(self, "_flat_output", False) else crit

    def _forward(self, X):
        out = super()._forward(X)
        return out.unsqueeze(1) if out.ndim == 1 else out

    def _score_outputs(self, outputs, y, sample_weight=None):
        return super()._score_outputs(outputs.reshape(len(outputs), -1), y,
                                      sample_weight=sample_weight)
