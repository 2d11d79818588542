"""The one training path shared by every estimator.

``X, y`` are validated with scikit-learn's ``validate_data``, turned into
float32 tensors once, and handed to a skorch :class:`~skorch.NeuralNet` that is
built inside ``fit`` with the estimator's module, criterion and callbacks.
Estimators differ only in the hooks at the bottom of :class:`BaseTorchEstimator`
(``_build_module``, ``_make_criterion``, ``_prepare_target``, ...).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import math
import secrets
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet
from skorch.callbacks import Callback, EpochScoring, LRScheduler
from skorch.dataset import Dataset, unpack_data
from skorch.helper import predefined_split
from skorch.utils import TeeGenerator

from ._doc_link import DocLinkMixin
from ._extra_params import ExtraParamsMixin
from ._progress import ProgressBar
from . import _rng
from ._checks import check_callbacks, check_optimizer_class, check_score_labels, criterion_error
from ._devices import resolve_device
from ._divergence import outputs_finite
from ._predict import all_finite, few_rows_forward, row_multiple
from ._threads import pinned_threads
from . import _multilabel
from ._sample_weight import check_sample_weight, weighted_loss
from ._sparse import SparseRows, dense_batch
from ._stopping import SklearnStopping
from .init import INIT_SCHEMES, apply_init

__all__ = ["BaseTorchEstimator", "TorchClassifierMixin", "TorchRegressorMixin"]

#: Rows per forward pass at predict time: bounds memory, keeps big matmuls.
_PREDICT_CHUNK = 16384
#: Forward passes of small modules at predict time get a multiple of this
#: many rows (the input zero-padded), so that BLAS runs the same kernel for one
#: row as for many (scikit-learn's check_methods_subset_invariance); modules
#: of >= 64k multiply-adds per row are not padded (_predict.row_multiple says
#: why: there it costs ~1.5x and buys no bitwise invariance).
_PREDICT_ROW_MULTIPLE = 8


class InputTypeError(ValueError, TypeError):
    """Input of a type the estimators cannot use: sparse, strings, objects.

    A ``ValueError`` like every other bad-input error here, and a
    ``TypeError`` because that is what scikit-learn raises for these inputs
    (and what its estimator checks expect).
    """


def _validate_data(estimator, X, *args, **kwargs):
    """``validate_data``, with errors for sparse and non-numeric X that say the fix."""
    try:
        return validate_data(estimator, X, *args, **kwargs)
    except (TypeError, ValueError) as exc:
        msg = str(exc)
        name = type(estimator).__name__
        if isinstance(exc, TypeError) and "parse" in msg:  # "Sparse data was passed ..."
            shape = getattr(X, "shape", None)
            size = (f" (as float32 it needs {4 * shape[0] * shape[1] / 2**20:.3g} MiB)"
                    if shape is not None and len(shape) == 2 else "")
            raise InputTypeError(
                f"{name} does not accept sparse input: X is a {type(X).__name__} of shape "
                f"{shape}. The models train on dense tensors; densify it with X.toarray()"
                f"{size}, or reduce it first, e.g. with TruncatedSVD.") from exc
        if "could not convert" in msg or "argument must be" in msg:
            raise InputTypeError(
                f"{name} needs numeric X and y values: {msg}. Encode string or categorical "
                "columns first, e.g. with OneHotEncoder or OrdinalEncoder in a "
                "ColumnTransformer.") from exc
        if isinstance(exc, TypeError):  # e.g. a 0-d y: "Singleton array ..."
            raise InputTypeError(f"{name} got invalid input: {msg}") from exc
        raise


# --------------------------------------------------------------------------
# Data: tensors prepared once, sliced per batch
# --------------------------------------------------------------------------
class TensorBatchIterator:
    """Mini-batches over a skorch ``Dataset`` whose ``X`` and ``y`` are tensors.

    Replaces :class:`torch.utils.data.DataLoader`, whose per-sample
    ``__getitem__`` + ``collate`` dominates the epoch time on small models.
    One permutation per epoch, one index gather per batch; no copy of the
    whole data set (peak memory stays near the size of the data).
    """

    def __init__(self, dataset, batch_size, shuffle=False, generator=None):
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return max(1, math.ceil(len(self.dataset) / self.batch_size))

    def __iter__(self):
        X, y = self.dataset.X, self.dataset.y
        n, bs = len(X), self.batch_size
        if n <= bs:
            yield dense_batch(X), y
            return
        if self.shuffle:
            perm = torch.randperm(n, generator=self.generator).to(X.device)
            for start in range(0, n, bs):
                idx = perm[start:start + bs]
                # index_select, not X[idx]: advanced indexing goes through the
                # generic (multi-threaded) index kernel, 3-10x slower per batch
                # and far worse when the cores are shared (benchmarks/RESULTS.md).
                yield X.index_select(0, idx), _take(y, idx)
        else:
            for start in range(0, n, bs):
                yield X[start:start + bs], _rows_of(y, start, start + bs)


def _take(y, idx):
    """Rows ``idx`` of the target, or of the ``(target, sample_weight)`` pair."""
    if isinstance(y, tuple):
        return tuple(t.index_select(0, idx) for t in y)
    return y.index_select(0, idx)


def _rows_of(y, start, stop):
    return tuple(t[start:stop] for t in y) if isinstance(y, tuple) else y[start:stop]


# --------------------------------------------------------------------------
# The skorch net: skorch's loop plus our penalty and divergence guard
# --------------------------------------------------------------------------
class _Net(NeuralNet):
    """skorch ``NeuralNet`` adding a weight penalty to the training loss.

    ``l2`` is the coefficient of ``0.5 * ||W||^2`` over the weights (parameters
    with two or more dimensions, never biases); with ``l2_per_sample`` it is
    divided by the batch size, scikit-learn MLP's meaning of ``alpha``.
    """

    def __init__(self, *args, l2=0.0, l2_per_sample=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.l2 = l2
        self.l2_per_sample = l2_per_sample

    def _criterion_loss(self, y_pred, y_true):
        try:
            return self.criterion_(y_pred, y_true)
        except torch.OutOfMemoryError:
            raise
        except (RuntimeError, ValueError, IndexError) as exc:  # a criterion of the user's
            raise criterion_error(self.criterion_, y_pred, y_true, exc,
                                  classifier=not y_true.is_floating_point()) from exc

    def get_loss(self, y_pred, y_true, X=None, training=False):
        n = len(y_true)
        if isinstance(y_true, (tuple, list)):  # (target, sample_weight): _sample_weight.py
            y_true, weight = y_true
            loss = weighted_loss(self.criterion_, y_pred, y_true, weight)
            n = weight.sum()  # scikit-learn divides alpha by the weights' sum
        else:
            loss = self._criterion_loss(y_pred, y_true)
        if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
            raise criterion_error(self.criterion_, loss, y_true, None,
                                  classifier=not y_true.is_floating_point())
        if training and self.l2:
            scale = self.l2 / n if self.l2_per_sample else self.l2
            sq = sum(p.pow(2).sum() for p in penalized_parameters(self.module_))
            loss = loss + 0.5 * scale * sq
        return loss

    # ---- fast path: skorch's loop, without the per-batch work nobody uses ----
    # skorch notifies every callback of every batch, builds an optimizer
    # closure and a parameter generator per step, and indexes the history
    # through its generic __getitem__. On small models that Python work costs
    # as much as the math (profile in benchmarks/RESULTS.md). The overrides
    # below keep skorch's order of events and history records; they only skip
    # calls to callback methods that are not overridden (no-ops) and the
    # closure for optimizers that do not need one.
    def _batch_hooks(self, name):
        return [getattr(cb, name) for _, cb in self.callbacks_ if _overrides(cb, name)]

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if iterator is None:
            return
        begin_hooks = self._batch_hooks("on_batch_begin")
        end_hooks = self._batch_hooks("on_batch_end")
        self._grad_hooks = self._batch_hooks("on_grad_computed")
        history = self.history
        # A plain History is a list of dicts: write the batch row directly
        # rather than through History.__getitem__'s generic index parsing.
        plain = isinstance(history, list)
        key_loss, key_size = prefix + "_loss", prefix + "_batch_size"
        batch_count = 0
        for batch in iterator:
            self.on_batch_begin(self, batch=batch, training=training)
            for hook in begin_hooks:
                hook(self, batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            loss, size = step["loss"].item(), batch[0].shape[0]
            if plain:
                row = list.__getitem__(history, -1)["batches"][-1]
                row[key_loss], row[key_size] = loss, size
            else:
                history.record_batch(key_loss, loss)
                history.record_batch(key_size, size)
            self.on_batch_end(self, batch=batch, training=training, **step)
            for hook in end_hooks:
                hook(self, batch=batch, training=training, **step)
            batch_count += 1
        history.record(prefix + "_batch_count", batch_count)

    def train_step_single(self, batch, **fit_params):
        step = super().train_step_single(batch, **fit_params)
        # L-BFGS evaluates the loss many times per step and never recovers from
        # a NaN (its line search keeps extrapolating): without this it spends
        # all max_fun evaluations on NaNs (15000 passes, minutes) before the
        # guard sees the epoch end.
        if isinstance(self.optimizer_, torch.optim.LBFGS) and torch.isnan(step["loss"]):
            guard = dict(self.callbacks_).get("convergence_guard")
            if guard is not None:
                guard._diverge(self, "the training loss became nan")
        return step

    def train_step(self, batch, **fit_params):
        optimizer = self.optimizer_
        if not _closure_free(optimizer):
            step = super().train_step(batch, **fit_params)
            # A closure optimizer (L-BFGS, FISTA) evaluates the loss many times
            # per step and skorch keeps the first value, the loss *before*
            # optimising: record the loss at the weights the step ended on.
            with torch.no_grad():
                Xi, yi = unpack_data(batch)
                y_pred = self.infer(Xi, **fit_params)
                step["loss"] = self.get_loss(y_pred, yi, X=Xi, training=True)
                step["y_pred"] = y_pred
            return step
        # zero_grad(set_to_none=True) without its profiler record_function
        for group in optimizer.param_groups:
            for p in group["params"]:
                p.grad = None
        step = self.train_step_single(batch, **fit_params)
        for hook in getattr(self, "_grad_hooks", ()):
            hook(self, named_parameters=TeeGenerator(self.get_all_learnable_params()),
                 batch=batch, training=True)
        optimizer.step()
        return step


def _optimizer_class(solver):
    """The torch optimizer class ``solver`` names (a class or a partial of one), else None."""
    cls = solver.func if isinstance(solver, functools.partial) else solver
    return cls if isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer) else None


def _overrides(callback, name):
    """Whether ``callback`` overrides the no-op skorch hook ``name``."""
    return getattr(type(callback), name, None) is not getattr(Callback, name, None)


def _closure_free(optimizer):
    """torch's own first-order optimizers step without a closure; LBFGS needs one."""
    cls = type(optimizer)
    return cls.__module__.startswith("torch.optim") and not issubclass(cls, torch.optim.LBFGS)


