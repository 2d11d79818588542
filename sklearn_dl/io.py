"""Save and load fitted estimators and whole pipelines without pickle.

A file written by :func:`save` is one `safetensors
<https://huggingface.co/docs/safetensors>`_ file: tensors (module weights,
numeric fitted arrays, the outputs of the model on a fixed probe input and,
for a pipeline, the scikit-learn part as a `skops.io
<https://skops.readthedocs.io/en/stable/persistence.html>`_ archive) and, in
its metadata header, one JSON document plus its SHA-256.

The file is hostile input even when its hashes match: anyone can recompute a
hash. So the format is a declared schema, not an object walker:

- the estimator class is looked up by name in sklearn_dl's public estimators;
  a parameter that is a class or function (``solver=torch.optim.AdamW``,
  ``module=sklearn_dl.modules.tied_mlp``) only by its exact qualified name in
  :func:`_named_objects`, an explicit table. Nothing is imported or reached by
  ``getattr`` from a name in the file, and nothing the file names is called
  while loading; a module class or ``init`` function of your own comes only
  from the caller (``load(path, module=MyNet, init=my_init)``);
- parameters are JSON scalars (or tuples, lists and dicts of them), checked
  against the estimator's parameter names and its ``_parameter_constraints``;
- fitted attributes are checked against :data:`FITTED_ATTRIBUTES`, one row per
  attribute with its kind (int, float, str, dtype, 1-D array of given dtype
  kinds, ...); a name not in the table is refused;
- module weights are checked against the ``state_dict`` of the module rebuilt
  from the parameters (on torch's ``meta`` device: no memory) before anything
  is allocated, then loaded, and the rebuilt model must reproduce the stored
  probe outputs bit for bit;
- strings, arrays, tensor shapes and nesting depth are bounded by the file's
  own size (:class:`_Limits`).

Whatever the file gets wrong is a ``ValueError`` that names the field.

Pipelines (``Pipeline``, ``ColumnTransformer``, ``TransformedTargetRegressor``,
``GridSearchCV(...).best_estimator_``, the house-price models of
:func:`sklearn_dl.house_prices.make_model`) are written as a skops archive in
which each sklearn_dl estimator is replaced by a numbered slot, and the
estimators themselves in the schema above. Every type the archive names must
be listed for its node kind in :data:`SKOPS_NODES` (an explicit table,
checked before skops constructs anything, together with
``skops.io.get_untrusted_types``); no blanket trust.

Pickle and ``joblib.dump`` keep working (scikit-learn's convention), but
unpickling runs whatever code the file names: only unpickle files you trust.
"""

from __future__ import annotations

import hashlib
import io as _stdio
import json
import math
import os
import platform
import re
import types
import warnings
import zipfile

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone, is_classifier

from . import _rng

__all__ = ["save", "load"]

FORMAT = "sklearn_dl.save"
FORMAT_VERSION = 2
_META_KEY = "sklearn_dl"
_DIGEST_KEY = "sklearn_dl_sha256"

#: Rows of the probe input whose outputs are stored to check the rebuilt module.
_PROBE_ROWS = 4

#: Fitted attributes that are not written as such: the skorch net (rebuilt by
#: the next warm-start fit), the module and history (written apart), and
#: those rebuilt from other fields (:func:`_rebuild_derived`).
_NOT_STORED = {"net_", "module_", "history_", "_label_encoder", "poly_"}
#: Estimators fitted by a direct solver only, with no training history
#: (sklearn_dl.linear_model's scikit-learn-named models).
_NO_HISTORY = {"Ridge", "Lasso", "ElasticNet", "LogisticRegression"}


def _versions():
    import safetensors
    import sklearn
    import skorch

    from . import __version__

    return {
        "sklearn_dl": __version__, "torch": torch.__version__, "scikit-learn": sklearn.__version__,
        "skorch": skorch.__version__, "numpy": np.__version__,
        "safetensors": safetensors.__version__, "python": platform.python_version(),
    }


def _public_estimators():
    """Name -> class of every public estimator of sklearn_dl (from ``__all__``)."""
    import sklearn_dl
    from sklearn_dl._base import BaseTorchEstimator

    from sklearn_dl import linear_model

    classes = {}
    # plus the scikit-learn-named linear models, public in sklearn_dl.linear_model only
    for module in (sklearn_dl, linear_model):
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type) and issubclass(obj, BaseTorchEstimator):
                classes[name] = obj
    return classes


def _named_objects():
    """Exact qualified name -> class or function a *parameter* may name.

    The whole list of what a file can refer to. Add a row here to let a new
    object round-trip by name (objects not listed are saved by name only and
    must be passed to :func:`load`).
    """
    from torch import nn, optim

    from . import modules

    table = {}
    for name in ("SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "ASGD", "NAdam",
                 "RAdam", "RMSprop", "Rprop", "LBFGS"):
        if hasattr(optim, name):
            table[f"torch.optim.{name}"] = getattr(optim, name)
    for name in ("MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss",
                 "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "PoissonNLLLoss", "GaussianNLLLoss",
                 "KLDivLoss", "MultiMarginLoss", "SoftMarginLoss"):
        table[f"torch.nn.{name}"] = getattr(nn, name)
    for name in ("MLP", "MySequential", "FixedHiddenMLP", "NestMLP", "chimera", "tied_mlp"):
        table[f"sklearn_dl.modules.{name}"] = getattr(modules, name)
    return table


_TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64,
                 "float16": torch.float16, "bfloat16": torch.bfloat16}

#: numpy dtypes a fitted numeric array may have (stored as a tensor).
_NUMPY_DTYPES = {np.dtype(t).str: np.dtype(t) for t in (
    np.float64, np.float32, np.float16, np.int64, np.int32, np.int16, np.int8,
    np.uint8, np.bool_)}

#: numpy scalar types a parameter may have (a grid search hands out np.float64).
_NUMPY_SCALARS = {"float64": np.float64, "float32": np.float32, "int64": np.int64,
                  "int32": np.int32, "bool": np.bool_}


# --------------------------------------------------------------------------
# Limits: everything the file sizes is bounded by the file's own size
# --------------------------------------------------------------------------
class _Limits:
    """Bounds derived from the file size: no field can make load allocate more."""

    MAX_DEPTH = 12

    def __init__(self, file_size):
        self.file_size = int(file_size)
        # one allocation the file decides (a string array, the probe input)
        self.bytes = 16 * 2**20 + 16 * self.file_size

    def check_bytes(self, n_bytes, field):
        if n_bytes > self.bytes:
            raise _Malformed(field, f"would need {n_bytes} bytes, more than a file of "
                                    f"{self.file_size} bytes can justify")


class _Malformed(ValueError):
    """A field of the file that does not match the declared schema."""

    def __init__(self, field, problem):
        super().__init__(f"{field}: {problem}")
        self.field = field


# unrolled so that a long string costs no per-character backtracking state
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')


def _json_depth_ok(text, max_depth):
    """True when no JSON value in ``text`` nests deeper than ``max_depth`` (strings skipped)."""
    brackets = re.sub(r"[^\[\]{}]", "", _JSON_STRING.sub("", text)).encode()
    steps = np.frombuffer(brackets, dtype=np.uint8)
    depth = np.cumsum(np.where((steps == ord("[")) | (steps == ord("{")), 1, -1))
    return depth.size == 0 or int(depth.max()) <= max_depth


# --------------------------------------------------------------------------
# Parameters: JSON scalars, tuples/lists/dicts of them, or names from the table
# --------------------------------------------------------------------------
_SCALARS = (type(None), bool, int, float, str)


def _is_scalar(value):
    return type(value) in _SCALARS


_UNSTORABLE = object()


