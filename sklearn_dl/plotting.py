"""Pictures: image grids, training curves (after the fact and live), activations.

matplotlib is an optional extra (``pip install 'sklearn-dl[plot]'``); it is
imported when a function here is first called, not when this module is.
Every function returns the :class:`matplotlib.figure.Figure` it drew.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from skorch.callbacks import Callback

__all__ = ["LivePlot", "plot_activations", "plot_history", "show_images"]

#: Colour of the title of a wrongly predicted image.
MISTAKE_COLOR = "tab:red"


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "sklearn_dl.plotting needs matplotlib, which is an optional dependency. "
            "Install it with `pip install 'sklearn-dl[plot]'` (or `pip install matplotlib`)."
        ) from exc
    return plt


# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------
def _as_image_stack(images):
    """(n, H, W) or (n, H, W, C) numpy array from flat rows, CHW or HWC images."""
    if hasattr(images, "detach"):
        images = images.detach().cpu().numpy()
    images = np.asarray(images)
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValueError(
                f"Flat images must have a square number of pixels; got rows of "
                f"{images.shape[1]}. Reshape them to (n, height, width) first.")
        return images.reshape(len(images), side, side)
    if images.ndim == 3:
        return images
    if images.ndim == 4:
        if images.shape[-1] in (1, 3, 4):
            return images[..., 0] if images.shape[-1] == 1 else images
        if images.shape[1] in (1, 3, 4):  # torch's (n, C, H, W)
            return images[:, 0] if images.shape[1] == 1 else images.transpose(0, 2, 3, 1)
    raise ValueError(
        f"images must have shape (n, pixels), (n, H, W), (n, H, W, C) or (n, C, H, W); "
        f"got {images.shape}.")


def _label_text(value, class_names):
    if class_names is not None and isinstance(value, numbers.Integral | np.integer):
        return str(class_names[int(value)])
    return str(value)


def show_images(images, labels=None, predictions=None, *, class_names=None, ncols=8,
                scale=1.5, cmap="gray"):
    """A grid of images titled with their class, true over predicted.

    The seed's figures: Day 3's labelled training images and Day 4's
    predictions, where each title reads ``true`` over ``predicted`` and the
    mistakes are drawn in red.

    Parameters
    ----------
    images : array-like or torch.Tensor
        Shape (n, H, W), (n, H, W, C), (n, C, H, W), or (n, H*W) with square
        images (e.g. Fashion-MNIST's ``data`` rows of 784 pixels).
    labels : array-like of shape (n,), default=None
        True classes (integers indexing ``class_names``, or names).
    predictions : array-like of shape (n,), default=None
        Predicted classes; a title whose prediction differs from its label is
        red and bold.
    class_names : sequence of str, default=None
        Names of integer classes, e.g. ``load_fashion_mnist().target_names``.
    ncols : int, default=8
        Images per row.
    scale : float, default=1.5
        Size of one image in inches.
    cmap : str, default='gray'
        Colour map of grey-scale images.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One axes per image.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.plotting import show_images
    >>> images = np.random.RandomState(0).rand(6, 28, 28)
    >>> fig = show_images(images, labels=[0, 1, 2, 0, 1, 2], predictions=[0, 1, 1, 0, 1, 2],
    ...                   class_names=["cat", "dog", "bird"], ncols=3)
    >>> len(fig.axes), fig.axes[2].get_title()
    (6, 'bird\\ndog')
    """
    plt = _pyplot()
    images = _as_image_stack(images)
    n = len(images)
    if n == 0:
        raise ValueError("images is empty: pass at least one image.")
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and len(values) != n:
            raise ValueError(f"{name} has {len(values)} entries but there are {n} images.")
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1; got {ncols}.")
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    titled = labels is not None or predictions is not None
    lines = (labels is not None) + (predictions is not None)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(ncols * scale, nrows * (scale + 0.3 * lines)))
    for ax in axes.flat[n:]:
        ax.remove()
    mistakes = 0
    for i, ax in enumerate(axes.flat[:n]):
        ax.imshow(images[i], cmap=cmap if images[i].ndim == 2 else None)
        ax.set_xticks([])
        ax.set_yticks([])
        if not titled:
            continue
        parts = [_label_text(v[i], class_names) for v in (labels, predictions) if v is not None]
        wrong = labels is not None and predictions is not None and labels[i] != predictions[i]
        mistakes += bool(wrong)
        ax.set_title("\n".join(parts), fontsize=9, color=MISTAKE_COLOR if wrong else "black",
                     fontweight="bold" if wrong else "normal")
        if wrong:
            for spine in ax.spines.values():
                spine.set_edgecolor(MISTAKE_COLOR)
                spine.set_linewidth(2)
    if labels is not None and predictions is not None:
        fig.suptitle(f"true / predicted: {mistakes} of {n} wrong (in red)", fontsize=10)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------
# Training history
# --------------------------------------------------------------------------
_NOT_CURVES = {"epoch", "dur", "batches", "train_batch_count", "valid_batch_count"}


def _trained(obj):
    """The object that holds the training history: ``obj`` itself, a fitted
    pipeline's final step, a search's ``best_estimator_`` or a
    ``TransformedTargetRegressor``'s ``regressor_``, unwrapped as deep as needed."""
    while not isinstance(obj, list) and not hasattr(obj, "history_") \
            and not hasattr(obj, "history"):
        if hasattr(obj, "steps") and obj.steps:
            obj = obj.steps[-1][1]
        elif hasattr(obj, "best_estimator_"):
            obj = obj.best_estimator_
        elif hasattr(obj, "regressor_"):
            obj = obj.regressor_
        else:
            break
    return obj


def _history_of(obj):
    """skorch History (a list of per-epoch dicts) from an estimator, a net or itself."""
    if isinstance(obj, list):
        return obj
    trained = _trained(obj)
    for attr in ("history_", "history"):
        if hasattr(trained, attr) and not isinstance(trained, list):
            return getattr(trained, attr)
    if isinstance(trained, list):
        return trained
    if trained is not obj:
        raise TypeError(
            f"The {type(obj).__name__}'s final estimator, {type(trained).__name__}, has no "
            f"training history (history_): pass a fitted sklearn_dl estimator, a pipeline "
            f"ending in one, a skorch net or a skorch History. If it is one of those, fit "
            f"it first.")
    raise TypeError(
        f"Expected a fitted estimator (with history_), a pipeline ending in one, a skorch "
        f"net or a skorch History; got {type(obj).__name__}. Fit the estimator first.")


def _restored_epoch(obj):
    """Epoch whose weights early stopping restored at the end of training, or None.

    Read from the early-stopping callback of the estimator's (or net's) skorch
    net: only a callback with ``load_best`` restores anything. A bare History
    does not say, so it gets no mark.
    """
    trained = _trained(obj)
    net = getattr(trained, "net_", trained)
    for _, callback in getattr(net, "callbacks_", None) or []:
        # skorch's EarlyStopping, or the MLPs' scikit-learn stopping rule
        if getattr(callback, "load_best", False) and getattr(callback, "best_epoch_", 0):
            return callback.best_epoch_
    return None


def _curves(history):
    """{name: (epochs, values)} of the numeric per-epoch entries."""
    curves = {}
    for i, row in enumerate(history, start=1):
        for key, value in row.items():
            if key in _NOT_CURVES or key.endswith("_best"):
                continue
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                epochs, values = curves.setdefault(key, ([], []))
                epochs.append(row.get("epoch", i))
                values.append(float(value))
    return curves


def _draw_history(fig, history, title, restored=None):
    from matplotlib.ticker import MaxNLocator

    curves = _curves(history)
    losses = {k: v for k, v in curves.items() if "loss" in k}
    scores = {k: v for k, v in curves.items() if "loss" not in k}
    panels = [("loss", losses)] + ([("score", scores)] if scores else [])
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (ylabel, group) in zip(axes, panels):
        for name, (epochs, values) in sorted(group.items()):
            ax.plot(epochs, values, marker="o" if len(values) < 30 else None, ms=3, label=name)
        if restored is not None:
            ax.axvline(restored, color="gray", ls=":", lw=1,
                       label=f"restored best epoch ({restored})")
        ax.set_xlabel("epoch")
        # whole epochs only, also when one epoch spans the axis (min_n_ticks=1)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        ax.set_ylabel(ylabel)
        ax.set_title(ylabel)
        ax.grid(alpha=0.3)
        if group:
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return axes


def plot_history(estimator, *, title=None, figsize=None):
    """Loss and score per epoch, from a fitted estimator's ``history_``.

    The seed's d2l ``Animator`` figure, drawn after training: the left panel
    has the losses (``train_loss``, ``valid_loss``), the right one the scores
    (``valid_score`` with ``early_stopping=True``, or any other numeric
    column a callback recorded). With ``early_stopping=True`` a dotted line
    marks the epoch whose weights early stopping restored, the model that
    ``predict`` uses. Epochs are whole numbers on the x axis.

    Parameters
    ----------
    estimator : fitted estimator, pipeline, skorch NeuralNet or skorch History
        Anything with a ``history_`` or ``history``, or the history itself. A
        fitted :class:`~sklearn.pipeline.Pipeline` is read through its final
        step (likewise a search's ``best_estimator_`` and a
        ``TransformedTargetRegressor``'s ``regressor_``). A bare History has
        no restored epoch to mark.
    title : str, default=None
        Figure title; the class name of the estimator that trained when None.
    figsize : (float, float), default=None
        Inches; 5 by 3.5 per panel when None.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One axes ('loss') or two ('loss', 'score').

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_dl import SoftmaxClassifier
    >>> from sklearn_dl.plotting import plot_history
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxClassifier(max_iter=5, early_stopping=True, random_state=0)
    >>> clf = clf.fit(X, y)
    >>> fig = plot_history(clf)
    >>> [ax.get_title() for ax in fig.axes]
    ['loss', 'score']
    """
    plt = _pyplot()
    history = _history_of(estimator)
    if len(history) == 0:
        raise ValueError("The history is empty: fit the estimator before plotting it.")
    if title is None and not isinstance(estimator, list):
        title = type(_trained(estimator)).__name__
    n_panels = 1 + any("loss" not in k for k in _curves(history))
    fig = plt.figure(figsize=figsize or (5 * n_panels, 3.5), layout="constrained")
    _draw_history(fig, history, title, _restored_epoch(estimator))
    return fig


_SPARKS = "▁▂▃▄▅▆▇█"


def _sparkline(values):
    values = [v for v in values if np.isfinite(v)]
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = hi - lo or 1.0
    return "".join(_SPARKS[int((v - lo) / span * (len(_SPARKS) - 1))] for v in values)


class LivePlot(Callback):
    """Redraw the training curves at the end of every epoch while ``fit`` runs.

    In a Jupyter notebook the :func:`plot_history` figure is replaced in
    place each epoch; in a terminal, where a figure cannot be redrawn, each
    epoch prints one line with the numbers and a sparkline of the training
    loss so far.

    Parameters
    ----------
    mode : {'auto', 'notebook', 'text'}, default='auto'
        'auto' draws when running in a Jupyter kernel, else prints text.
    every : int, default=1
        Redraw every ``every`` epochs (and after the last one).
    sink : callable, default=print
        Receives the text lines.
    figsize : (float, float), default=None
        Passed to :func:`plot_history`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_dl import SoftmaxClassifier
    >>> from sklearn_dl.plotting import LivePlot
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxClassifier(max_iter=3, random_state=0, callbacks=[LivePlot(mode="text")])
    >>> clf = clf.fit(X, y)  # doctest: +ELLIPSIS
    epoch 1  train_loss ...
    """

    def __init__(self, mode="auto", every=1, sink=print, figsize=None):
        self.mode = mode
        self.every = every
        self.sink = sink
        self.figsize = figsize

    def initialize(self):
        if self.mode not in ("auto", "notebook", "text"):
            raise ValueError(f"mode must be 'auto', 'notebook' or 'text'; got {self.mode!r}.")
        if not (isinstance(self.every, numbers.Integral) and self.every >= 1):
            raise ValueError(f"every must be a positive integer; got {self.every!r}.")
        self.mode_ = ("notebook" if _in_notebook() else "text") if self.mode == "auto" else self.mode
        self.drawn_epoch_ = None
        return self

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) % self.every == 0:
            self._show(net)

    def on_train_end(self, net, **kwargs):
        if len(net.history) and self.drawn_epoch_ != len(net.history):
            self._show(net)

    def _show(self, net):
        history = net.history
        self.drawn_epoch_ = len(history)
        if self.mode_ == "text":
            self.sink(self._text_line(history))
            return
        plt = _pyplot()
        display, clear_output = _display_tools()
        fig = plot_history(history, title=f"epoch {len(history)}", figsize=self.figsize)
        clear_output(wait=True)
        display(fig)
        # Closed so that the notebook's inline backend does not draw it a second time.
        plt.close(fig)

    @staticmethod
    def _text_line(history):
        row = history[-1]
        parts = [f"epoch {row.get('epoch', len(history))}"]
        for key, value in row.items():
            if key in _NOT_CURVES or key.endswith("_best"):
                continue
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                star = "*" if row.get(f"{key}_best") else ""
                parts.append(f"{key} {value:.4f}{star}")
        losses = [r["train_loss"] for r in history if "train_loss" in r]
        if len(losses) > 1:
            parts.append(_sparkline(losses[-40:]))
        return "  ".join(parts)