def penalized_parameters(module):
    """Trainable weights that a penalty applies to: tensors with ndim >= 2."""
    return [p for p in module.parameters() if p.requires_grad and p.ndim >= 2]


class _ConvergenceGuard(Callback):
    """Keep the last completed, finite epoch; fall back to it when training breaks.

    At the start of training and after every epoch whose training loss and
    weights are all finite, keeps a copy of the module's weights, the
    optimizer's state and the shuffling generator's state. Two events roll
    the net back to that copy:

    * Divergence: a NaN or inf batch loss (checked as skorch records it, so
      training stops mid-epoch instead of running on NaN weights) or non-finite
      weights after an epoch (L-BFGS records only its first loss, and a last
      SGD step can overflow after a finite loss). Training stops and a
      :class:`~sklearn.exceptions.ConvergenceWarning` names the epoch and the
      fix. ``fit`` warns rather than raises so that the estimator stays usable
      and a hyper-parameter search scores the setting instead of crashing;
      ``warnings.simplefilter("error", ConvergenceWarning)`` makes it an error.
    * Interruption: a ``KeyboardInterrupt`` (Ctrl-C, or raised by a callback)
      that skorch catches mid-epoch.

    Either way the failed or unfinished epoch is dropped from the history, so
    the estimator, its history and ``n_iter_`` describe the last completed
    finite epoch, and ``warm_start`` / ``partial_fit`` continue from it exactly.

    The copy lives only during training (it is dropped in ``on_train_end``),
    so a fitted estimator pickles without it.
    """

    def __init__(self, link=None):
        self.link = link

    def initialize(self):
        self.snapshot_ = None
        self.initial_ = None
        self.train_X_ = None
        self.diverged_epoch_ = None
        return self

    def _snapshot(self, net):
        generator = getattr(net, "iterator_train__generator", None)
        # One assignment, so an interrupt never leaves a half-made copy.
        self.snapshot_ = (
            len(net.history),
            {k: v.detach().clone() for k, v in net.module_.state_dict().items()},
            _clone_state(net.optimizer_.state_dict()),
            generator.get_state() if generator is not None else None,
        )

    def _restore(self, net, snapshot=None):
        _, weights, optimizer_state, generator_state = snapshot or self.snapshot_
        net.module_.load_state_dict(weights)
        # load_state_dict keeps references to the tensors it is given; a copy
        # keeps the snapshot intact while the optimizer updates in place.
        net.optimizer_.load_state_dict(_clone_state(optimizer_state))
        if generator_state is not None:
            net.iterator_train__generator.set_state(generator_state)

    def on_train_begin(self, net, X=None, **kwargs):
        self.diverged_epoch_ = None
        self._snapshot(net)
        # the fallback when even the last finite epoch overflows on the data
        self.initial_ = self.snapshot_
        self.train_X_ = getattr(X, "X", None)

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            # plain list/dict access: this runs once per batch (see _Net's fast path)
            loss = list.__getitem__(net.history, -1)["batches"][-1]["train_loss"]
            if not math.isfinite(loss):
                self._diverge(net, f"the training loss became {loss}")

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1, "train_loss"]
        if not np.isfinite(loss):
            self._diverge(net, f"the training loss became {loss}")
        # float buffers too: batch norm's running statistics can overflow while
        # the weights stay finite, and predict reads them
        state = list(net.module_.parameters()) + [
            b for b in net.module_.buffers() if b.is_floating_point()]
        if not all(bool(torch.isfinite(t).all()) for t in state):
            self._diverge(net, "the weights became NaN or inf")
        self._snapshot(net)

    def on_train_end(self, net, **kwargs):
        if self.snapshot_ is None:
            return
        n_done = self.snapshot_[0]
        if len(net.history) > n_done:  # diverged, or interrupted mid-epoch
            self._restore(net)
            del net.history[n_done:]
        self._check_outputs(net)
        self.snapshot_ = self.initial_ = self.train_X_ = None

    def _check_outputs(self, net):
        """Fall back to the call's initial weights if the kept ones overflow on the data.

        Every training row is checked after a divergence, a sample otherwise
        (see ``_divergence.py``), so that a fit that warned predicts finite
        outputs on its training data.
        """
        diverged = self.diverged_epoch_ is not None
        if outputs_finite(net.module_, self.train_X_, every_row=diverged,
                          link=getattr(self, "link", None)):
            return
        n_start = self.initial_[0]
        kept = len(net.history)
        self._restore(net, self.initial_)
        del net.history[n_start:]
        self.diverged_epoch_ = kept + 1 if not diverged else self.diverged_epoch_
        start = ("the initial weights" if n_start == 0
                 else f"the weights of epoch {n_start}, where this training call started")
        warnings.warn(
            f"Training diverged: the weights of epoch {kept} are finite but give NaN or inf "
            f"outputs on the training data, so {start} are restored. Use a smaller "
            f"learning_rate_init (it is {net.lr:g}) or standardise X, for example with "
            "StandardScaler.",
            ConvergenceWarning,
            stacklevel=2,
        )

    def _diverge(self, net, what):
        epoch = len(net.history)
        self.diverged_epoch_ = epoch
        kept = (f"the weights of epoch {self.snapshot_[0]}, the last finite one, are "
                "restored" if self.snapshot_[0] else
                "no epoch finished with finite values, so the model keeps its initial weights")
        if isinstance(net.optimizer_, torch.optim.LBFGS) or getattr(
                net.optimizer_, "has_line_search", False):
            fix = ("The exact solver (solver='lbfgs') has no learning rate to lower: standardise X (and y for "
                   "regression), for example with StandardScaler, or increase alpha.")
        else:
            fix = (f"Use a smaller learning_rate_init (it is {net.lr:g}) or standardise "
                   "X, for example with StandardScaler.")
        warnings.warn(
            f"Training diverged at epoch {epoch}: {what}. Training stopped and {kept}. {fix}",
            ConvergenceWarning,
            stacklevel=2,
        )
        raise KeyboardInterrupt  # skorch's way to end the fit loop cleanly