def _encode_param(value, names):
    """JSON for a parameter value, or _UNSTORABLE when it can only be named."""
    if _is_scalar(value):
        return value
    if isinstance(value, np.generic) and type(value).__name__ in _NUMPY_SCALARS \
            and _NUMPY_SCALARS[type(value).__name__] is type(value):
        return {"numpy": type(value).__name__, "value": value.item()}
    for tag, kind in (("tuple", tuple), ("list", list)):
        if type(value) is kind and all(_is_scalar(v) for v in value):
            return {tag: list(value)}
    if type(value) is dict and all(type(k) is str and _is_scalar(v) for k, v in value.items()):
        return {"dict": dict(value)}
    for name, obj in names.items():
        if obj is value:
            return {"ref": name}
    return _UNSTORABLE


def _decode_param(value, names, field):
    if _is_scalar(value):
        return value
    if not (isinstance(value, dict) and len(value) in (1, 2)):
        raise _Malformed(field, "a parameter is a JSON scalar or a one-key object "
                                "('tuple', 'list', 'dict', 'ref', 'numpy')")
    if len(value) == 2 or "numpy" in value:
        kind, item = value.get("numpy"), value.get("value")
        if kind not in _NUMPY_SCALARS or set(value) != {"numpy", "value"} \
                or type(item) not in (bool, int, float):
            raise _Malformed(field, "not a numpy scalar of a known type")
        try:
            return _NUMPY_SCALARS[kind](item)
        except OverflowError:
            raise _Malformed(field, f"{item!r} does not fit {kind}") from None
    (tag, content), = value.items()
    if tag in ("tuple", "list"):
        if not (isinstance(content, list) and all(_is_scalar(v) for v in content)):
            raise _Malformed(field, f"a {tag} parameter holds JSON scalars only")
        return tuple(content) if tag == "tuple" else list(content)
    if tag == "dict":
        if not (isinstance(content, dict) and all(_is_scalar(v) for v in content.values())):
            raise _Malformed(field, "a dict parameter maps names to JSON scalars only")
        return dict(content)
    if tag == "ref":
        if not isinstance(content, str) or content not in names:
            shown = content[:80] if isinstance(content, str) else type(content).__name__
            raise _Malformed(field, f"names {shown!r}, which load does not look up (it "
                                    f"knows {len(names)} names, listed in "
                                    "sklearn_dl.io._named_objects)")
        return names[content]
    raise _Malformed(field, f"unknown parameter tag {tag[:40]!r}")


def _describe(obj):
    cls = obj if isinstance(obj, type) or callable(obj) and hasattr(obj, "__qualname__") \
        else type(obj)
    return f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', repr(cls))}"


_EXTRA_PARAM = re.compile(r"^[a-z][a-z0-9]*__[A-Za-z][A-Za-z0-9_]{0,99}$")


# --------------------------------------------------------------------------
# Fitted attributes: one row per attribute, its kind and when it is required
# --------------------------------------------------------------------------
class _Kind:
    """How one fitted attribute is written and checked; subclasses per kind."""

    none_ok = False

    def encode(self, value, key, tensors):  # -> JSON
        raise NotImplementedError

    def decode(self, value, field, tensors, used, limits):  # -> Python value
        raise NotImplementedError


class _Number(_Kind):
    def __init__(self, types, minimum=None, none_ok=False, choices=None):
        self.types, self.minimum, self.none_ok, self.choices = types, minimum, none_ok, choices

    def encode(self, value, key, tensors):
        if value is None and self.none_ok:
            return None
        if isinstance(value, np.generic):  # np.float64 from a numpy reduction
            value = value.item()
        if type(value) not in self.types:
            raise TypeError(type(value).__name__)
        return value

    def decode(self, value, field, tensors, used, limits):
        if value is None and self.none_ok:
            return None
        if type(value) not in self.types:
            raise _Malformed(field, f"expected {'/'.join(t.__name__ for t in self.types)}"
                                    f"{' or null' if self.none_ok else ''}, got "
                                    f"{type(value).__name__}")
        if self.minimum is not None and value < self.minimum:
            raise _Malformed(field, f"must be at least {self.minimum}")
        if self.choices is not None and value not in self.choices:
            raise _Malformed(field, f"must be one of {sorted(self.choices)}")
        return value


def _Int(minimum=0, **kw):
    return _Number((int,), minimum=minimum, **kw)


def _Float(**kw):
    return _Number((float,), **kw)


class _Str(_Kind):
    def __init__(self, max_len=200):
        self.max_len = max_len

    def encode(self, value, key, tensors):
        if type(value) is not str:
            raise TypeError(type(value).__name__)
        return value

    def decode(self, value, field, tensors, used, limits):
        if type(value) is not str or len(value) > self.max_len:
            raise _Malformed(field, f"expected a string of at most {self.max_len} characters")
        return value


class _FloatList(_Kind):
    def __init__(self, none_ok=False):
        self.none_ok = none_ok

    def encode(self, value, key, tensors):
        if value is None and self.none_ok:
            return None
        if type(value) is not list or not all(type(v) is float for v in value):
            raise TypeError("not a list of floats")
        return value

    def decode(self, value, field, tensors, used, limits):
        if value is None and self.none_ok:
            return None
        if type(value) is not list or not all(type(v) is float for v in value):
            raise _Malformed(field, "expected a list of floats")
        return list(value)


class _IntTuple(_Kind):
    """A shape, such as an input shape: a tuple of non-negative ints."""

    def encode(self, value, key, tensors):
        if type(value) is not tuple or not all(type(v) is int for v in value):
            raise TypeError("not a tuple of ints")
        return list(value)

    def decode(self, value, field, tensors, used, limits):
        if type(value) is not list or len(value) > 8 or not all(
                type(v) is int and 0 <= v <= limits.bytes for v in value):
            raise _Malformed(field, "expected a list of at most 8 non-negative ints")
        return tuple(value)


class _TorchDtype(_Kind):
    def encode(self, value, key, tensors):
        names = {v: k for k, v in _TORCH_DTYPES.items()}
        if value not in names:
            raise TypeError(str(value))
        return names[value]

    def decode(self, value, field, tensors, used, limits):
        if type(value) is not str or value not in _TORCH_DTYPES:
            raise _Malformed(field, f"expected one of {sorted(_TORCH_DTYPES)}")
        return _TORCH_DTYPES[value]


class _Array(_Kind):
    """A 1-D array: numbers as a tensor, strings (or other JSON scalars) in the JSON."""

    def __init__(self, kinds):
        self.kinds = kinds  # numpy dtype kinds allowed, e.g. "f" or "biufUO"

    def encode(self, value, key, tensors):
        if not isinstance(value, np.ndarray) or value.ndim != 1 \
                or value.dtype.kind not in self.kinds:
            raise TypeError(f"array of dtype {getattr(value, 'dtype', '?')}")
        if value.dtype.kind in "biuf":
            if value.dtype.str not in _NUMPY_DTYPES:
                raise TypeError(f"array of dtype {value.dtype}")
            # a copy: two attributes holding one array would share memory,
            # which safetensors refuses
            tensors[f"state/{key}"] = torch.from_numpy(np.array(value, copy=True))
            return {"tensor": f"state/{key}", "dtype": value.dtype.str}
        items = value.tolist()
        if value.dtype.kind == "O" and not all(_is_scalar(v) and v is not None for v in items):
            raise TypeError("object array holding other than str, int, float, bool")
        width = value.dtype.itemsize // 4 if value.dtype.kind == "U" else None
        return {"items": items, "dtype": "object" if value.dtype.kind == "O" else "str",
                "width": width}

    def decode(self, value, field, tensors, used, limits):
        if not isinstance(value, dict):
            raise _Malformed(field, "expected an array description (an object)")
        if set(value) == {"tensor", "dtype"}:
            key, dtype = value["tensor"], value["dtype"]
            if not isinstance(dtype, str) or dtype not in _NUMPY_DTYPES \
                    or _NUMPY_DTYPES[dtype].kind not in self.kinds:
                raise _Malformed(field, "dtype not allowed here")
            if not isinstance(key, str) or not key.startswith("state/") or key not in tensors \
                    or key in used:
                raise _Malformed(field, "names a tensor the file does not hold (or one "
                                        "already used)")
            tensor = tensors[key]
            if tensor.ndim != 1:
                raise _Malformed(field, f"expected a 1-D tensor, got shape {tuple(tensor.shape)}")
            try:
                array = tensor.numpy()
            except TypeError:
                raise _Malformed(field, f"tensor dtype {tensor.dtype} is not a numpy dtype") \
                    from None
            if array.dtype != _NUMPY_DTYPES[dtype]:
                raise _Malformed(field, f"the tensor is {array.dtype}, not {dtype}")
            used.add(key)
            return array.copy()
        if set(value) != {"items", "dtype", "width"} or value["dtype"] not in ("str", "object"):
            raise _Malformed(field, "expected keys tensor/dtype or items/dtype/width")
        items, kind = value["items"], "U" if value["dtype"] == "str" else "O"
        if kind not in self.kinds or type(items) is not list:
            raise _Malformed(field, "string arrays are not allowed here")
        if kind == "U":
            width = value["width"]
            if type(width) is not int or width < 1 or \
                    not all(type(v) is str and len(v) <= width for v in items):
                raise _Malformed(field, "expected strings no longer than 'width'")
            limits.check_bytes(4 * width * max(len(items), 1), field)
            return np.array(items, dtype=f"<U{width}")
        if value["width"] is not None or not all(
                _is_scalar(v) and v is not None for v in items):
            raise _Malformed(field, "an object array holds str, int, float or bool")
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out


