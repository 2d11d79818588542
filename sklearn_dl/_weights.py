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
from sklearn.utils import check_random_state

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


def sklearn_init(module, activation, random_state):
    """scikit-learn's MLP initialisation (``BaseMultilayerPerceptron._init_coef``), in place.

    Weights and biases of every layer uniform in ``+-sqrt(factor / (fan_in +
    fan_out))``, Glorot's bound, with factor 6, or 2 for a logistic network,
    drawn from ``check_random_state(random_state)`` in scikit-learn's order: an
    integer ``random_state`` gives the very weights scikit-learn's estimator
    starts from. (torch's own default, ``1/sqrt(fan_in)``, starts the output
    layer several times smaller, which changes what training reaches in a
    given number of epochs.) With ``random_state=None`` the numbers come from
    the fit's torch generator, never from numpy's global state.
    """
    if any(p.is_meta for p in module.parameters()):
        # a shape-only skeleton (io checks a file's sizes on it): no values to draw,
        # and drawing them would allocate whatever sizes the file claims
        return module.double()
    if random_state is None:
        rng = np.random.RandomState(int(torch.randint(2**31 - 1, (1,))))
    else:
        rng = check_random_state(random_state)
    factor = 2.0 if activation in ("logistic", "sigmoid") else 6.0
    module.double()  # the float64 draws, exactly; the caller casts to the training dtype
    with torch.no_grad():
        for lin in module.linears:
            fan_in, fan_out = lin.in_features, lin.out_features
            bound = np.sqrt(factor / (fan_in + fan_out))
            coef = rng.uniform(-bound, bound, (fan_in, fan_out))
            intercept = rng.uniform(-bound, bound, fan_out)
            lin.weight.copy_(torch.from_numpy(coef.T.copy()))
            lin.bias.copy_(torch.from_numpy(intercept))
    return module