# Small models train and predict on one intra-op thread, pinned per calling
# thread so that fits in threads match sequential ones (see _threads.py).
_few_threads_if_small = pinned_threads


def _clone_state(obj):
    """Copy of a (nested dict/list) state dict with every tensor cloned.

    ``copy.deepcopy`` of an optimizer state dict costs ~0.6 ms per call on a
    small model, most of the guard's per-epoch cost; this is ~10x cheaper.
    """
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, dict):
        return {k: _clone_state(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clone_state(v) for v in obj]
    return copy.deepcopy(obj)


def _valid_score_from_outputs(estimator):
    """An ``EpochScoring`` scorer that scores cached validation outputs."""

    def scorer(net, X, y):
        out = net.forward(X)  # EpochScoring serves this from its cache
        weight = getattr(estimator, "_valid_sample_weight", None)
        return estimator._score_outputs(out, torch.as_tensor(np.asarray(y)),
                                        sample_weight=weight)

    return scorer


# --------------------------------------------------------------------------
# The shared estimator
# --------------------------------------------------------------------------
class BaseTorchEstimator(DocLinkMixin, ExtraParamsMixin, BaseEstimator):
    """Shared base: parameters, validation, training through skorch, predict.

    Not used directly; see :class:`~sklearn_dl.LinearRegressorNN`,
    :class:`~sklearn_dl.SoftmaxClassifier` and the MLP estimators. Subclasses
    declare their parameters in ``__init__`` (scikit-learn convention) and
    implement ``_build_module``.
    """

    _parameter_constraints: dict = {
        "solver": [StrOptions({"sgd", "adam", "lbfgs"}), type, functools.partial],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [
            StrOptions({"constant", "invscaling", "adaptive", "one_cycle", "cosine"})
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "device": [StrOptions({"auto", "cpu", "cuda", "mps"}), torch.device, str],
        "init": [StrOptions(set(INIT_SCHEMES)), callable, dict],
        "callbacks": [list, None],
    }

    # Defaults read with getattr() for parameters a subclass may not expose.
    _defaults = dict(
        power_t=0.5, momentum=0.9, nesterovs_momentum=True, beta_1=0.9, beta_2=0.999,
        epsilon=1e-8, max_fun=15000, early_stopping=False, validation_fraction=0.1,
        n_iter_no_change=10, alpha=0.0, learning_rate="constant", shuffle=True,
        tol=1e-4, verbose=0, warm_start=False, device="auto", init="default",
        callbacks=None, random_state=None,
    )

    # ---- hooks for subclasses --------------------------------------------
    def _build_module(self, n_features, n_outputs):
        """Return a fresh ``torch.nn.Module`` mapping n_features to n_outputs."""
        raise NotImplementedError

    def _make_criterion(self):
        """Return the loss module applied to (module output, encoded target)."""
        raise NotImplementedError

    def _prepare_target(self, y, *, reset):
        """Validate and encode ``y``; return ``(y_encoded, n_outputs)``."""
        raise NotImplementedError

    def _target_tensor(self, y):
        """Encoded target as the tensor the criterion expects."""
        return torch.as_tensor(y, dtype=torch.float32)

    def _score_outputs(self, outputs, y, sample_weight=None):
        """Validation score (higher is better) from module outputs, weighted by ``sample_weight``."""
        raise NotImplementedError

    def _penalty(self):
        """``(l2, per_sample)``: coefficient of 0.5*||W||^2 in the loss."""
        return getattr(self, "alpha", 0.0), True

    def _extra_callbacks(self):
        """Callbacks a subclass always adds (for example a proximal L1 step)."""
        return []

    def _transform_input(self, X, *, fit):
        """Map validated ``X`` to the module's inputs (``fit=True``: learn the map).

        Identity by default; :class:`~sklearn_dl.PolyRidge` expands powers here,
        after ``n_features_in_`` / ``feature_names_in_`` are set from the raw ``X``.
        """
        return X

    # ---- helpers -----------------------------------------------------------
    def _param(self, name):
        return getattr(self, name, self._defaults.get(name))

    def _resolve_device(self):
        return resolve_device(self._param("device"))

    def _auto_batch_size(self, n_samples):
        """Rows per minibatch for ``batch_size='auto'``: scikit-learn's ``min(200, n)``."""
        return 200

    def _batch_size(self, n_samples):
        if self._param("solver") == "lbfgs":
            return n_samples
        bs = self._param("batch_size")
        if bs == "auto":
            return min(self._auto_batch_size(n_samples), n_samples)
        if bs > n_samples:
            warnings.warn(
                f"Got batch_size={bs} larger than the {n_samples} training samples; "
                "it is clipped to the number of samples.",
                UserWarning,
            )
        return min(bs, n_samples)

    def _optimizer(self):
        """Optimizer class and its keyword arguments (without lr).

        SGD and Adam use torch's fused kernels: one kernel per step instead of
        a Python loop or several foreach kernels, 2-3x less time per step with
        momentum or Adam's moments (benchmarks/RESULTS.md).
        """
        solver = self._param("solver")
        if solver == "sgd":
            return torch.optim.SGD, dict(
                momentum=self._param("momentum"),
                nesterov=bool(self._param("nesterovs_momentum") and self._param("momentum") > 0),
                fused=True,
            )
        if solver == "adam":
            return torch.optim.Adam, dict(
                betas=(self._param("beta_1"), self._param("beta_2")),
                eps=self._param("epsilon"),
                fused=True,
            )
        if solver == "lbfgs":
            return torch.optim.LBFGS, dict(
                max_iter=self._param("max_iter"),
                max_eval=self._param("max_fun"),
                tolerance_grad=self._param("tol"),
                tolerance_change=0.0,
                history_size=20,
                line_search_fn="strong_wolfe",
            )
        if _optimizer_class(solver) is not None:
            check_optimizer_class(_optimizer_class(solver))
            # torch's fused kernels run on every device torch has (cpu, cuda, mps, ...)
            # for these three; other classes keep their own defaults.
            fusable = (_optimizer_class(solver) in (torch.optim.SGD, torch.optim.Adam,
                                                    torch.optim.AdamW)
                       and "fused" not in getattr(solver, "keywords", {}))
            return solver, (dict(fused=True) if fusable else {})
        raise ValueError(
            f"solver={solver!r} is not supported: use 'sgd', 'adam', 'lbfgs', a "
            "torch.optim.Optimizer subclass such as torch.optim.AdamW, or a "
            "functools.partial of one (functools.partial(torch.optim.AdamW, weight_decay=0.01))."
        )

    def _scheduler_callbacks(self, n_batches, max_epochs, batch_size):
        policy = self._param("learning_rate")
        if policy == "constant" or self._param("solver") == "lbfgs":
            return []
        # last_epoch=-1: the schedule starts afresh at every training call (see
        # _restart_schedule); skorch would resume it at len(history) - 1, an
        # epoch count, which these per-batch schedules would read as a step.
        if policy == "one_cycle":
            return [("lr_scheduler", LRScheduler(
                torch.optim.lr_scheduler.OneCycleLR, max_lr=self._param("learning_rate_init"),
                total_steps=max(2, n_batches * max_epochs), step_every="batch",
                last_epoch=-1))]
        if policy == "cosine":
            return [("lr_scheduler", LRScheduler(
                torch.optim.lr_scheduler.CosineAnnealingLR, T_max=max(1, n_batches * max_epochs),
                step_every="batch", last_epoch=-1))]
        if policy == "invscaling":
            # scikit-learn: lr = lr_init / (samples seen + 1) ** power_t; the
            # samples seen before each call are set by _continue_schedule.
            return [("lr_scheduler", LRScheduler(
                torch.optim.lr_scheduler.LambdaLR, lr_lambda=None, step_every="batch",
                last_epoch=-1))]
        # 'adaptive' is part of scikit-learn's stopping rule (_stopping.py)
        return []

    def _callbacks(self, n_batches, max_epochs, batch_size, validate):
        verbose = self._param("verbose")
        # the guard checks what predict returns: exp of the outputs for a log link
        link = torch.exp if getattr(self, "_out_activation", lambda: None)() == "exp" else None
        callbacks = [("convergence_guard", _ConvergenceGuard(link=link))]
        if self._param("solver") != "lbfgs":
            # scikit-learn's tol / n_iter_no_change rule, 'adaptive' rate and
            # "Iteration n, loss = ..." lines, exactly (see _stopping.py)
            callbacks.append(("early_stopping", SklearnStopping(
                tol=self._param("tol"), n_iter_no_change=self._param("n_iter_no_change"),
                validate=validate, adaptive=self._param("learning_rate") == "adaptive",
                verbose=bool(verbose))))
        if validate:
            callbacks.insert(0, ("valid_score", EpochScoring(
                _valid_score_from_outputs(self), lower_is_better=False, on_train=False,
                name="valid_score", use_caching=True)))
        callbacks += self._scheduler_callbacks(n_batches, max_epochs, batch_size)
        if verbose and verbose > 1:
            callbacks.append(("progress_bar", ProgressBar()))
        callbacks += list(self._extra_callbacks())
        for i, (name, cb) in enumerate(check_callbacks(self._param("callbacks"))):
            if name is None:
                name = f"user_{i}_{type(cb).__name__}"
            callbacks.append((name, copy.deepcopy(cb)))
        return callbacks

    def _seed(self):
        if self._param("random_state") is None:
            return secrets.randbits(63)
        rs = check_random_state(self._param("random_state"))
        return int(rs.randint(np.iinfo(np.int32).max))

    def _validate_X(self, X, *, reset):
        if not reset and self._is_validated_array(X):
            return self._transform_input(X, fit=False)
        X = _validate_data(self, X, reset=reset, dtype=[np.float32, np.float64],
                           accept_sparse=self._sparse_formats())
        return self._transform_input(X, fit=False)

    def _is_validated_array(self, X):
        """Whether ``validate_data(reset=False)`` would return ``X`` itself, unchanged.

        True for a non-empty, finite float32/float64 ndarray with the fitted
        number of columns, on an estimator fitted without feature names. It
        skips validate_data's generic dispatch (dataframe detection, tags,
        dtype resolution: ~0.1 ms, most of a single-row predict); anything
        else goes through validate_data and its errors.
        """
        if not (type(X) is np.ndarray and X.ndim == 2 and X.shape[0] > 0
                and X.dtype in (np.float32, np.float64)
                and X.shape[1] == getattr(self, "n_features_in_", None)
                and not hasattr(self, "feature_names_in_")):
            return False
        # A finite sum proves every entry finite without a boolean temporary;
        # NaN, inf or an overflowing sum fall back to validate_data's check.
        # Large arrays are summed by torch, on its intra-op threads (about 3x
        # numpy's single-threaded sum on 10,000 x 784); small ones by numpy,
        # whose call costs less.
        if X.size >= 65536 and X.flags.writeable:  # torch warns on read-only arrays
            return bool(torch.from_numpy(X).sum().isfinite())
        with np.errstate(over="ignore", invalid="ignore"):
            return bool(np.isfinite(X.sum()))

    def _dtype(self, dtype=np.float32, device=None):
        """The precision the model trains and predicts in: X's, as scikit-learn's MLPs.

        ``dtype`` is the validated X's. float32 X trains a float32 model (fast, and what GPUs are built for);
        float64 X a float64 one, so that float64 outputs carry float64 precision
        (not float32 results widened). The exact full-batch solver ('lbfgs')
        always works in float64; Apple's 'mps' device has no float64.
        """
        if device is not None and torch.device(device).type == "mps":
            return torch.float32
        if self._param("solver") == "lbfgs" or np.dtype(dtype) == np.float64:
            return torch.float64
        return torch.float32

    def _sparse_formats(self):
        """Sparse formats X may come in (converted to CSR), or False.

        Sparse X is densified one batch at a time (``_sparse.py``); an
        estimator that transforms X first (PolyRidge's powers) needs it dense.
        """
        if type(self)._transform_input is not BaseTorchEstimator._transform_input:
            return False
        return ("csr", "csc")

    @staticmethod
    def _to_tensor(X, device, dtype=torch.float32):
        if sp.issparse(X):
            return SparseRows(X, device, dtype)
        np_dtype = np.float64 if dtype == torch.float64 else np.float32
        source = X
        with np.errstate(over="ignore"):
            X = np.asarray(X, dtype=np_dtype)
        if not X.flags.writeable or not X.flags.c_contiguous:
            X = np.array(X, dtype=np_dtype, order="C")
        if X is not source and not np.isfinite(X).all():
            # validate_data checked finiteness in the input's own dtype
            raise ValueError(
                f"X has values too large for {np_dtype.__name__} (largest |x| is "
                f"{np.abs(np.asarray(source, dtype=np.float64)).max():.3g}; the limit is "
                f"{np.finfo(np_dtype).max:.3g}). Standardise X, for example with "
                "StandardScaler.")
        return torch.from_numpy(X).to(device)

    # ---- public API ----------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the module on ``X, y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (numpy, pandas or anything ``validate_data``
            accepts). Sparse input is refused: densify it with ``.toarray()``.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values (class labels for classifiers).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample: the training loss is the
            weighted mean of the samples' losses (scikit-learn's meaning), and
            with ``early_stopping`` the validation score is weighted too.

        Returns
        -------
        self : object
            The fitted estimator.

        Raises
        ------
        ValueError
            For unusable input (NaN, inf, strings, sparse, wrong shapes, a
            regression target given to a classifier, ...), with the problem
            and the fix in the message (the table in ``docs/errors.md``).

        Warns
        -----
        ConvergenceWarning
            When the loss or the weights become NaN or inf. Training stops,
            the weights of the last finite epoch are restored (so predictions
            stay finite), and the message names the epoch and suggests a
            smaller ``learning_rate_init`` or scaled features. A warning, not
            an error, so that a hyper-parameter search scores the setting;
            ``warnings.simplefilter("error", ConvergenceWarning)`` makes it one.

        Notes
        -----
        Ctrl-C (``KeyboardInterrupt``) during training ends ``fit`` normally:
        the estimator holds the last completed epoch and the history up to
        it, and ``warm_start=True`` or ``partial_fit`` continue from there.
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    def _fit(self, X, y, *, incremental, classes=None, sample_weight=None):
        # An estimator restored by sklearn_dl.load has module_ but no skorch net
        # (nor optimizer state): continuing it trains the loaded weights afresh.
        resumed = hasattr(self, "module_") and not hasattr(self, "net_")
        first_call = not hasattr(self, "net_") and not resumed
        continue_training = (incremental or self._param("warm_start")) and not first_call
        X, y = _validate_data(
            self, X, y, reset=not continue_training, dtype=[np.float32, np.float64],
            accept_sparse=self._sparse_formats(),
            multi_output=True, y_numeric=False,
        )
        input_dtype = X.dtype  # the model's precision follows the input's, not a transform's
        sample_weight = check_sample_weight(sample_weight, X)
        X = self._transform_input(X, fit=not continue_training)
        if continue_training and not incremental:
            self._check_warm_start_target(y)
        y_enc, n_outputs = self._prepare_target(y, reset=not continue_training, classes=classes)
        device = self._resolve_device()
        seed = self._seed()
        # The call's own generators (initialisation, dropout); torch's global
        # RNG is never seeded nor drawn from, so fits in threads stay exact.
        with _rng.fit_generators(seed, device) as generators:
            dtype = self.module_dtype_ if continue_training else self._dtype(input_dtype, device)
            Xt = self._to_tensor(X, device, dtype)
            yt = self._target_tensor(y_enc).to(device)
            if yt.is_floating_point():
                yt = yt.to(dtype)
            if sample_weight is not None:  # the batches carry (target, weight) pairs
                yt = (yt, torch.as_tensor(sample_weight, dtype=dtype, device=device))
            if continue_training and not resumed:
                net = self.net_
                epochs = 1 if (incremental or self._param("solver") == "lbfgs") \
                    else self._param("max_iter")
                train_ds = self._refresh_net(net, Xt, yt, seed, device, incremental)
            else:
                net, train_ds = self._make_net(Xt, yt, n_outputs, seed, device, incremental)
                epochs = net.max_epochs
                if continue_training:
                    net.module_.load_state_dict(self.module_.state_dict())
                    net.history_ = self.history_
            if self._param("learning_rate") in ("one_cycle", "cosine"):
                _restart_schedule(net, len(train_ds), epochs)
            _continue_schedule(net, len(train_ds), self._param("power_t"))
            epochs_before = len(net.history)
            lbfgs_before = _lbfgs_counts(net)
            # partial_fit never validates (scikit-learn's neither): a net built
            # by an early-stopping fit leaves its validation callbacks out.
            callbacks = net.callbacks_
            if net.train_split is None:
                net.callbacks_ = [(name, cb) for name, cb in callbacks if name != "valid_score"
                                  and getattr(cb, "monitor", None) != "valid_score"]
            try:
                with _few_threads_if_small(net.module_, net.batch_size, device), \
                        _rng.dropout_from(net.module_, generators.dropout):
                    net.partial_fit(train_ds, None, epochs=epochs)
            finally:
                net.callbacks_ = callbacks
        self.net_ = net
        self._lbfgs_counts_before = lbfgs_before
        self._set_fitted_attributes(net, len(net.history) - epochs_before, epochs, incremental)
        # bookkeeping of this call only: not fitted state (clone, save and load ignore it)
        del self._lbfgs_counts_before
        vars(self).pop("_valid_sample_weight", None)
        self._warn_if_lbfgs_hit_a_limit(net, lbfgs_before)
        return self

    def _split(self, Xt, yt, seed, device, validate):
        """``(train_ds, valid_ds)``: ``validation_fraction`` held out when ``validate``."""
        n_samples = len(Xt)
        self._valid_sample_weight = None
        if not validate:
            return Dataset(Xt, yt), None
        weight = None
        if isinstance(yt, tuple):
            yt, weight = yt
        stratify = _one_hot_labels(yt) if self._stratify_validation() else None
        idx_train, idx_valid = train_test_split(
            np.arange(n_samples), test_size=self._param("validation_fraction"),
            random_state=seed % (2**31), stratify=stratify)
        if len(idx_valid) < 2 or len(idx_train) == 0:  # scikit-learn's limit and words
            raise ValueError(
                f"The validation set is too small. Increase 'validation_fraction' "
                f"or the size of your dataset: early_stopping=True held out "
                f"{len(idx_valid)} of {n_samples} samples and needs at least 2 to score "
                "(or set early_stopping=False).")
        idx_train_t = torch.as_tensor(idx_train, device=device)
        idx_valid_t = torch.as_tensor(idx_valid, device=device)
        y_train = yt[idx_train_t]
        if weight is not None:  # the validation score weights its rows (scikit-learn's)
            y_train = (y_train, weight[idx_train_t])
            self._valid_sample_weight = weight[idx_valid_t].cpu()
        return (Dataset(Xt[idx_train_t], y_train),
                Dataset(Xt[idx_valid_t], yt[idx_valid_t]))

    #: Parameters a warm-start fit or partial_fit applies to the existing net
    #: (_refresh_net); a change of any other one needs a new net.
    _LIVE_PARAMS = frozenset({
        "max_iter", "warm_start", "random_state", "validation_fraction",
        "learning_rate_init", "batch_size", "alpha", "shuffle",
    })

    def _refresh_net(self, net, Xt, yt, seed, device, incremental):
        """Point the net of an earlier call at this call's data and parameters.

        As scikit-learn's MLP re-reads its parameters on every fit, the
        learning rate, batch size, weight penalty and shuffling take effect,
        and an early-stopping fit splits this call's data afresh (the net
        otherwise would validate on the old rows and train on the new ones).
        Returns the training dataset.
        """
        # partial_fit does not validate, so the early-stopping settings do not matter
        ignored = self._LIVE_PARAMS | (
            {"early_stopping", "n_iter_no_change"} if incremental else set())
        built_with = getattr(net, "estimator_params_", {})
        changed = sorted(name for name, value in self.get_params(deep=False).items()
                         if name not in ignored and not name.startswith("optimizer__")
                         and _changed(value, built_with.get(name, value)))
        validate = bool(self._param("early_stopping")) and not incremental
        if not changed and validate and "valid_score" not in dict(net.callbacks_):
            changed = [("early_stopping (the model was started by partial_fit, "
                        "which does not validate)")]
        # callbacks a subclass derives from alpha (the L1 step of the linear models)
        extras = dict(self._extra_callbacks())
        if set(extras) != set(getattr(net, "extra_callbacks_", extras)):
            changed.append("alpha")
        if changed:
            raise ValueError(
                f"warm_start=True and partial_fit continue the existing model, which "
                f"cannot take the new value of {', '.join(changed)}. Fit with "
                "warm_start=False to train a new model with it.")
        train_ds, valid_ds = self._split(Xt, yt, seed, device, validate)
        net.train_split = predefined_split(valid_ds) if validate else None
        bs = self._batch_size(len(train_ds))
        net.batch_size, net.iterator_valid__batch_size = bs, max(bs, 4096)
        net.iterator_train__shuffle = bool(self._param("shuffle"))
        net.l2 = self._penalty()[0]
        net.callbacks_ = [(name, extras[name].initialize() if name in extras else cb)
                          for name, cb in net.callbacks_]
        opt, opt_kwargs = self._optimizer()
        opt_kwargs = self._optimizer_kwargs(opt, opt_kwargs)
        # skorch writes lr and optimizer__* into the optimizer's param groups
        net.set_params(**{f"optimizer__{k}": v for k, v in opt_kwargs.items()})
        lr = self._param("learning_rate_init") if self._param("solver") != "lbfgs" else 1.0
        if lr != net.lr:  # only when changed: keep what 'adaptive' lowered
            net.set_params(lr=lr)
            for group in net.optimizer_.param_groups:  # the schedules' base rate
                if "initial_lr" in group:
                    group["initial_lr"] = lr
            scheduler = dict(net.callbacks_).get("lr_scheduler")
            if hasattr(scheduler, "max_lr"):  # one_cycle
                scheduler.max_lr = lr
        return train_ds

    def _make_net(self, Xt, yt, n_outputs, seed, device, incremental):
        validate = bool(self._param("early_stopping")) and not incremental
        train_ds, valid_ds = self._split(Xt, yt, seed, device, validate)
        n_train = len(train_ds)
        bs = self._batch_size(n_train)
        solver = self._param("solver")
        max_epochs = 1 if (solver == "lbfgs" or incremental) else self._param("max_iter")
        n_batches = math.ceil(n_train / bs)
        generators = _rng.current() or _rng.fit_generators(seed, device)
        with _rng.drawing_from(generators.cpu):
            module = self._build_module(Xt.shape[1], n_outputs)
            apply_init(module, self._param("init"))
        module = module.to(Xt.dtype)
        opt, opt_kwargs = self._optimizer()
        opt_kwargs = self._optimizer_kwargs(opt, opt_kwargs)
        l2, per_sample = self._penalty()
        generator = torch.Generator().manual_seed(seed)
        net = _Net(
            module=module,
            criterion=self._make_criterion(),
            optimizer=opt,
            lr=self._param("learning_rate_init") if solver != "lbfgs" else 1.0,
            max_epochs=max_epochs,
            batch_size=bs,
            iterator_train=TensorBatchIterator,
            iterator_valid=TensorBatchIterator,
            iterator_train__shuffle=bool(self._param("shuffle")),
            iterator_train__generator=generator,
            iterator_valid__batch_size=max(bs, 4096),
            train_split=predefined_split(valid_ds) if validate else None,
            callbacks=self._callbacks(n_batches, max_epochs, bs, validate),
            device=device,
            # verbose prints scikit-learn's plain lines (SklearnStopping), not
            # skorch's table with its ANSI colours; skorch's PrintLog would also
            # format that table every epoch even when silent (~0.5 ms an epoch)
            verbose=0,
            callbacks__print_log=None,
            # without a validation set skorch's valid_loss scorer only searches
            # the history for a key that is never there
            **({} if validate else {"callbacks__valid_loss": None}),
            l2=l2,
            l2_per_sample=per_sample,
            **{f"optimizer__{k}": v for k, v in opt_kwargs.items()},
        )
        net.initialize()
        # what _refresh_net checks a later warm-start fit or partial_fit against
        net.estimator_params_ = self.get_params(deep=False)
        net.extra_callbacks_ = [name for name, _ in self._extra_callbacks()]
        return net, train_ds

    def _stratify_validation(self):
        return False

    def _check_warm_start_target(self, y):
        """Raise when a warm-start refit gets a ``y`` the model cannot continue on."""

    def _set_fitted_attributes(self, net, epochs_run, epochs_asked, incremental):
        # Left in eval mode, ready for inference: predict then skips the
        # train()/eval() walk over every submodule (skorch sets the mode per batch).
        self.module_ = net.module_.eval()
        self.module_dtype_ = next(iter(net.module_.parameters()), torch.empty(0)).dtype
        self.history_ = net.history
        losses = [float(h) for h in net.history[:, "train_loss"]] if len(net.history) else []
        self.loss_curve_ = losses
        finite = [v for v in losses if np.isfinite(v)]
        self.loss_ = finite[-1] if finite else float("nan")
        self.best_loss_ = min(finite) if finite else float("nan")
        # scikit-learn's n_iter_: the epochs (L-BFGS iterations) of this call
        # alone; 1 after a partial_fit
        if self._param("solver") == "lbfgs":
            state = net.optimizer_.state[net.optimizer_._params[0]]
            # 0 when an interrupted or diverged first call restored the empty state
            before = getattr(self, "_lbfgs_counts_before", None) or (0, 0)
            self.n_iter_ = max(0, int(state.get("n_iter", 0)) - before[0])
        else:
            self.n_iter_ = epochs_run
        stopping = dict(net.callbacks_).get("early_stopping")
        if stopping is not None and hasattr(stopping, "no_improvement_count_"):
            self._no_improvement_count = stopping.no_improvement_count_
        self.t_ = _samples_seen(net.history)
        guard = dict(net.callbacks_).get("convergence_guard")
        diverged = guard is not None and guard.diverged_epoch_ is not None
        if self._param("early_stopping"):
            scores = ([float(v) for v in net.history[:, "valid_score"]]
                      if len(net.history) and "valid_score" in net.history[-1] else [])
            if diverged:  # scikit-learn records the diverged epoch's score: NaN
                scores.append(float("nan"))
            if scores:
                self.validation_scores_ = scores
                self.best_validation_score_ = max((v for v in scores if v == v),
                                                  default=float("nan"))
        # 'one_cycle' and 'cosine' end by annealing the rate to ~0: running all
        # max_iter epochs is their plan, not a failure to converge.
        annealed = self._param("learning_rate") in ("one_cycle", "cosine")
        if (not incremental and not diverged and self._param("solver") != "lbfgs"
                and not annealed and epochs_run >= epochs_asked):
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({self._param('max_iter')}) "
                "reached and the optimization hasn't converged yet. Increase max_iter "
                "if the loss is still falling.",
                ConvergenceWarning,
            )

    def _warn_if_lbfgs_hit_a_limit(self, net, before):
        """scikit-learn's "lbfgs failed to converge" when L-BFGS ran out of budget.

        L-BFGS stops early only at the gradient tolerance (``tol``); running
        all ``max_iter`` iterations or ``max_fun`` evaluations of this call
        means it stopped short. (FISTA warns for itself.)
        """
        after = _lbfgs_counts(net)
        if after is None or not len(net.history):
            return
        iters, evals = (a - b for a, b in zip(after, before or (0, 0)))
        max_iter, max_fun = self._param("max_iter"), self._param("max_fun")
        if iters >= max_iter or evals >= max_fun:
            limit = (f"max_iter={max_iter} iterations" if iters >= max_iter
                     else f"max_fun={max_fun} function evaluations")
            warnings.warn(
                f"lbfgs failed to converge: it used all {limit} before the gradient "
                f"fell below tol={self._param('tol')}. Increase max_iter (or max_fun), "
                "or scale the data, for example with sklearn.preprocessing.StandardScaler.",
                ConvergenceWarning,
            )

    def _forward(self, X):
        """Module outputs for validated ``X``, in eval mode, as a CPU tensor."""
        module = self.module_
        out = few_rows_forward(module, X, _PREDICT_ROW_MULTIPLE)  # single rows: cheap path
        if out is not None:
            return out
        first = next(iter(module.parameters()), None)
        device = first.device if first is not None else torch.device("cpu")
        dtype = first.dtype if first is not None else torch.float32
        # Switch to eval mode only when the module is in training mode: fit
        # leaves it in eval mode, and train()/eval() (or any walk over the
        # submodules) is a visible cost on a single-row predict. A submodule
        # a user set to training mode by itself stays so, as in plain torch.
        was_training = module.training
        if was_training:
            module.eval()
        try:
            with torch.inference_mode(), contextlib.ExitStack() as stack:
                Xt = self._to_tensor(X, device, dtype)
                chunk = Xt.chunk_rows(_PREDICT_CHUNK) if isinstance(Xt, SparseRows) \
                    else _PREDICT_CHUNK
                rows = min(len(Xt), chunk) + _PREDICT_ROW_MULTIPLE
                stack.enter_context(_few_threads_if_small(module, rows, device))
                outs = []
                for start in range(0, len(Xt), chunk):
                    block = Xt[start:start + chunk]
                    n = block.shape[0]
                    pad = -n % row_multiple(module, _PREDICT_ROW_MULTIPLE)
                    if pad:
                        block = torch.cat([block, block.new_zeros((pad,) + block.shape[1:])])
                    outs.append(module(block)[:n].cpu())
                return outs[0] if len(outs) == 1 else torch.cat(outs)
        finally:
            if was_training:
                module.train()

    def _checked_forward(self, X):
        if "module_" not in vars(self):  # sklearn's check (its tag lookups cost ~5 us)
            check_is_fitted(self, "module_")
        X = self._validate_X(X, reset=False)
        out = self._forward(X)
        if not all_finite(out):
            raise ValueError(
                "The model produced non-finite outputs (NaN or inf) for this input: X "
                "holds values far outside the range the model was trained on (its "
                f"largest |x| is {_largest_abs(X):.3g}), "
                "or the module's weights are unusable. Check X for unscaled or corrupt "
                "values, or refit with a smaller learning_rate_init.")
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = bool(self._sparse_formats())
        tags.non_deterministic = False
        return tags