def _in_notebook():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _display_tools():
    """IPython's ``display`` and ``clear_output`` (replaced in tests)."""
    from IPython.display import clear_output, display

    return display, clear_output


# --------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------
def _activation(name):
    import torch
    from torch.nn import functional as F

    table = {
        "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "gelu": F.gelu,
        "leaky_relu": F.leaky_relu, "elu": F.elu, "selu": F.selu, "silu": F.silu,
        "softplus": F.softplus, "mish": F.mish, "hardtanh": F.hardtanh,
        "hardsigmoid": F.hardsigmoid, "hardswish": F.hardswish, "relu6": F.relu6,
        "softsign": F.softsign, "logsigmoid": F.logsigmoid,
    }
    if callable(name):
        label = getattr(name, "__name__", type(name).__name__)
        return label, name
    if isinstance(name, str) and name.lower() in table:
        return name.lower(), table[name.lower()]
    raise ValueError(
        f"Unknown activation {name!r}; use one of {sorted(table)} or pass a callable "
        "(e.g. torch.nn.ReLU()).")


def plot_activations(names=("relu", "sigmoid", "tanh", "gelu"), *, x=None, ncols=None,
                     scale=3.0):
    """Each activation function and its derivative, computed with autograd (Day 6).

    Parameters
    ----------
    names : sequence of str or callables, default=('relu', 'sigmoid', 'tanh', 'gelu')
        Names (relu, sigmoid, tanh, gelu, leaky_relu, elu, selu, silu,
        softplus, mish, hardtanh, hardsigmoid, hardswish, relu6, softsign,
        logsigmoid) or callables mapping a tensor to a tensor elementwise.
    x : array-like, default=None
        Inputs; ``np.arange(-8, 8, 0.01)`` (d2l's range) when None.
    ncols : int, default=None
        Panels per row; all in one row when None.
    scale : float, default=3.0
        Panel size in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One axes per activation, titled with its name, with the function
        (solid) and its derivative (dashed).

    Examples
    --------
    >>> from sklearn_dl.plotting import plot_activations
    >>> fig = plot_activations(["relu", "sigmoid"])
    >>> [ax.get_title() for ax in fig.axes]
    ['relu', 'sigmoid']
    """
    import torch

    plt = _pyplot()
    if isinstance(names, str) or callable(names):
        names = [names]
    activations = [_activation(n) for n in names]
    if not activations:
        raise ValueError("names is empty: pass at least one activation.")
    xs = np.arange(-8.0, 8.0, 0.01) if x is None else np.asarray(x, dtype=np.float64).ravel()
    ncols = len(activations) if ncols is None else max(1, min(ncols, len(activations)))
    nrows = math.ceil(len(activations) / ncols)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, layout="constrained",
                             figsize=(ncols * scale, nrows * scale * 0.8))
    for ax in axes.flat[len(activations):]:
        ax.remove()
    for ax, (label, fn) in zip(axes.flat, activations):
        xt = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
        y = fn(xt)
        (grad,) = torch.autograd.grad(y.sum(), xt)
        ax.plot(xs, y.detach().numpy(), label=f"{label}(x)")
        ax.plot(xs, grad.numpy(), ls="--", label=f"d/dx {label}(x)")
        ax.axhline(0, color="gray", lw=0.5)
        ax.set_title(label)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return fig