class _NumberOrArray(_Kind):
    """A scalar, or a 1-D numeric array of them (one per target: ``n_iter_``, ``dual_gap_``)."""

    def __init__(self, number, kinds):
        self.number, self.array = number, _Array(kinds)
        self.none_ok = number.none_ok

    def encode(self, value, key, tensors):
        if isinstance(value, np.ndarray):
            return self.array.encode(value, key, tensors)
        return self.number.encode(value, key, tensors)

    def decode(self, value, field, tensors, used, limits):
        if isinstance(value, dict):
            return self.array.decode(value, field, tensors, used, limits)
        return self.number.decode(value, field, tensors, used, limits)


def _always(est):
    return True


def _trained_by_loop(est):
    return type(est).__name__ not in _NO_HISTORY


def _classifier(est):
    return is_classifier(est)


def _regressor(est):
    return not is_classifier(est)


def _is_mlp(est):
    return type(est).__name__ in ("MLPClassifier", "MLPRegressor")


def _has_param(name):
    return lambda est: name in est.get_params(deep=False)


# Every fitted attribute an estimator may carry, with its kind and the
# estimators that must have it once fitted (others may, optionally).
# A new fitted attribute (on any estimator) is one row here; save refuses an
# attribute without a row, so a missing row shows up in tests/test_io.py.
FITTED_ATTRIBUTES = {
    "n_features_in_": (_Int(1), _always),
    "feature_names_in_": (_Array("O"), None),
    "n_outputs_": (_Int(1), None),
    "_y_ndim": (_Int(1, choices={1, 2}), _regressor),
    "module_dtype_": (_TorchDtype(), _always),
    "loss_curve_": (_FloatList(), _trained_by_loop),
    "loss_": (_Float(none_ok=True), _trained_by_loop),
    "best_loss_": (_Float(none_ok=True), _trained_by_loop),
    "n_iter_": (_NumberOrArray(_Int(0), "iu"), _always),
    "t_": (_Int(0), _trained_by_loop),
    "n_layers_": (_Int(2), _is_mlp),
    "out_activation_": (_Str(), _is_mlp),
    "validation_scores_": (_FloatList(none_ok=True), None),
    "best_validation_score_": (_Float(none_ok=True), None),
    "classes_": (_Array("biufUO"), _classifier),
    "feature_offset_": (_Array("f"), _has_param("degree")),
    "feature_scale_": (_Array("f"), _has_param("degree")),
    "input_shape_": (_IntTuple(), None),
    "image_shape_": (_IntTuple(), _has_param("channels")),
    "_is_multilabel": (_Number((bool,)), None),
    "_flat_output": (_Number((bool,)), None),
    "_no_improvement_count": (_Int(0), None),
    # the exact linear solvers (linear_model.py, _linear_sklearn.py)
    "converged_": (_Number((bool,)), None),
    "solver_": (_Str(), None),
    "dual_gap_": (_NumberOrArray(_Float(), "f"), None),
}


# --------------------------------------------------------------------------
# One estimator: encode
# --------------------------------------------------------------------------
def _check_public(estimator):
    cls = type(estimator)
    if _public_estimators().get(cls.__name__) is not cls:
        raise ValueError(
            f"save writes sklearn_dl's public estimators and scikit-learn pipelines of "
            f"them; got {cls.__module__}.{cls.__qualname__}. Pickle or joblib.dump it "
            "instead (and load it only from a source you trust), or save the sklearn_dl "
            "estimator it wraps.")


def _encode_estimator(estimator, tensors, prefix):
    """The JSON entry of one sklearn_dl estimator; its tensors go into ``tensors``."""
    _check_public(estimator)
    cls = type(estimator)
    own = {}
    names = _named_objects()
    params, unstored = {}, {}
    for name, value in estimator.get_params(deep=False).items():
        encoded = _encode_param(value, names)
        if encoded is _UNSTORABLE:
            unstored[name] = _describe(value)
        else:
            params[name] = encoded
    fresh = set(vars(clone(estimator)))
    state = {}
    for name, value in vars(estimator).items():
        if name in fresh or name in _NOT_STORED:
            continue
        row = FITTED_ATTRIBUTES.get(name)
        if row is None:
            raise ValueError(
                f"Cannot save the fitted attribute {name!r} of {cls.__name__}: "
                "sklearn_dl.io.FITTED_ATTRIBUTES has no row for it (add one there).")
        try:
            state[name] = row[0].encode(value, name, own)
        except TypeError as exc:
            raise ValueError(
                f"Cannot save the fitted attribute {name!r} of {cls.__name__}: it holds a "
                f"{exc}, which its row in FITTED_ATTRIBUTES does not allow.") from None
    entry = {"estimator": cls.__name__, "params": params, "unstored_params": unstored,
             "state": state, "module": None, "history": None}
    module = getattr(estimator, "module_", None)
    if module is not None:
        if type(estimator).__name__ not in _NO_HISTORY:
            entry["history"] = _encode_history(estimator.history_)
        entry["module"] = _save_module(estimator, module, own)
    for key, tensor in own.items():
        tensors[prefix + key] = tensor
    return entry


def _encode_history(history):
    """The training history as JSON, or None when a callback wrote objects into it."""
    try:
        text = json.dumps(list(history), allow_nan=True)
    except (TypeError, ValueError):
        return None
    return json.loads(text)


def _probe(estimator):
    """A fixed input with ``n_features_in_`` columns (not drawn from any global RNG)."""
    rng = np.random.RandomState(0)
    return rng.uniform(-1.0, 1.0, size=(_PROBE_ROWS, estimator.n_features_in_))


def _probe_outputs(estimator):
    return estimator._forward(estimator._transform_input(_probe(estimator), fit=False))


def _save_module(estimator, module, tensors):
    """Put the module's state_dict in ``tensors``; return its JSON description."""
    keys, aliases, seen = [], {}, {}
    for name, t in module.state_dict().items():
        # Tied weights (one tensor under two names) are stored once:
        # safetensors refuses tensors that share memory.
        ident = (t.untyped_storage().data_ptr(), t.storage_offset(), tuple(t.shape),
                 tuple(t.stride()), t.dtype) if t.numel() else None
        if ident is not None and ident in seen:
            aliases[name] = seen[ident]
            continue
        if ident is not None:
            seen[ident] = name
        tensors[f"module/{name}"] = t.detach().cpu().contiguous().clone()
        keys.append(name)
    # values per sample the module takes (N-D samples, e.g. images, count every value)
    n_inputs = math.prod(estimator._transform_input(_probe(estimator)[:1], fit=False).shape[1:])
    outputs = _probe_outputs(estimator)
    tensors["check/outputs"] = outputs.detach().cpu().contiguous()
    first = next(iter(module.parameters()), None)
    return {
        "class": _describe(module), "keys": keys, "aliases": aliases,
        "n_inputs": int(n_inputs), "n_outputs": int(outputs.shape[1]),
        "dtype": _TorchDtype().encode(getattr(estimator, "module_dtype_", torch.float32),
                                      None, None),
        "device": str(first.device) if first is not None else "cpu",
        "training": bool(module.training),
    }