def _largest_abs(X):
    return abs(X).max() if sp.issparse(X) else np.abs(np.asarray(X, dtype=np.float64)).max()


def _one_hot_labels(yt):
    """Encoded class targets as scikit-learn's boolean indicator rows, to stratify on.

    The same strata as the labels, and the same words in train_test_split's
    error for a class with one member (scikit-learn stratifies on these rows).
    """
    y = yt.cpu().numpy()
    if y.ndim == 2:
        return y.astype(bool)
    return y[:, None] == np.arange(int(y.max()) + 1)


def _changed(new, old):
    """Whether a parameter value differs from the one the net was built with."""
    if new is old:
        return False
    try:
        return not bool(new == old)
    except (TypeError, ValueError):  # arrays: == is elementwise
        return not np.array_equal(np.asarray(new, dtype=object), np.asarray(old, dtype=object))


def _restart_schedule(net, n_train, epochs):
    """Fit 'one_cycle' and 'cosine' to this training call's steps.

    Each call (``fit``, a ``warm_start`` refit, one ``partial_fit`` epoch) runs
    one whole schedule over its own batches: a schedule sized for an earlier
    call would overrun (OneCycleLR raises past its last step).
    """
    scheduler = dict(net.callbacks_).get("lr_scheduler")
    policy = getattr(scheduler, "policy_", None)
    key = {torch.optim.lr_scheduler.OneCycleLR: "total_steps",
           torch.optim.lr_scheduler.CosineAnnealingLR: "T_max"}.get(policy)
    if key is not None:
        steps = math.ceil(n_train / net.batch_size) * epochs
        setattr(scheduler, key, max(2 if key == "total_steps" else 1, steps))
        # CosineAnnealingLR starts from the optimizer's current rate, which the
        # previous call's schedule left near 0: start again from the initial one.
        for group in net.optimizer_.param_groups:
            if "initial_lr" in group:
                group["lr"] = group["initial_lr"]


