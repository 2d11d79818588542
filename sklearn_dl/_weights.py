"""``coefs_`` / ``intercepts_`` of the MLPs: read from, and written into, the module.

scikit-learn's MLPs keep their weights in these two lists, and code (its own
test suite among it) assigns them to start training from given weights. Ours
live in the torch module (``module_.linears``); these helpers make the two
attributes views of it: reading copies the weights out in the model's
precision, assigning writes them in. Assigned before the first
``fit``/``partial_fit`` (no module yet), the lists are kept and written into
the module that call builds, in place of the random initialisation.
"""

from __future__ import annotations

import numpy as np
import torch

_PENDING = "_pending_layers"


def _tensors(module, name):
    layers = module.linears
    return [lin.weight for lin in layers] if name == "coefs_" else [lin.bias for lin in layers]


def get_layers(estimator, name):
    module = estimator.__dict__.get("module_")
    if module is None:
        pending = estimator.__dict__.get(_PENDING, {})
        if name in pending:
            return pending[name]  # the list itself: item assignment keeps working
        raise AttributeError(f"{type(estimator).__name__!s} has no {name} before fit")
    if name == "coefs_":
        return [t.detach().cpu().numpy().T.copy() for t in _tensors(module, name)]
    return [t.detach().cpu().numpy().copy() for t in _tensors(module, name)]


def set_layers(estimator, name, value):
    module = estimator.__dict__.get("module_")
    if module is None:
        estimator.__dict__.setdefault(_PENDING, {})[name] = value
        return
    _write(module, name, value)


def write_pending(estimator, module):
    """Write lists assigned before the first fit into the freshly built ``module``."""
    pending = estimator.__dict__.pop(_PENDING, None)
    for name, value in (pending or {}).items():
        _write(module, name, value)


def _write(module, name, value):
    targets = _tensors(module, name)
    value = list(value)
    if len(value) != len(targets):
        raise ValueError(
            f"{name} needs one array per layer: the model has {len(targets)} layers, "
            f"got {len(value)} arrays.")
    arrays = []
    for i, (t, v) in enumerate(zip(targets, value)):
        v = np.asarray(v, dtype=np.float64)
        shape = tuple(t.shape[::-1]) if name == "coefs_" else tuple(t.shape)
        if name == "intercepts_" and v.ndim == 0 and shape == (1,):
            v = v.reshape(1)
        if v.shape != shape:
            raise ValueError(
                f"{name}[{i}] has shape {v.shape}; layer {i} of this model needs {shape}.")
        if not np.isfinite(v).all():
            raise ValueError(f"{name}[{i}] contains NaN or infinity.")
        arrays.append(v.T if name == "coefs_" else v)
    with torch.no_grad():  # all checked first: a bad array changes nothing
        for t, v in zip(targets, arrays):
            t.copy_(torch.as_tensor(np.ascontiguousarray(v), dtype=t.dtype, device=t.device))