# --------------------------------------------------------------------------
# One estimator: decode
# --------------------------------------------------------------------------
def _expect_keys(value, field, required, optional=()):
    if not isinstance(value, dict):
        raise _Malformed(field, "expected a JSON object")
    missing = [k for k in required if k not in value]
    extra = [k for k in value if k not in required and k not in optional]
    if missing or extra:
        raise _Malformed(field, f"missing keys {missing[:5]}, unexpected keys "
                                f"{[k[:40] for k in extra[:5]]}")


def _decode_estimator(entry, tensors, used, limits, prefix, field, caller):
    """Rebuild one sklearn_dl estimator from its checked entry.

    ``tensors`` are the entry's own (``prefix`` stripped); ``caller`` holds
    the objects only the caller can give (``module``, ``init``, ...).
    """
    _expect_keys(entry, field, ("estimator", "params", "unstored_params", "state", "module",
                                "history"))
    classes = _public_estimators()
    name = entry["estimator"]
    if not isinstance(name, str) or name not in classes:
        shown = name[:80] if isinstance(name, str) else type(name).__name__
        raise _Malformed(f"{field}.estimator", f"{shown!r} is not one of sklearn_dl's "
                                               f"estimators ({sorted(classes)})")
    cls = classes[name]
    estimator = cls()
    values = _decode_params(entry, estimator, field, caller, only_unstored=prefix != "")
    try:
        estimator.set_params(**values)
        estimator._validate_params()
    except (TypeError, ValueError) as exc:
        raise _Malformed(f"{field}.params", f"not valid {cls.__name__} parameters: "
                                            f"{str(exc)[:300]}") from None
    state = _decode_state(entry["state"], estimator, f"{field}.state", tensors, used, limits)
    for key, value in state.items():
        # only names from FITTED_ATTRIBUTES reach setattr
        setattr(estimator, key, value)
    if entry["module"] is None:
        if state or entry["history"] is not None:
            raise _Malformed(f"{field}.module", "fitted state without a module")
        return estimator
    _check_required(estimator, state, f"{field}.state", limits)
    _rebuild_derived(estimator, f"{field}.state", limits)
    if type(estimator).__name__ in _NO_HISTORY:
        if entry["history"] is not None:
            raise _Malformed(f"{field}.history", f"{type(estimator).__name__} keeps no history")
    else:
        estimator.history_ = _decode_history(entry["history"], f"{field}.history")
    _load_module(estimator, entry["module"], tensors, used, limits, prefix, f"{field}.module")
    return estimator


def _decode_params(entry, estimator, field, caller, only_unstored):
    params, unstored = entry["params"], entry["unstored_params"]
    if not isinstance(params, dict) or not isinstance(unstored, dict):
        raise _Malformed(f"{field}.params", "expected JSON objects")
    accepted = set(estimator.get_params(deep=False))
    names = _named_objects()
    values = {}
    for key, value in params.items():
        if key not in accepted and not (_EXTRA_PARAM.match(key) and key.split("__")[0]
                                        in ("module", "criterion", "optimizer")):
            raise _Malformed(f"{field}.params", f"{key[:80]!r} is not a parameter of "
                                                f"{type(estimator).__name__}")
        values[key] = _decode_param(value, names, f"{field}.params.{key}")
    for key, described in unstored.items():
        if key in params or not isinstance(described, str) or len(described) > 500 or (
                key not in accepted and not _EXTRA_PARAM.match(key)):
            raise _Malformed(f"{field}.unstored_params", f"bad entry {key[:80]!r}")
    if "module" in unstored and "module" not in caller:
        raise ValueError(
            f"{field} holds a {type(estimator).__name__} trained on the module "
            f"{unstored['module']}, a class of your own: load never imports code named by "
            "a file. Pass it: load(path, module=<that class or a factory>).")
    if "module" in unstored and not isinstance(unstored["module"], str):
        raise _Malformed(f"{field}.unstored_params", "expected names")
    missing = sorted(set(unstored) - set(caller))
    if missing:
        warnings.warn(
            "These parameters were saved by name only and are back to their defaults: "
            + ", ".join(f"{k} (was {unstored[k]})" for k in missing)
            + ". They matter only for refitting; pass them to load, e.g. "
            f"load(path, {missing[0]}=...), to restore them.", UserWarning, stacklevel=4)
    # in a pipeline, the caller's objects go only where the file could name them
    given = {k: v for k, v in caller.items() if k in unstored or (
        not only_unstored and (k in accepted or _EXTRA_PARAM.match(k)))}
    values.update(given)
    return values


def _decode_state(state, estimator, field, tensors, used, limits):
    if not isinstance(state, dict):
        raise _Malformed(field, "expected a JSON object")
    out = {}
    for key, value in state.items():
        row = FITTED_ATTRIBUTES.get(key)
        if row is None:
            raise _Malformed(field, f"{key[:80]!r} is not a fitted attribute of "
                                    f"{type(estimator).__name__}")
        out[key] = row[0].decode(value, f"{field}.{key}", tensors, used, limits)
    return out


def _check_required(estimator, state, field, limits):
    for key, (_, required) in FITTED_ATTRIBUTES.items():
        if required is not None and required(estimator) and key not in state:
            raise _Malformed(field, f"the fitted attribute {key!r} is missing")
    n_in = state["n_features_in_"]
    if n_in > limits.bytes // (8 * _PROBE_ROWS):
        raise _Malformed(f"{field}.n_features_in_", "more features than the file can justify")
    names = state.get("feature_names_in_")
    if names is not None and (len(names) != n_in or not all(type(v) is str for v in names)):
        raise _Malformed(f"{field}.feature_names_in_", "must hold n_features_in_ strings")
    if is_classifier(estimator):
        classes = state["classes_"]
        try:
            ordered = len(classes) >= 2 and np.array_equal(np.unique(classes), classes)
        except TypeError:
            ordered = False
        if not ordered:
            raise _Malformed(f"{field}.classes_", "must be at least 2 distinct labels, sorted")
    elif "n_outputs_" in state and state["_y_ndim"] == 1 and state["n_outputs_"] != 1:
        raise _Malformed(f"{field}.n_outputs_", "a 1-D target has one output")


def _rebuild_derived(estimator, field, limits):
    """Fitted objects rebuilt from other fields rather than stored."""
    if is_classifier(estimator):
        from sklearn.preprocessing import LabelEncoder

        estimator._label_encoder = LabelEncoder()
        estimator._label_encoder.classes_ = estimator.classes_
    if "degree" in estimator.get_params(deep=False):  # PolyRidge's feature map
        from sklearn.preprocessing import PolynomialFeatures

        n, degree = estimator.n_features_in_, estimator.degree
        n_out = _n_monomials(n, degree, estimator.interaction_only,
                             stop=len(estimator.feature_scale_))
        if n_out != len(estimator.feature_scale_) or n_out != len(estimator.feature_offset_):
            raise _Malformed(f"{field}.feature_scale_", f"PolyRidge of degree {degree} on "
                                                        f"{n} features has {n_out} monomials")
        limits.check_bytes(8 * n_out * max(n, 1), f"{field}.n_features_in_")
        estimator.poly_ = PolynomialFeatures(
            degree=degree, interaction_only=estimator.interaction_only,
            include_bias=False).fit(np.zeros((1, n)))


