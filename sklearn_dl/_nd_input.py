"""Samples that are not rows: images, sequences, any ``(n_samples, ...)`` array.

scikit-learn's ``validate_data`` takes 2-D ``X`` only. For N-D input the
estimators check what is specific to it here (a numeric array or tensor
with at least one value per sample, and at predict time the trailing shape
seen in ``fit``), then hand a flat ``(n_samples, n_values)`` *view* to the
usual 2-D path, which checks finiteness and dtype and records
``n_features_in_``. :meth:`NDInputMixin._transform_input` gives the module
the samples back in their own shape, so a module receives ``X`` as it was
given.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ._base import InputTypeError

__all__ = ["NDInputMixin", "sample_array"]


def _shape(shape):
    return "(" + ", ".join(str(int(d)) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def sample_array(X, name="X"):
    """``(X, trailing shape)``: numpy for tensors and N-D input, else ``(X, None)``.

    2-D input that is not a tensor (arrays, DataFrames, sparse matrices,
    lists of rows) comes back untouched with ``None``, for ``validate_data``
    and its errors. A tensor comes back as a CPU numpy array; an N-D array
    (or nested list) as a numpy array with its trailing shape, after the
    checks that ``validate_data`` cannot make on it.
    """
    if isinstance(X, torch.Tensor):
        if X.is_complex():
            raise InputTypeError(f"{name} is a complex tensor ({X.dtype}); the models need "
                                 "real numbers. Pass X.real, X.abs() or both as channels.")
        X = X.detach().cpu()
        if not X.is_floating_point() or X.dtype in (torch.float16, torch.bfloat16):
            X = X.to(torch.float32 if X.dtype != torch.float64 else X.dtype)
        X = X.numpy()
    elif isinstance(X, (list, tuple)):
        try:
            arr = np.asarray(X)
        except ValueError:  # ragged: validate_data says so
            return X, None
        if arr.ndim <= 2:
            return X, None
        X = arr
    if not isinstance(X, np.ndarray) or X.ndim <= 2:
        return X, None
    if X.dtype.kind in "USV":
        raise InputTypeError(
            f"{name} of shape {_shape(X.shape)} has dtype {X.dtype}: the models need "
            "numeric values. Convert the samples to numbers (for images, e.g. "
            "np.asarray(images, dtype=np.float32) / 255).")
    if X.dtype.kind not in "biuf":
        try:
            X = X.astype(np.float64)
        except (TypeError, ValueError):
            raise InputTypeError(
                f"{name} of shape {_shape(X.shape)} has dtype {X.dtype}: the models need "
                "numeric values. Convert the samples to numbers (for images, e.g. "
                "np.asarray(images, dtype=np.float32) / 255).") from None
    if 0 in X.shape[1:]:
        raise ValueError(f"{name} has shape {_shape(X.shape)}: each sample holds no values. "
                         "Pass samples of at least one value.")
    return X, tuple(int(d) for d in X.shape[1:])


class NDInputMixin:
    """N-D samples for an estimator on the shared 2-D path.

    Fitted attribute ``input_shape_``: the shape of one sample, ``X.shape[1:]``
    (``(n_features,)`` for 2-D input). ``n_features_in_`` is the number of
    values per sample, the product of ``input_shape_``: what a flattening
    step before the estimator (a scaler in a Pipeline) sees.
    """

    def _fit(self, X, y, *, incremental, classes=None, **kwargs):
        continuing = ((incremental or self._param("warm_start"))
                      and hasattr(self, "module_"))
        X, shape = self._flat_samples(X, reset=not continuing)
        self._incoming_shape = shape
        try:
            return super()._fit(X, y, incremental=incremental, classes=classes, **kwargs)
        finally:
            del self._incoming_shape

    def _validate_X(self, X, *, reset):
        X, _ = self._flat_samples(X, reset=reset)
        return super()._validate_X(X, reset=reset)

    def _flat_samples(self, X, *, reset):
        """``(X as rows, trailing shape or None)``, checked against ``input_shape_``."""
        X, shape = sample_array(X)
        fitted = None if reset else getattr(self, "input_shape_", None)
        if fitted is not None and (len(fitted) > 1 or shape is not None):
            given = shape if shape is not None else tuple(np.shape(X))[1:]
            if tuple(given) != tuple(fitted):
                what = "fitted" if not self._param("warm_start") else "first fitted"
                raise ValueError(
                    f"X has shape {_shape(np.shape(X))}: samples of shape {_shape(given)}, "
                    f"but {type(self).__name__} was {what} on samples of shape "
                    f"{_shape(fitted)}. Pass X of shape (n_samples, "
                    f"{', '.join(str(d) for d in fitted)})"
                    + (f", e.g. X.reshape(len(X), {', '.join(str(d) for d in fitted)})"
                       if math.prod(given) == math.prod(fitted) else "") + ".")
        if shape is not None and len(shape) > 1:
            X = X.reshape(len(X), -1)
        return X, shape

    def _transform_input(self, X, *, fit):
        """Rows back to samples of ``input_shape_`` (``fit=True``: record it)."""
        X = super()._transform_input(X, fit=fit)
        if fit:
            self.input_shape_ = getattr(self, "_incoming_shape", None) or (X.shape[1],)
        shape = getattr(self, "input_shape_", None)
        if shape is not None and len(shape) > 1:
            X = X.reshape((len(X),) + tuple(shape))
        return X

    def _sparse_formats(self):
        """CSR/CSC rows, as on the 2-D path: densified one batch at a time.

        Only 2-D sparse X (rows of features; sparse matrices have no N-D
        form): ``_transform_input`` passes rows through unchanged. A subclass
        that transforms X further refuses sparse X, as the base class does.
        """
        if type(self)._transform_input is not NDInputMixin._transform_input:
            return False
        return ("csr", "csc")

    def _n_module_features(self):
        """Values per sample: ``n_features_in_`` (the product of ``input_shape_``)."""
        return int(math.prod(self.input_shape_))