def _continue_schedule(net, n_train, power_t):
    """Point 'invscaling' at this call's batches and the samples seen before it.

    The ``LambdaLR`` is rebuilt at every training call from step 0, so its
    factor adds the samples of the earlier calls (counted from the history,
    which also survives ``sklearn_dl.load``): the decay goes on where it was.
    """
    scheduler = dict(net.callbacks_).get("lr_scheduler")
    if getattr(scheduler, "policy_", None) is torch.optim.lr_scheduler.LambdaLR:
        scheduler.lr_lambda = _InvScaling(net.batch_size, power_t, n_train,
                                          _samples_seen(net.history))


def _lbfgs_counts(net):
    """``(iterations, function evaluations)`` of an L-BFGS optimizer so far, else None."""
    optimizer = getattr(net, "optimizer_", None)
    if not isinstance(optimizer, torch.optim.LBFGS):
        return None
    state = optimizer.state[optimizer._params[0]]
    return int(state.get("n_iter", 0)), int(state.get("func_evals", 0))


def _samples_seen(history):
    """Training rows of every batch in ``history``: scikit-learn's ``t_``."""
    return int(sum(batch.get("train_batch_size", 0)
                   for row in history for batch in row.get("batches", ())))


class _InvScaling:
    """Picklable ``LambdaLR`` factor for scikit-learn's 'invscaling' schedule.

    Step ``step`` of a call over ``n_train`` rows comes after ``seen`` samples
    of earlier calls plus the rows of this call's ``step`` earlier batches.
    """

    def __init__(self, batch_size, power_t, n_train, seen=0):
        self.batch_size, self.power_t = batch_size, power_t
        self.n_train, self.seen = n_train, seen

    def __call__(self, step):
        per_epoch = math.ceil(self.n_train / self.batch_size)
        epochs, batches = divmod(step, per_epoch)
        samples = self.seen + epochs * self.n_train + batches * self.batch_size
        return 1.0 / (samples + 1.0) ** self.power_t