def _n_monomials(n, degree, interaction_only, stop):
    """PolynomialFeatures' output count (no bias), counted only until it passes ``stop``.

    Term by term, so that a forged degree or feature count costs at most
    ``stop`` steps of small integers, never a number with millions of digits.
    """
    total, term = 0, 1
    for k in range(1, degree + 1):
        if interaction_only:
            if k > n:
                break
            term = term * (n - k + 1) // k          # C(n, k)
            total += term
        else:
            term = term * (n + k - 1) // k          # C(n + k - 1, k): monomials of degree k
            total += term
        if total > stop:
            break
    return total


def _decode_history(value, field):
    from skorch.history import History

    if value is None:
        return History()
    if type(value) is not list or not all(type(row) is dict for row in value):
        raise _Malformed(field, "expected a list of epoch records (objects)")
    return History(value)


def _int_field(spec, key, field, limits, minimum=1):
    value = spec[key]
    if type(value) is not int or not minimum <= value <= limits.bytes // 64:
        raise _Malformed(f"{field}.{key}", f"expected an int in [{minimum}, "
                                           f"{limits.bytes // 64}]")
    return value


def _load_module(estimator, spec, tensors, used, limits, prefix, field):
    _expect_keys(spec, field, ("class", "keys", "aliases", "n_inputs", "n_outputs", "dtype",
                               "device", "training"))
    n_in = _int_field(spec, "n_inputs", field, limits)
    n_out = _int_field(spec, "n_outputs", field, limits)
    if estimator.n_features_in_ > n_in and "degree" not in estimator.get_params(deep=False):
        raise _Malformed(f"{field}.n_inputs", "fewer module inputs than features")
    if estimator.n_features_in_ > limits.bytes // (8 * _PROBE_ROWS):
        raise _Malformed(f"{field.rsplit('.', 1)[0]}.state.n_features_in_", "too large")
    if is_classifier(estimator):
        n_classes = len(estimator.classes_)
        if n_out != (1 if n_classes == 2 else n_classes):
            raise _Malformed(f"{field}.n_outputs", f"does not fit {n_classes} classes")
    elif getattr(estimator, "n_outputs_", n_out) != n_out:
        raise _Malformed(f"{field}.n_outputs", "differs from state.n_outputs_")
    dtype = _TorchDtype().decode(spec["dtype"], f"{field}.dtype", None, None, limits)
    if dtype != estimator.module_dtype_:
        raise _Malformed(f"{field}.dtype", "differs from state.module_dtype_")
    keys, aliases = spec["keys"], spec["aliases"]
    if type(keys) is not list or not all(type(k) is str for k in keys) \
            or len(set(keys)) != len(keys):
        raise _Malformed(f"{field}.keys", "expected a list of distinct names")
    if type(aliases) is not dict or not all(type(v) is str and v in keys and k not in keys
                                            for k, v in aliases.items()):
        raise _Malformed(f"{field}.aliases", "each alias names one of keys")
    if type(spec["training"]) is not bool or type(spec["device"]) is not str \
            or not re.fullmatch(r"(cpu|cuda|mps|xpu)(:[0-9]{1,3})?", spec["device"]):
        raise _Malformed(f"{field}.device", "expected cpu, cuda[:N], mps or xpu")
    for key in keys:
        if f"module/{key}" not in tensors:
            raise _Malformed(f"{field}.keys", f"the tensor module/{key[:80]} is missing")
    if "check/outputs" not in tensors:
        raise _Malformed(field, "the tensor check/outputs is missing")
    module = _build_checked_module(estimator, n_in, n_out, dtype, keys, aliases, tensors,
                                   limits, field, spec["class"])
    state_dict = {k: tensors[f"module/{k}"] for k in keys}
    used.update(f"module/{k}" for k in keys)
    for alias, target in aliases.items():
        state_dict[alias] = state_dict[target]
    try:
        module.load_state_dict(state_dict)
    except RuntimeError as exc:
        raise _Malformed(f"{field}.keys", f"the weights do not fit: {str(exc)[:300]}") \
            from None
    device = torch.device(spec["device"])
    if "device" in estimator.get_params(deep=False) and estimator.device != "auto":
        try:
            device = estimator._resolve_device()
        except (RuntimeError, ValueError, TypeError) as exc:
            raise _Malformed(f"{field.rsplit('.', 1)[0]}.params.device", str(exc)[:200]) \
                from None
    elif device.type != "cpu" and not (device.type == "cuda" and torch.cuda.is_available()):
        device = torch.device("cpu")
    module = module.to(device)
    module.train(spec["training"])
    estimator.module_ = module
    expected = tensors["check/outputs"]
    used.add("check/outputs")
    try:
        got = _probe_outputs(estimator)
    except (RuntimeError, ValueError, TypeError, IndexError) as exc:
        raise _Malformed(field, f"the rebuilt model fails on an input of n_features_in_ "
                                f"columns: {str(exc)[:200]}") from None
    # Bit for bit on the device it was saved from; other devices round differently.
    exact = str(device) == spec["device"]
    close = got.shape == expected.shape and got.dtype == expected.dtype and (
        np.array_equal(got.numpy(), expected.numpy(), equal_nan=True) if exact
        else np.allclose(got.numpy(), expected.numpy(), equal_nan=True, rtol=1e-4, atol=1e-5))
    if not close:
        raise ValueError(
            f"{field}: the module rebuilt from {_describe(module)} gives other outputs "
            f"than the model saved ({str(spec['class'])[:200]}): it is not the class the "
            "model was trained with, or it keeps state outside its state_dict (register "
            "tensors with register_buffer so that they are saved).")


def _build_checked_module(estimator, n_in, n_out, dtype, keys, aliases, tensors, limits,
                          field, saved_class):
    """Build the module; its state_dict's names and shapes are checked first on 'meta'."""
    def build():
        # Building draws initial weights (overwritten below): from a generator
        # of its own, so loading never touches torch's global RNG, even in threads.
        with _rng.drawing_from(torch.Generator().manual_seed(0)):
            return estimator._build_module(n_in, n_out)

    try:
        with torch.device("meta"):
            skeleton = build()
    except Exception:  # a module whose construction needs real data: check sizes instead
        skeleton = None
        for key, value in estimator.get_params(deep=False).items():
            for v in (value if isinstance(value, (tuple, list)) else (value,)):
                if type(v) is int and v > limits.bytes // 64:
                    raise _Malformed(f"{field.rsplit('.', 1)[0]}.params.{key}", "too large")
    if skeleton is not None:
        expected = skeleton.state_dict()
        if set(expected) != set(keys) | set(aliases):
            raise ValueError(
                f"{field}: the weights do not fit the module {_describe(skeleton)} built "
                f"for loading (saved from {str(saved_class)[:200]}): it has the parameters "
                f"{sorted(expected)[:10]}, the file {sorted(set(keys) | set(aliases))[:10]}.")
        for key in keys:
            t, want = tensors[f"module/{key}"], expected[key]
            want_dtype = dtype if want.is_floating_point() else want.dtype
            if tuple(t.shape) != tuple(want.shape) or t.dtype != want_dtype:
                raise ValueError(
                    f"{field}: the weights do not fit the module {_describe(skeleton)} "
                    f"built for loading (saved from {str(saved_class)[:200]}): "
                    f"{key!r} is {t.dtype} {tuple(t.shape)} in the file, "
                    f"{want_dtype} {tuple(want.shape)} in the module.")
    try:
        module = build()
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(
            f"{field}: could not rebuild the module ({str(saved_class)[:200]}) with "
            f"{n_in} inputs and {n_out} outputs: {exc}") from exc
    return module.to(dtype)


# --------------------------------------------------------------------------
# Pipelines: scikit-learn parts through skops, sklearn_dl parts as above
# --------------------------------------------------------------------------
class EstimatorSlot:
    """Where a pipeline held sklearn_dl estimator number ``index`` (inside the skops part)."""

    def __init__(self, index=0):
        self.index = index


