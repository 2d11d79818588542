"""sklearn_dl: scikit-learn estimators whose models are PyTorch modules.

Estimators train through skorch and pass scikit-learn's estimator checks::

    from sklearn_dl import MLPClassifier, SoftmaxClassifier, LinearRegressorNN
"""

import importlib

__version__ = "0.1.0"

# Public name -> submodule. Submodules load on first use, so ``import
# sklearn_dl`` stays cheap and optional parts (plotting) need no extras.
_LAZY = {
    "LinearRegressorNN": "linear_model",
    "SoftmaxClassifier": "linear_model",
    "PolyRidge": "linear_model",
    "MLPClassifier": "neural_network",
    "MLPRegressor": "neural_network",
    "TorchClassifier": "neural_network",
    "TorchRegressor": "neural_network",
    "ConvNetClassifier": "convolutional",
    "save": "io",
    "load": "io",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sklearn_dl' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
