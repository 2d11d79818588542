"""Named initialisation schemes, applied with ``module.apply``.

``init`` on every estimator takes one of the names in :data:`INIT_SCHEMES`,
any callable ``fn(module)``, applied to every submodule like the seed's
``init_normal``, or a dict of those keyed by submodule name (one scheme per
layer, see :func:`apply_init`)::

    def init_normal(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0, std=0.01)
            nn.init.zeros_(m.bias)

    MLPClassifier(init=init_normal)
"""

from __future__ import annotations

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


def _resolve(init):
    if isinstance(init, str):
        if init not in INIT_SCHEMES:
            raise ValueError(f"init={init!r} is unknown; use one of {sorted(INIT_SCHEMES)}, "
                             "a callable applied with module.apply, or a dict of those "
                             "keyed by submodule name.")
        return INIT_SCHEMES[init]
    if not callable(init):
        raise ValueError(f"init must be a scheme name or a callable; got {init!r}.")
    return init


def apply_init(module, init):
    """Apply ``init`` to ``module`` and its submodules, in place.

    Parameters
    ----------
    module : torch.nn.Module
    init : str, callable or dict
        A name from :data:`INIT_SCHEMES`; a callable passed to
        ``module.apply`` (called on every submodule, like the seed's
        ``init_normal``); or a dict mapping submodule names (as in
        ``module.named_modules()``, e.g. ``'0'`` or ``'linear1'``) to a name
        or callable, applied to that submodule only -- the seed's ``xavier``
        on one layer and ``init_42`` on another. Submodules not named keep
        their initialisation.

    Returns
    -------
    module : torch.nn.Module
        The same module, initialised in place.

    Examples
    --------
    >>> from torch import nn
    >>> from sklearn_dl.init import apply_init
    >>> def init_42(m):
    ...     if isinstance(m, nn.Linear):
    ...         nn.init.constant_(m.weight, 42)
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    >>> net = apply_init(net, {"0": "xavier", "2": init_42})
    >>> net[2].weight.data[0, :3].tolist(), float(net[0].bias.data.abs().sum())
    ([42.0, 42.0, 42.0], 0.0)
    """
    if isinstance(init, dict):
        names = dict(module.named_modules())
        unknown = sorted(set(init) - set(names))
        if unknown:
            raise ValueError(
                f"init names submodules {unknown} that the module does not have; its "
                f"submodules are {sorted(n for n in names if n)}.")
        for name, scheme in init.items():
            fn = _resolve(scheme)
            if fn is not None:
                names[name].apply(fn)
        return module
    fn = _resolve(init)
    if fn is not None:
        module.apply(fn)
    return module