_PRIMITIVES = frozenset({"builtins.str", "builtins.int", "builtins.float", "builtins.bool",
                         "builtins.NoneType"})
_NUMPY_SCALAR_TYPES = frozenset({
    "numpy.float64", "numpy.float32", "numpy.int64", "numpy.int32", "numpy.int8",
    "numpy.uint8", "numpy.bool_", "numpy.bool", "numpy.str_", "numpy.object_"})

#: Each skops node kind the skops part of a file may use, with the types
#: (module.name) it may name there; anything else is refused before skops
#: constructs anything. No MethodNode, PartialNode, OperatorFuncNode,
#: BytesNode, ReduceNode... Add a name to the "ObjectNode" row to save a
#: pipeline holding another scikit-learn class (one whose fitted state is
#: plain arrays and parameters).
SKOPS_NODES = {
    "JsonNode": _PRIMITIVES,
    "TypeNode": _PRIMITIVES | _NUMPY_SCALAR_TYPES,
    "DictNode": frozenset({"builtins.dict", "sklearn.utils._bunch.Bunch"}),
    "ListNode": frozenset({"builtins.list"}),
    "TupleNode": frozenset({"builtins.tuple"}),
    "SetNode": frozenset({"builtins.set"}),
    "SliceNode": frozenset({"builtins.slice"}),
    "NdArrayNode": frozenset({"numpy.ndarray"}) | _NUMPY_SCALAR_TYPES,
    "DTypeNode": frozenset({"numpy.dtype"}),
    "RandomStateNode": frozenset({"numpy.random.mtrand.RandomState"}),
    # functions a TransformedTargetRegressor or FunctionTransformer may hold
    "FunctionNode": frozenset({"numpy.log", "numpy.exp", "numpy.log1p", "numpy.expm1",
                               "numpy.sqrt", "numpy.square"}),
    "TreeNode": frozenset({"sklearn.tree._tree.Tree"}),
    "LossNode": frozenset({"sklearn._loss._loss.CyHuberLoss",
                           "sklearn._loss._loss.CyHalfSquaredError"}),
    "ObjectNode": frozenset({
        "sklearn_dl.io.EstimatorSlot",
        "sklearn.pipeline.Pipeline", "sklearn.pipeline.FeatureUnion",
        "sklearn.compose._column_transformer.ColumnTransformer",
        "sklearn.compose._column_transformer.make_column_selector",
        "sklearn.compose._target.TransformedTargetRegressor",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.preprocessing._data.MinMaxScaler",
        "sklearn.preprocessing._data.RobustScaler", "sklearn.preprocessing._data.MaxAbsScaler",
        "sklearn.preprocessing._encoders.OneHotEncoder",
        "sklearn.preprocessing._encoders.OrdinalEncoder",
        "sklearn.preprocessing._polynomial.PolynomialFeatures",
        "sklearn.preprocessing._function_transformer.FunctionTransformer",
        "sklearn.impute._base.SimpleImputer", "sklearn.impute._base.MissingIndicator",
        "sklearn.decomposition._pca.PCA",
        "sklearn.feature_selection._variance_threshold.VarianceThreshold",
        "sklearn.ensemble._voting.VotingRegressor",
        "sklearn.ensemble._gb.GradientBoostingRegressor", "sklearn.dummy.DummyRegressor",
        "sklearn.tree._classes.DecisionTreeRegressor",
        "sklearn._loss.loss.HuberLoss", "sklearn._loss.loss.HalfSquaredError",
        "sklearn._loss.link.IdentityLink", "sklearn._loss.link.Interval",
        "sklearn.linear_model._ridge.Ridge", "sklearn.linear_model._base.LinearRegression",
        # sklearn_dl's own transformers (plain fitted arrays)
        "sklearn_dl.house_prices.HouseFeatures", "sklearn_dl.house_prices.ClipToTrainingRange",
        "sklearn_dl.house_prices.Log1pSkewed", "sklearn_dl.house_prices.DropLargeHouses",
        "sklearn_dl.house_prices.CategorySlopes",
        "sklearn_dl.house_prices.LargeHouseComparables",
        # the house-price wrapper: its params (a regressor, a bool, a dict of str) and
        # its fitted state (estimator_, n_features_in_, feature_names_in_) are plain
        "sklearn_dl.house_prices.HousePriceModel",
    }),
}

#: Every type the skops part of a file may name, whatever the node kind.
SKOPS_TYPES = frozenset().union(*SKOPS_NODES.values())


def _is_sklearn_dl_estimator(obj):
    from sklearn_dl._base import BaseTorchEstimator

    return isinstance(obj, BaseTorchEstimator)


def _find_estimators(obj, found, seen, depth=0):
    """sklearn_dl estimators inside a (trusted, caller's own) scikit-learn object."""
    if id(obj) in seen or depth > 100:
        return
    seen.add(id(obj))
    if _is_sklearn_dl_estimator(obj):
        found.append(obj)
        return
    if isinstance(obj, dict):
        children = list(obj.values())
    elif isinstance(obj, (list, tuple)):
        children = list(obj)
    elif isinstance(obj, BaseEstimator):
        children = list(vars(obj).values())
    else:
        return
    for child in children:
        _find_estimators(child, found, seen, depth + 1)


def _encode_composite(obj, tensors):
    import copy

    import skops.io as sio

    found = []
    _find_estimators(obj, found, set())
    memo = {id(est): EstimatorSlot(i) for i, est in enumerate(found)}
    for est in found:
        memo[id(memo[id(est)])] = memo[id(est)]  # keep the slots alive in the memo
    # deepcopy consults memo first: each sklearn_dl estimator becomes its slot
    shell = copy.deepcopy(obj, memo)
    try:
        blob = sio.dumps(shell)
    except Exception as exc:  # skops refuses a type it cannot represent
        raise ValueError(f"Cannot save {type(obj).__name__} without pickle: skops.io "
                         f"could not represent part of it ({exc}). Pickle or joblib.dump it "
                         "instead, and load it only from a source you trust.") from None
    names = _skops_type_names(blob, _Limits(len(blob)))
    unknown = sorted(names - SKOPS_TYPES)
    if unknown:
        raise ValueError(
            f"Cannot save this {type(obj).__name__}: it holds {unknown}, which "
            "sklearn_dl.io.SKOPS_NODES does not list, so load would refuse it. Add it to the "
            "'ObjectNode' row there if the class is safe to construct from a file (plain "
            "fitted arrays and parameters), or pickle the model.")
    entries = [_encode_estimator(est, tensors, f"est{i}/") for i, est in enumerate(found)]
    tensors["skops"] = torch.frombuffer(bytearray(blob), dtype=torch.uint8)
    return {"skops_bytes": len(blob), "estimators": entries}


