"""Each fit's own random number generators: no fit touches torch's global RNG.

``torch.manual_seed`` and ``torch.random.fork_rng`` act on one process-wide
generator, so two fits in two threads (joblib's threading backend, dask)
would interleave their draws. Instead each training call owns a
:class:`torch.Generator` seeded from ``random_state``:

* :func:`drawing_from` routes the random draws made while the module is
  built and initialised (``nn.Linear``'s own ``reset_parameters``, the
  ``init`` schemes, a user's ``init`` function, a custom module's
  constructor calling ``torch.rand``) to that generator. It is a
  :class:`~torch.overrides.TorchFunctionMode`, which torch keeps per thread,
  so another thread's draws are unaffected.
* :func:`dropout_from` makes every dropout layer of the module (the
  ``nn.Dropout`` family, in our MLP or in a custom module) draw its masks
  from the fit's generator while training, with the arithmetic of torch's
  own CPU kernel, so that the masks equal those ``nn.Dropout`` would draw
  from a global generator in the same state.

Not covered, and documented in ``docs/errors.md`` ("Random state and
threads"): random operations written in a custom module's ``forward``
(``F.dropout``, ``torch.randn_like``, ...) run during training without the
mode (it costs a Python call per torch operation) and draw from the global
generator. Shuffling uses the generator of :class:`~sklearn_dl._base.TensorBatchIterator`
and the validation split a numpy seed, as before.
"""

from __future__ import annotations

import contextlib
import math
import threading

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

__all__ = ["current", "drawing_from", "dropout_from", "fit_generators"]


def _resolve(owner, names):
    return {getattr(owner, n) for n in names if hasattr(owner, n)}


#: Functions and methods that take ``generator=``: the mode fills it in.
_TAKES_GENERATOR = (
    _resolve(torch, ["rand", "randn", "randint", "randperm", "rand_like", "randn_like",
                     "randint_like", "normal", "bernoulli", "multinomial", "poisson"])
    | _resolve(torch.Tensor, ["uniform_", "normal_", "bernoulli_", "random_", "exponential_",
                              "geometric_", "cauchy_", "log_normal_", "bernoulli",
                              "multinomial"])
    | _resolve(nn.init, ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_",
                         "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                         "orthogonal_", "sparse_"])
)


def _dropout(x, p, training, inplace, generator, feature=False, alpha=False):
    """torch's CPU ``_dropout_impl`` (aten/src/ATen/native/Dropout.cpp) with a generator.

    Same operations in the same order as the kernel ``nn.Dropout`` runs on the
    CPU, so a generator in the state of the global one gives the same bits.
    """
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p == 0 or not training or x.numel() == 0:
        return x
    if p == 1:
        zero = torch.zeros((), dtype=x.dtype, device=x.device)
        out = x.mul_(zero) if inplace else x * zero
        return out
    if feature:  # one draw per (sample, channel), broadcast over the rest
        shape = tuple(x.shape[:2]) + (1,) * (x.dim() - 2)
        noise = x.new_empty(shape)
    else:
        noise = torch.empty_like(x)
    noise.bernoulli_(1 - p, generator=generator)
    if alpha:
        a_ = 1.7580993408473766
        a = 1.0 / math.sqrt((a_ * a_ * p + 1) * (1 - p))
        b = noise.add(-1).mul_(a_ * a).add_(a_ * a * p)
        noise.mul_(a)
        return (x.mul_(noise) if inplace else x * noise).add_(b)
    noise.div_(1 - p)
    return x.mul_(noise) if inplace else x * noise


#: Dropout layers whose forward is replaced while a fit trains, with how they draw.
_DROPOUT_LAYERS = {
    nn.Dropout: dict(),
    nn.Dropout1d: dict(feature=True),
    nn.Dropout2d: dict(feature=True),
    nn.Dropout3d: dict(feature=True),
    nn.AlphaDropout: dict(alpha=True),
    nn.FeatureAlphaDropout: dict(feature=True, alpha=True),
}

#: Functional dropouts redirected while the mode is on: how they draw, and
#: their default ``training`` (True for F.dropout, False for the alpha ones).
_DROPOUT_FUNCTIONS = {
    nn.functional.dropout: (dict(), True),
    nn.functional.alpha_dropout: (dict(alpha=True), False),
    nn.functional.feature_alpha_dropout: (dict(feature=True, alpha=True), False),
}


class _GeneratorMode(TorchFunctionMode):
    """Every random draw in this thread, while active, comes from ``generator``."""

    def __init__(self, generator):
        super().__init__()
        self.generator = generator

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if func in _TAKES_GENERATOR and kwargs.get("generator") is None:
            kwargs["generator"] = self.generator
        elif func in _DROPOUT_FUNCTIONS:
            kind, training = _DROPOUT_FUNCTIONS[func]
            bound = _bind_dropout(*args, **{"training": training, **kwargs})
            return _dropout(*bound, generator=self.generator, **kind)
        return func(*args, **kwargs)


def _bind_dropout(input, p=0.5, training=True, inplace=False):
    return input, p, training, inplace


@contextlib.contextmanager
def drawing_from(generator):
    """Route this thread's random draws inside the block to ``generator``.

    For code that runs once per fit (building and initialising the module):
    the mode costs a Python call per torch operation.
    """
    with _GeneratorMode(generator):
        yield generator


@contextlib.contextmanager
def dropout_from(module, generator):
    """While the block runs, ``module``'s dropout layers draw from ``generator``.

    Replaces ``forward`` on the instances of the ``nn.Dropout`` family (exact
    types: a subclass may draw differently) and puts it back afterwards, so
    the fitted module is left as it came. Layers used twice are patched once.
    """
    patched = []
    try:
        for m in {id(m): m for m in module.modules()}.values():
            kind = _DROPOUT_LAYERS.get(type(m))
            if kind is None or "forward" in vars(m):
                continue
            m.forward = _layer_forward(m, generator, kind)
            patched.append(m)
        yield generator
    finally:
        for m in patched:
            vars(m).pop("forward", None)


#: Feature dropouts that also take one unbatched sample (one dimension less).
_UNBATCHED_DIM = {nn.Dropout1d: 2, nn.Dropout3d: 4}


def _layer_forward(layer, generator, kind):
    unbatched = _UNBATCHED_DIM.get(type(layer))

    def forward(x):
        if x.dim() == unbatched:  # as F.dropout1d / F.dropout3d: one sample
            out = _dropout(x.unsqueeze(0), layer.p, layer.training, False, generator, **kind)
            out = out.squeeze(0)
            return x.copy_(out) if layer.inplace and layer.training else out
        return _dropout(x, layer.p, layer.training, layer.inplace, generator, **kind)

    return forward


_local = threading.local()


def current():
    """The generators of the training call running in this thread, or None."""
    return getattr(_local, "generators", None)


class fit_generators:
    """The generators of one training call, seeded from the fit's ``seed``.

    ``cpu`` draws the initial weights and then, on the CPU, the dropout
    masks: the same stream the global generator gave when fits seeded it,
    so models fitted before keep their bits. On another device dropout
    draws from a generator of that device with the same seed.
    """

    def __init__(self, seed, device):
        self.seed = int(seed)
        self.cpu = torch.Generator().manual_seed(self.seed)
        device = torch.device(device)
        if device.type == "cpu":
            self.dropout = self.cpu
        else:
            self.dropout = torch.Generator(device=device).manual_seed(self.seed)

    def __enter__(self):
        self._outer = current()
        _local.generators = self
        return self

    def __exit__(self, *exc):
        _local.generators = self._outer
        return False
