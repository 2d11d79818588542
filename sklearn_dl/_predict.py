"""The short path of ``predict`` for a few rows of a plain float array.

A single-row ``predict`` is mostly fixed costs: validation, tensor making,
padding, threads, the finiteness check. For a validated numpy array whose
dtype is the model's and a CPU model in eval mode, :func:`few_rows_forward`
pads in numpy and runs the module once, with the same padding and thread
setting as the general path in ``BaseTorchEstimator._forward``, so its
outputs are the same bits. Anything else returns None and takes the general
path (the input checks run before either: ``_validate_X``).

Padding (:func:`row_multiple`): passes of small modules are zero-padded to a
multiple of 8 rows, so that BLAS runs the same kernel for one row as for
many (scikit-learn's subset-invariance check compares single rows with the
full batch to ~1e-7). A module of at least :data:`NO_PAD_WORK` multiply-adds
per row is not padded: there 8 rows cost up to ~1.5x one row, and the
padding does not buy bitwise invariance anyway (measured on this project's
CPU: an MLP 784-256-10 gives different last bits for 1, 8 and 64-row
passes, padded or not, differences ~3e-7).
"""

from __future__ import annotations

import weakref

import numpy as np
import torch

from ._threads import _weights, pinned_threads

__all__ = ["all_finite", "few_rows_forward", "row_multiple", "FEW_ROWS", "NO_PAD_WORK"]


def row_multiple(module, default):
    """Rows each predict pass is padded to a multiple of: ``default``, or 1 for big modules."""
    return 1 if _weights(module) < float("inf") and _weights(module) >= NO_PAD_WORK else default

#: Multiply-adds per row from which passes are not padded (an all-Linear MLP
#: 784-256-10 has 203,264; 64-100-10 has 7,400).
NO_PAD_WORK = 65_536

#: Largest batch the short path takes; larger ones gain nothing from it.
FEW_ROWS = 256
_CPU = torch.device("cpu")
_NP_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}


def few_rows_forward(module, X, multiple):
    """Outputs of ``module`` for the rows of ``X``, or None when the short path does not apply."""
    if type(X) is not np.ndarray or not 0 < len(X) <= FEW_ROWS or module.training:
        return None
    first = _first_parameter(module)
    if first is None or first.device.type != "cpu":
        return None
    np_dtype = _NP_DTYPES.get(first.dtype)
    if np_dtype is None or X.dtype != np_dtype:
        return None
    n = len(X)
    rows = n + (-n % row_multiple(module, multiple))
    if rows == n and X.flags.c_contiguous and X.flags.writeable:
        buf = X  # from_numpy shares it; the module only reads it
    else:
        buf = np.zeros((rows,) + X.shape[1:], dtype=np_dtype)
        buf[:n] = X
    with torch.inference_mode(), pinned_threads(module, rows, _CPU):
        out = module(torch.from_numpy(buf))
    return out[:n] if rows != n else out


_first_cache = weakref.WeakKeyDictionary()


def _first_parameter(module):
    """The module's first parameter, cached per module object.

    ``module.to(...)`` changes a parameter's data in place (same object), so
    the cached tensor tells the current device and dtype; walking
    ``module.parameters()`` costs more than a single-row forward's overheads.
    """
    try:
        return _first_cache[module]
    except KeyError:
        pass
    first = next(iter(module.parameters()), None)
    if first is not None:
        _first_cache[module] = first
    return first


def all_finite(out):
    """Whether a CPU tensor of outputs holds no NaN or inf (in numpy: no torch dispatch)."""
    if out.dtype not in _NP_DTYPES:
        return bool(torch.isfinite(out).all())
    return bool(np.isfinite(out.numpy()).all())