def _skops_type_names(blob, limits, field="skops"):
    """Every type name in a skops archive, after checking its structure and sizes."""
    try:
        archive = zipfile.ZipFile(_stdio.BytesIO(blob))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _Malformed(field, f"not a readable archive ({exc})") from None
    if len(members) > limits.file_size // 22 + 1:  # a zip entry takes at least 22 bytes
        raise _Malformed(field, "too many members")
    for info in members:
        if info.compress_type != zipfile.ZIP_STORED or info.file_size > len(blob):
            raise _Malformed(field, f"member {info.filename[:80]!r} is compressed or larger "
                                    "than the archive")
        if info.filename.endswith(".npy"):
            _check_npy_header(archive, info, f"{field}.{info.filename[:80]}")
    try:
        text = archive.read("schema.json").decode()
    except (KeyError, UnicodeDecodeError, zipfile.BadZipFile, ValueError) as exc:
        raise _Malformed(f"{field}.schema.json", f"unreadable ({exc})") from None
    if not _json_depth_ok(text, 200):
        raise _Malformed(f"{field}.schema.json", "nested too deeply")
    try:
        schema = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _Malformed(f"{field}.schema.json", f"not JSON ({exc})") from None
    names, stack = set(), [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if "__loader__" in node or "__module__" in node or "__class__" in node:
                module, name, loader = (node.get("__module__"), node.get("__class__"),
                                        node.get("__loader__"))
                if not all(isinstance(v, str) for v in (module, name, loader)) \
                        or loader not in SKOPS_NODES:
                    raise _Malformed(f"{field}.schema.json", f"node loader {str(loader)[:80]!r}"
                                                             " is not allowed")
                names.add(f"{module}.{name}")
                if f"{module}.{name}" in SKOPS_TYPES \
                        and f"{module}.{name}" not in SKOPS_NODES[loader]:
                    raise _Malformed(f"{field}.schema.json", f"a {loader} may not name "
                                                             f"{module}.{name}")
            if "__reduce__" in node:
                reduce = node["__reduce__"]
                if not isinstance(reduce, dict):
                    raise _Malformed(f"{field}.schema.json", "malformed __reduce__")
            stack.extend(node.values())
    return names


def _check_npy_header(archive, info, field):
    """An array member's declared shape and dtype must fit its byte size."""
    from numpy.lib import format as npy

    with archive.open(info) as f:
        try:
            version = npy.read_magic(f)
            reader = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}
            shape, _, dtype = reader[version](f)
        except (ValueError, KeyError, SyntaxError, TypeError, OverflowError) as exc:
            raise _Malformed(field, f"bad array header ({str(exc)[:200]})") from None
    if dtype.hasobject:
        raise _Malformed(field, "object arrays are not allowed in .npy members")
    count = math.prod(shape)
    if count * dtype.itemsize > info.file_size or len(shape) > 32:
        raise _Malformed(field, f"shape {shape[:8]} of {dtype} does not fit "
                                f"{info.file_size} bytes")


def _import_skops_types():
    """Import every module SKOPS_TYPES names, whatever the file: a file decides no import."""
    import importlib

    for name in sorted(SKOPS_TYPES):
        module = name.rsplit(".", 1)[0]
        if module != "numpy.random.mtrand":
            importlib.import_module(module)


def _decode_composite(meta, tensors, used, limits, caller):
    import skops.io as sio

    _import_skops_types()
    _expect_keys(meta, "metadata", ("skops_bytes", "estimators"), _TOP_KEYS)
    entries = meta["estimators"]
    if type(entries) is not list or len(entries) > 10_000:
        raise _Malformed("estimators", "expected a list")
    if "skops" not in tensors or tensors["skops"].dtype != torch.uint8 \
            or tensors["skops"].ndim != 1 or meta["skops_bytes"] != tensors["skops"].numel():
        raise _Malformed("skops", "expected a 1-D uint8 tensor of skops_bytes bytes")
    blob = tensors["skops"].numpy().tobytes()
    used.add("skops")
    names = _skops_type_names(blob, limits)
    unknown = sorted(names - SKOPS_TYPES)
    if unknown:
        raise _Malformed("skops", f"names types load does not construct: "
                                  f"{[u[:80] for u in unknown[:5]]}")
    try:
        untrusted = sio.get_untrusted_types(data=blob)
    except Exception as exc:
        raise _Malformed("skops", f"unreadable ({str(exc)[:200]})") from None
    if set(untrusted) - SKOPS_TYPES:
        raise _Malformed("skops", f"untrusted types {sorted(set(untrusted) - SKOPS_TYPES)[:5]}")
    estimators = []
    for i, entry in enumerate(entries):
        prefix = f"est{i}/"
        own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        own_used = set()
        estimators.append(_decode_estimator(entry, own, own_used, limits, prefix,
                                            f"estimators[{i}]", caller))
        used.update(prefix + k for k in own_used)
    try:
        shell = sio.loads(blob, trusted=sorted(set(untrusted)))
    except Exception as exc:  # skops' own checks: malformed nodes, wrong types, ...
        raise _Malformed("skops", f"skops.io refused it ({type(exc).__name__}: "
                                  f"{str(exc)[:200]})") from None
    filled = set()
    obj = _fill_slots(shell, estimators, filled, {}, 0)
    if filled != set(range(len(estimators))):
        raise _Malformed("estimators", "each estimator fills one slot of the skops part")
    if not isinstance(obj, BaseEstimator):
        raise _Malformed("skops", "the top-level object is not a scikit-learn estimator")
    return obj


def _fill_slots(obj, estimators, filled, done, depth):
    """Put the estimators into their slots; check every loaded object on the way."""
    if depth > 200:
        raise _Malformed("skops", "nested too deeply")
    if id(obj) in done:
        return done[id(obj)]
    if isinstance(obj, EstimatorSlot):
        index = getattr(obj, "index", None)
        if set(vars(obj)) != {"index"} or type(index) is not int \
                or not 0 <= index < len(estimators):
            raise _Malformed("skops", "a slot names no saved estimator")
        filled.add(index)
        done[id(obj)] = estimators[index]
        return estimators[index]
    done[id(obj)] = obj
    if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType, np.ufunc, str,
                        bytes, int, float, np.generic)):
        return obj
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            for i, v in enumerate(list(obj.flat)):
                obj.flat[i] = _fill_slots(v, estimators, filled, done, depth + 1)
        return obj
    if isinstance(obj, list):
        obj[:] = [_fill_slots(v, estimators, filled, done, depth + 1) for v in obj]
    elif isinstance(obj, tuple):
        new = tuple(_fill_slots(v, estimators, filled, done, depth + 1) for v in obj)
        done[id(obj)] = new
        return new
    elif isinstance(obj, dict):
        for key in list(obj):
            obj[key] = _fill_slots(obj[key], estimators, filled, done, depth + 1)
    elif hasattr(obj, "__dict__"):
        _check_instance_attributes(obj)
        if isinstance(obj, BaseEstimator):
            missing = set(type(obj)._get_param_names()) - set(vars(obj))
            if missing:  # every scikit-learn estimator keeps its parameters as attributes
                raise _Malformed("skops", f"the {type(obj).__name__} lacks its parameters "
                                          f"{sorted(missing)[:5]}")
        for key, value in list(vars(obj).items()):
            vars(obj)[key] = _fill_slots(value, estimators, filled, done, depth + 1)
        _check_tree(obj)
    return obj


def _check_instance_attributes(obj):
    """No loaded attribute may shadow a name its class defines (a method, a property) or be
    a dunder: those would replace behaviour, not hold data."""
    cls = type(obj)
    for key in vars(obj):
        if type(key) is not str or key.startswith("__") or any(
                key in vars(klass) for klass in cls.__mro__):
            raise _Malformed("skops", f"{cls.__name__} instance attribute {str(key)[:80]!r} "
                                      "shadows a name of its class")


def _check_tree(obj):
    """Trees index their node arrays without bounds checks: check the links here."""
    from sklearn.tree._tree import Tree

    for tree in [v for v in vars(obj).values() if isinstance(v, Tree)]:
        n = tree.node_count
        left, right = tree.children_left, tree.children_right
        index = np.arange(n)
        leaf = left == -1
        if not (np.array_equal(leaf, right == -1) and (left[~leaf] > index[~leaf]).all()
                and (right[~leaf] > index[~leaf]).all() and (left[~leaf] < n).all()
                and (right[~leaf] < n).all() and (tree.feature[~leaf] >= 0).all()
                and (tree.feature[~leaf] < tree.n_features).all()):
            raise _Malformed("skops", "a decision tree's node links are out of range")


# --------------------------------------------------------------------------
# save / load
# --------------------------------------------------------------------------
_TOP_KEYS = ("format", "format_version", "kind", "versions", "weights_sha256")