# --------------------------------------------------------------------------
# Task mixins: target encoding, loss, predict
# --------------------------------------------------------------------------
class TorchClassifierMixin(ClassifierMixin):
    """Classification on top of :class:`BaseTorchEstimator`.

    Labels of any type are encoded with :class:`~sklearn.preprocessing.LabelEncoder`
    into ``classes_``. Two classes use one logit and ``BCEWithLogitsLoss``
    (scikit-learn's shapes: ``coef_`` of shape (1, n_features)); more classes
    use one logit per class and ``CrossEntropyLoss`` on raw logits.
    """

    #: Whether multilabel indicator y is accepted (MLPClassifier, TorchClassifier).
    _multilabel_ok = False

    def _prepare_target(self, y, *, reset, classes=None):
        if self._multilabel_ok and _multilabel.is_multilabel(y):
            return _multilabel.prepare(self, y, reset=reset)
        if reset:
            self._is_multilabel = False
        elif _multilabel.active(self):
            raise ValueError(
                "The model was fitted on a multilabel indicator y; this y has shape "
                f"{np.shape(y)}. Fit a new model for it.")
        if getattr(y, "ndim", 1) == 2 and y.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. Please "
                "change the shape of y to (n_samples,), for example using ravel().",
                _data_conversion_warning(),
            )
            y = np.ravel(y)
        if getattr(y, "ndim", 1) != 1:
            raise ValueError(
                f"y must be 1-D class labels; got shape {np.shape(y)}. Multi-output and "
                "multilabel classification are not supported.")
        try:
            check_classification_targets(y)
            if reset:
                self._label_encoder = LabelEncoder().fit(classes if classes is not None else y)
        except TypeError as exc:  # np.unique cannot sort, e.g. str mixed with None
            kinds = sorted({type(v).__name__ for v in np.ravel(y)})
            raise InputTypeError(
                f"y mixes label types ({', '.join(kinds)}) that cannot be compared: {exc}. "
                "Class labels must be all strings or all numbers; drop missing (None) "
                "labels.") from exc
        if reset:
            self.classes_ = self._label_encoder.classes_
            if len(self.classes_) < 2:
                raise ValueError(
                    f"The training data contain only one class ({self.classes_[0]!r}); a "
                    "classifier needs samples of at least 2 classes.")
        else:
            unseen = np.setdiff1d(np.unique(y), self.classes_)
            if len(unseen):
                raise ValueError(
                    f"y contains labels not seen in the first fit: {unseen.tolist()}; "
                    f"known classes are {self.classes_.tolist()}. Pass every label in "
                    "`classes` on the first partial_fit call.")
        y_enc = np.searchsorted(self.classes_, y) if not reset else self._label_encoder.transform(y)
        return y_enc, (1 if len(self.classes_) == 2 else len(self.classes_))

    def _target_tensor(self, y):
        if _multilabel.active(self):
            return torch.as_tensor(y, dtype=torch.float32)
        if len(self.classes_) == 2:
            return torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
        return torch.as_tensor(y, dtype=torch.long)

    def _make_criterion(self):
        if _multilabel.active(self):
            return _multilabel.MultilabelBCE()
        if len(self.classes_) == 2:
            return torch.nn.BCEWithLogitsLoss()
        return torch.nn.CrossEntropyLoss()

    def _score_outputs(self, outputs, y, sample_weight=None):
        if _multilabel.active(self):  # subset accuracy, scikit-learn's score
            hits = ((outputs.cpu() > 0) == (y.cpu() > 0.5)).all(1).double()
            w = torch.ones_like(hits) if sample_weight is None else sample_weight.double()
            return float((hits * w).sum() / w.sum())
        if outputs.shape[1] == 1:
            pred = (outputs[:, 0] > 0).long()
            y = y.reshape(-1).long()
        else:
            pred = outputs.argmax(1)
        hits = (pred.cpu() == y.cpu()).double()
        if sample_weight is None:
            return float(hits.mean())
        w = sample_weight.double()
        return float((hits * w).sum() / w.sum())

    def _stratify_validation(self):
        return not _multilabel.active(self)  # scikit-learn does not stratify multilabel y

    def _check_warm_start_target(self, y):
        if _multilabel.active(self) or (self._multilabel_ok and _multilabel.is_multilabel(y)):
            return  # _prepare_target checks the labels
        self._check_warm_start_classes(y)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of ``predict(X)`` against ``y``, as scikit-learn's classifiers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            True labels; a missing label (NaN, None) raises a ValueError.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        check_score_labels(y)
        return super().score(X, y, sample_weight=sample_weight)

    def decision_function(self, X):
        """Raw logits: shape (n_samples,) for two classes, else (n_samples, n_classes)."""
        out = self._checked_forward(X).numpy()
        return out[:, 0] if out.shape[1] == 1 and not _multilabel.active(self) else out

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), rows summing to 1.

        For a multilabel model, each label's probability (rows need not sum to 1).
        """
        out = self._checked_forward(X)
        if _multilabel.active(self):
            return torch.sigmoid(out).numpy()
        if out.shape[1] == 1:
            # sigmoid(-z), not 1 - sigmoid(z): a confident model's small class-0
            # probability keeps its digits instead of cancelling to 0 or eps
            z = out[:, 0]
            return torch.stack([torch.sigmoid(-z), torch.sigmoid(z)], 1).numpy()
        return torch.softmax(out, dim=1).numpy()

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably from the logits."""
        out = self._checked_forward(X)
        if _multilabel.active(self):  # scikit-learn's log(predict_proba): the same argmax
            return torch.log(torch.sigmoid(out)).numpy()
        if out.shape[1] == 1:
            z = out[:, 0]
            return torch.stack([torch.nn.functional.logsigmoid(-z),
                                torch.nn.functional.logsigmoid(z)], 1).numpy()
        return torch.log_softmax(out, dim=1).numpy()

    def predict(self, X):
        """Predicted class labels, from ``classes_`` (the 0/1 indicator matrix when multilabel)."""
        out = self._checked_forward(X)
        if _multilabel.active(self):
            return (out > 0).numpy().astype(np.int64)
        idx = (out[:, 0] > 0).long() if out.shape[1] == 1 else out.argmax(1)
        return self.classes_[idx.numpy()]

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``X, y`` without re-initialising the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            All labels that will ever appear; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss, as in ``fit``.

        Returns
        -------
        self : object
        """
        if not hasattr(self, "module_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        self._validate_params()
        _check_partial_fit_early_stopping(self)
        if classes is not None and hasattr(self, "classes_"):
            new = np.unique(np.asarray(classes))
            if not np.array_equal(new, self.classes_):
                raise ValueError(
                    f"`classes={new.tolist()}` is not the same as on the first call to "
                    f"partial_fit, was: {self.classes_.tolist()}. Pass the same classes, "
                    "or none after the first call (fit starts afresh).")
        return self._fit(X, y, incremental=True, classes=classes, sample_weight=sample_weight)

    def _check_warm_start_classes(self, y):
        classes = np.unique(y)
        if set(classes.tolist()) != set(self.classes_.tolist()):
            # scikit-learn's words (its test suite matches them)
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in the "
                f"previous call to fit. Previously got {self.classes_}, `y` has {classes}. "
                "Fit with warm_start=False to train a new model on these classes.")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = self._multilabel_ok
        return tags


class TorchRegressorMixin(RegressorMixin):
    """Regression on top of :class:`BaseTorchEstimator`: float targets, 1-D or 2-D."""

    def _prepare_target(self, y, *, reset, classes=None):
        y = np.asarray(y)
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"Unknown label type: regression targets must be numeric; got dtype "
                f"{y.dtype} with values such as {y.ravel()[:3].tolist()}. Encode them as "
                "numbers, or use a classifier for class labels.") from None
        if not np.isfinite(y).all():
            raise ValueError("y contains NaN or infinity; drop or impute those rows.")
        if reset:
            self._y_ndim = y.ndim
        y2 = y.reshape(len(y), -1)
        if not reset and y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2.shape[1]} outputs but the model was fitted with "
                f"{self.n_outputs_}.")
        self.n_outputs_ = y2.shape[1]
        return y2, y2.shape[1]

    def _score_outputs(self, outputs, y, sample_weight=None):
        y = y.cpu().double()
        out = outputs.cpu().double()
        w = (torch.ones(len(y), dtype=torch.float64) if sample_weight is None
             else sample_weight.double()).reshape(-1, 1)
        ss_res = (w * (y - out) ** 2).sum(0)
        ss_tot = (w * (y - (w * y).sum(0) / w.sum()) ** 2).sum(0)
        # r2_score's force_finite rule for a constant y: 1 for a perfect fit, else 0
        r2 = torch.where(ss_tot > 0, 1 - ss_res / ss_tot.clamp_min(1e-300),
                         (ss_res == 0).double())
        return float(r2.mean())

    def score(self, X, y, sample_weight=None):
        """R^2 of ``predict(X)`` against ``y``, as scikit-learn's regressors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True values; NaN raises a ValueError.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        check_score_labels(y)
        return super().score(X, y, sample_weight=sample_weight)

    def predict(self, X):
        """Predicted values, shape (n_samples,) or (n_samples, n_outputs) as ``y`` was."""
        out = self._checked_forward(X).numpy()
        return out[:, 0] if self._y_ndim == 1 and out.shape[1] == 1 else out

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``X, y`` without re-initialising the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss, as in ``fit``.

        Returns
        -------
        self : object
        """
        self._validate_params()
        _check_partial_fit_early_stopping(self)
        return self._fit(X, y, incremental=True, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _check_partial_fit_early_stopping(estimator):
    """scikit-learn's rule: partial_fit never holds out a validation set."""
    if estimator._param("early_stopping"):
        raise ValueError(
            "partial_fit does not support early_stopping=True: it trains one epoch on "
            "every row it gets and never holds out a validation set. Call "
            "set_params(early_stopping=False) first, or use fit.")


def _data_conversion_warning():
    from sklearn.exceptions import DataConversionWarning

    return DataConversionWarning
