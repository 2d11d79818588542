"""Named initialisation schemes, applied with ``module.apply``.

``init`` on every estimator takes one of the names in :data:`INIT_SCHEMES` or
any callable ``fn(module)``, applied to every submodule like the seed's
``init_normal``::

    def init_normal(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0, std=0.01)
            nn.init.zeros_(m.bias)

    MLPClassifier(init=init_normal)
"""

from __future__ import annotations

import functools

from torch import nn

__all__ = ["INIT_SCHEMES", "apply_init", "normal", "constant", "xavier", "kaiming", "zeros"]

_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Bilinear)


def _has_weight(m):
    return isinstance(m, _LAYERS) and getattr(m, "weight", None) is not None


def _zero_bias(m):
    if getattr(m, "bias", None) is not None:
        nn.init.zeros_(m.bias)


def normal(m, std=0.01, mean=0.0):
    """Weights ~ N(mean, std^2), biases 0 (d2l's ``init_normal``; std 0.01 by default)."""
    if _has_weight(m):
        nn.init.normal_(m.weight, mean=mean, std=std)
        _zero_bias(m)


def constant(m, value=1.0):
    """Every weight ``value`` (1 by default, the seed's ``init_constant``), biases 0."""
    if _has_weight(m):
        nn.init.constant_(m.weight, value)
        _zero_bias(m)


def xavier(m):
    """Xavier/Glorot uniform weights, biases 0."""
    if _has_weight(m):
        nn.init.xavier_uniform_(m.weight)
        _zero_bias(m)


def kaiming(m):
    """He/Kaiming normal weights for ReLU networks, biases 0."""
    if _has_weight(m):
        nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        _zero_bias(m)


def zeros(m):
    """All weights and biases 0 (sensible for linear and softmax models only)."""
    if _has_weight(m):
        nn.init.zeros_(m.weight)
        _zero_bias(m)


#: Name -> function; ``'default'`` keeps torch's own initialisation.
INIT_SCHEMES = {
    "default": None,
    "normal": normal,
    "constant": constant,
    "xavier": xavier,
    "kaiming": kaiming,
    "zeros": zeros,
}


def apply_init(module, init):
    """Apply ``init`` (a name from :data:`INIT_SCHEMES` or a callable) to ``module``.

    Parameters
    ----------
    module : torch.nn.Module
    init : str or callable
        A callable is passed to ``module.apply`` (called on every submodule).

    Returns
    -------
    module : torch.nn.Module
        The same module, initialised in place.
    """
    if isinstance(init, str):
        if init not in INIT_SCHEMES:
            raise ValueError(f"init={init!r} is unknown; use one of {sorted(INIT_SCHEMES)} "
                             "or a callable applied with module.apply.")
        init = INIT_SCHEMES[init]
    if init is not None:
        module.apply(init)
    return module


def normal_std(std):
    """An ``init`` callable drawing weights from N(0, std^2), biases 0."""
    return functools.partial(normal, std=std)