def _weights_hash(tensors):
    """SHA-256 over the tensors' names, dtypes, shapes and bytes, in name order."""
    digest = hashlib.sha256()
    for key in sorted(tensors):
        t = tensors[key].detach().cpu().contiguous()
        digest.update(f"{key}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def save(estimator, path):
    """Write a fitted (or unfitted) estimator or pipeline to one safetensors file, without pickle.

    Parameters
    ----------
    estimator : sklearn_dl estimator or scikit-learn estimator holding them
        One of the package's public estimators (``MLPClassifier``,
        ``TorchRegressor``, ...), or a scikit-learn ``Pipeline``,
        ``ColumnTransformer``, ``TransformedTargetRegressor`` (for example
        ``GridSearchCV(...).best_estimator_`` or a house-price model from
        :func:`sklearn_dl.house_prices.make_model`) whose parts are sklearn_dl
        estimators and the scikit-learn classes listed in ``SKOPS_TYPES``.
        A subclass of your own is refused: pickle it.
    path : str or os.PathLike
        Where to write; ``.safetensors`` is the natural suffix. The file is
        written to a temporary name and renamed, so an interrupted save never
        leaves a truncated file under ``path``.

    Returns
    -------
    path : str
        The path written.

    Raises
    ------
    ValueError
        If the estimator (or a part of a pipeline) is not one save can write
        without pickle: the message says which part and what to do.

    See Also
    --------
    load : Read the file back.

    Notes
    -----
    Parameters that are Python objects of your own (a ``module`` class, an
    ``init`` function, ``callbacks``) are recorded by name only; :func:`load`
    takes them from its caller. Everything needed to predict is stored: a
    loaded estimator predicts exactly as the saved one on the same device.
    The skorch net and the optimizer state are not stored: ``warm_start`` or
    ``partial_fit`` after loading continue from the loaded weights with a
    fresh optimizer.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn_dl import SoftmaxClassifier, save, load
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [0.9, 0.1], [0.1, 0.8]])
    >>> clf = SoftmaxClassifier(solver="lbfgs", random_state=0).fit(X, ["a", "b", "b", "a"])
    >>> path = os.path.join(tempfile.mkdtemp(), "clf.safetensors")
    >>> _ = save(clf, path)
    >>> loaded = load(path)
    >>> (loaded.predict_proba(X) == clf.predict_proba(X)).all()
    np.True_
    >>> loaded.classes_
    array(['a', 'b'], dtype='<U1')
    """
    from safetensors.torch import save_file

    tensors = {}
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "versions": _versions()}
    if _is_sklearn_dl_estimator(estimator):
        meta["kind"] = "estimator"
        meta.update(_encode_estimator(estimator, tensors, ""))
    elif isinstance(estimator, BaseEstimator):
        meta["kind"] = "pipeline"
        meta.update(_encode_composite(estimator, tensors))
    else:
        raise ValueError(f"save writes estimators; got a {type(estimator).__name__}.")
    meta["weights_sha256"] = _weights_hash(tensors)
    text = json.dumps(meta, sort_keys=True, allow_nan=True)
    metadata = {_META_KEY: text, _DIGEST_KEY: hashlib.sha256(text.encode()).hexdigest()}
    path = os.fspath(path)
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        save_file(tensors, tmp, metadata=metadata)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _read(path):
    """Tensors, checked metadata and limits of a file written by :func:`save`."""
    from safetensors import SafetensorError, safe_open

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such file: {path!r}")
    limits = _Limits(os.path.getsize(path))
    try:
        with safe_open(path, framework="pt", device="cpu") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError, TypeError) as exc:
        raise ValueError(
            f"{path!r} is not a readable safetensors file ({str(exc)[:300]}). It is "
            "truncated, corrupted, or was not written by sklearn_dl.save.") from None
    text = metadata.get(_META_KEY)
    if text is None:
        raise ValueError(
            f"{path!r} is a safetensors file but not one written by sklearn_dl.save (its "
            f"header has no {_META_KEY!r} entry). Load bare weights with "
            "safetensors.torch.load_file and module.load_state_dict.")
    if hashlib.sha256(text.encode()).hexdigest() != metadata.get(_DIGEST_KEY):
        raise ValueError(
            f"{path!r} was modified or corrupted: its metadata no longer matches the "
            "SHA-256 recorded when it was saved. Refusing to load it.")
    if not _json_depth_ok(text, _Limits.MAX_DEPTH):
        raise ValueError(f"{path!r} has invalid metadata: nested more than "
                         f"{_Limits.MAX_DEPTH} levels deep.")
    try:
        meta = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{path!r} has unreadable metadata: {str(exc)[:200]}.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{path!r} is not a sklearn_dl.save file.")
    versions = meta.get("versions")
    if not isinstance(versions, dict) or not all(
            isinstance(v, str) and len(v) < 100 for v in versions.values()):
        raise ValueError(f"{path!r} has invalid metadata: versions: expected names of "
                         "library versions.")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path!r} uses file format version {str(meta.get('format_version'))[:20]}; this "
            f"sklearn_dl ({_versions()['sklearn_dl']}) reads version {FORMAT_VERSION}. "
            "Load it with the sklearn_dl version that wrote it "
            f"({str(versions.get('sklearn_dl'))[:40]}).")
    if _weights_hash(tensors) != meta.get("weights_sha256"):
        raise ValueError(
            f"{path!r} was modified or corrupted: its tensors no longer match the SHA-256 "
            "recorded when it was saved. Refusing to load it.")
    return meta, tensors, limits


def load(path, module=None, **params):
    """Read an estimator or pipeline written by :func:`save`; no code from the file runs.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save`.
    module : torch.nn.Module class, factory or instance, default=None
        For ``TorchClassifier`` / ``TorchRegressor`` trained on a module of
        your own: the module class (or factory, or instance) it was trained
        with. The file names the class but never imports it. Not needed for
        the package's own modules. In a pipeline it goes to every
        sklearn_dl estimator that was trained on a module of your own.
    **params
        Parameters to set on the loaded estimator(s), for those the file
        could only name (an ``init`` function, ``callbacks``, a ``criterion``
        class of your own) or to change (``device='cpu'``).

    Returns
    -------
    estimator : sklearn_dl estimator or scikit-learn pipeline
        Fitted as when saved: it predicts exactly as before on the same device.

    Raises
    ------
    ValueError
        If the file is truncated, corrupted or edited so that it no longer
        fits the format (the message names the field), not written by
        :func:`save`, of another format version, or if ``module`` is needed
        but missing or does not reproduce the saved model's outputs.
    FileNotFoundError
        If ``path`` does not exist.

    Warns
    -----
    UserWarning
        If the file was written by another sklearn_dl version, or a parameter
        the file could only name was not passed (it gets its default; this
        matters only for refitting).

    See Also
    --------
    save : Write the file.
    """
    meta, tensors, limits = _read(path)
    name = os.fspath(path)
    saved_version = meta["versions"].get("sklearn_dl")
    if saved_version != _versions()["sklearn_dl"]:
        warnings.warn(
            f"{name!r} was saved with sklearn_dl {str(saved_version)[:40]}; this is "
            f"{_versions()['sklearn_dl']}. Check its predictions before relying on it.",
            UserWarning, stacklevel=2)
    caller = dict(params)
    if module is not None:
        caller["module"] = module
    used = set()
    try:
        if meta.get("kind") == "estimator":
            _expect_keys(meta, "metadata", ("estimator", "params", "unstored_params", "state",
                                            "module", "history"), _TOP_KEYS)
            entry = {k: meta[k] for k in ("estimator", "params", "unstored_params", "state",
                                          "module", "history")}
            result = _decode_estimator(entry, tensors, used, limits, "", "metadata", caller)
        elif meta.get("kind") == "pipeline":
            result = _decode_composite(meta, tensors, used, limits, caller)
        else:
            raise _Malformed("kind", "expected 'estimator' or 'pipeline'")
    except _Malformed as exc:
        raise ValueError(f"{name!r} has invalid metadata: {exc}.") from None
    unused = set(tensors) - used
    if unused:
        raise ValueError(f"{name!r} holds tensors its metadata does not name: "
                         f"{sorted(k[:80] for k in unused)[:10]}.")
    return result
