"""Prefixed keyword parameters (``optimizer__*``, ``module__*``, ``criterion__*``).

skorch's convention: ``optimizer__weight_decay=1e-4`` goes to the optimizer,
``module__hidden=64`` to the module's constructor. Here they are ordinary
estimator parameters: stored untouched by ``__init__``, returned by
``get_params``, changed by ``set_params``, copied by ``clone`` and tuned by
``GridSearchCV``. Which prefixes an estimator takes is the class attribute
``_EXTRA_PREFIXES``; a name with any other prefix is refused in ``fit``.
"""

from __future__ import annotations

import inspect

from sklearn.utils._param_validation import InvalidParameterError

__all__ = ["ExtraParamsMixin", "accepted_keywords"]


def accepted_keywords(factory):
    """Names a class or function accepts as keywords; None when it takes ``**kwargs``."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return set()
    names = set()
    for p in params:
        if p.kind == p.VAR_KEYWORD:
            return None
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            names.add(p.name)
    return names


class ExtraParamsMixin:
    """``<prefix>__<name>`` keyword parameters stored as attributes of the estimator."""

    #: Prefixes of the keyword parameters this estimator accepts.
    _EXTRA_PREFIXES = ("optimizer__",)

    def _set_extra_params(self, params):
        """Store prefixed keyword parameters as attributes.

        Any name is accepted here and checked in ``fit`` (scikit-learn's rule:
        ``__init__`` and ``set_params`` never raise), except names of methods.
        """
        names = set(getattr(self, "_extra_params", ()))
        for key, value in params.items():
            if hasattr(type(self), key):
                raise TypeError(f"{key!r} is an attribute of {type(self).__name__} and "
                                "cannot be a parameter.")
            setattr(self, key, value)
            names.add(key)
        self._extra_params = tuple(sorted(names))

    def _validate_params(self):
        super()._validate_params()
        prefixes = self._EXTRA_PREFIXES
        unknown = [k for k in getattr(self, "_extra_params", ())
                   if not k.startswith(prefixes) or k in prefixes]
        if unknown:
            allowed = ", ".join(f"{p}<name>" for p in prefixes)
            raise InvalidParameterError(
                f"{type(self).__name__} got unexpected parameters {unknown}. Its keyword "
                f"parameters are {allowed} (for example optimizer__weight_decay=1e-4"
                + (", module__hidden=64" if "module__" in prefixes else "") + ").")

    def _prefixed(self, prefix):
        """``{name: value}`` of the parameters ``<prefix><name>``."""
        return {k[len(prefix):]: getattr(self, k) for k in getattr(self, "_extra_params", ())
                if k.startswith(prefix) and len(k) > len(prefix)}

    def get_params(self, deep=True):
        """Parameters of the estimator, prefixed ones (``optimizer__*``, ...) included.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of sub-estimators.

        Returns
        -------
        params : dict
        """
        params = super().get_params(deep=deep)
        params.update({k: getattr(self, k) for k in getattr(self, "_extra_params", ())})
        return params

    def set_params(self, **params):
        """Set parameters, prefixed ones (``optimizer__*``, ...) included.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : object
        """
        named = set(self._get_param_names())
        # a name without "__" is no prefixed parameter: BaseEstimator refuses it now
        self._set_extra_params({k: params.pop(k) for k in list(params)
                                if k not in named and "__" in k})
        return super().set_params(**params) if params else self

    def _optimizer_kwargs(self, optimizer, defaults):
        """The estimator's optimizer keywords, overridden by ``optimizer__*``.

        ``defaults`` are what the estimator derives from its own parameters
        (``betas`` from ``beta_1``/``beta_2``, ...); an ``optimizer__``
        parameter replaces the value of the same name.
        """
        user = self._prefixed("optimizer__")
        if not user:
            return defaults
        name = getattr(optimizer, "__name__", None) or getattr(
            getattr(optimizer, "func", None), "__name__", repr(optimizer))
        if "lr" in user:
            raise ValueError(
                "optimizer__lr is not a parameter: the learning rate is learning_rate_init "
                f"(set learning_rate_init={user['lr']!r} instead).")
        if "params" in user:
            raise ValueError("optimizer__params is not a parameter: the optimizer always "
                             "receives the module's parameters.")
        accepted = accepted_keywords(optimizer)
        if accepted is not None:
            bad = sorted(set(user) - accepted)
            if bad:
                raise ValueError(
                    f"The optimizer {name} does not take the keyword(s) {bad} (from "
                    f"{', '.join('optimizer__' + b for b in bad)}); it takes "
                    f"{sorted(accepted - {'params', 'lr'})}.")
        return {**defaults, **user}
