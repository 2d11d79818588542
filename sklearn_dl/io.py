"""Save and load fitted estimators without pickle.

:func:`save` writes one `safetensors <https://huggingface.co/docs/safetensors>`_
file:

- the tensors: the module's ``state_dict`` (``module/<name>``), every numeric
  array among the fitted attributes (``state/<attribute path>``, for example
  ``PolyRidge``'s ``feature_scale_``) and the outputs of the model on a fixed
  probe input (``check/outputs``);
- the file's metadata header: one JSON document (key ``"sklearn_dl"``) with
  the estimator's class name, its parameters, the rest of its fitted state
  (``classes_``, feature names, ``n_features_in_``, fitted scikit-learn
  objects such as ``PolyRidge``'s ``PolynomialFeatures``, the training
  history), the library versions, and a SHA-256 hash over the tensors; plus
  the SHA-256 of that JSON text (key ``"sklearn_dl_sha256"``).

:func:`load` reads the file with ``safetensors`` and ``json`` only, so it
executes no code from the file: no pickle, no ``torch.load``. Classes are
never imported by a name found in the file: the estimator class must be one
of ``sklearn_dl``'s public estimators, scikit-learn objects are rebuilt from
classes under ``sklearn.``, torch classes from ``torch.nn`` / ``torch.optim``
by their public name, and a user-defined ``module`` class comes from the
caller (``load(path, module=MyNet)``). Both hashes are checked, so a
truncated, corrupted or edited file is refused with a ``ValueError``. The
hashes detect damage, not a forger: anyone who can edit the file can
recompute them, but what they can put in it is data, never code.

Pickle and ``joblib.dump`` keep working (scikit-learn's convention) and keep
the skorch net and optimizer state too, but unpickling runs whatever code the
file names: only unpickle files you trust.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import platform
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone
from skorch.history import History

from . import _rng

__all__ = ["save", "load"]

FORMAT = "sklearn_dl.save"
FORMAT_VERSION = 1
_META_KEY = "sklearn_dl"
_DIGEST_KEY = "sklearn_dl_sha256"

#: Fitted attributes that are not written as such: the skorch net (rebuilt
#: on demand by the next warm-start fit), the module (its weights are written),
#: the history (written separately).
_SKIPPED_STATE = {"net_", "module_", "history_"}

#: Rows of the probe input whose outputs are stored to check the rebuilt module.
_PROBE_ROWS = 4


class _Unstorable(TypeError):
    """A value that the JSON document cannot hold."""


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
    """Name -> class of every public estimator of sklearn_dl."""
    import sklearn_dl
    from sklearn_dl._base import BaseTorchEstimator

    classes = {}
    for name in sklearn_dl.__all__:
        obj = getattr(sklearn_dl, name)
        if isinstance(obj, type) and issubclass(obj, BaseTorchEstimator):
            classes[name] = obj
    return classes


# --------------------------------------------------------------------------
# Encoding: Python values -> JSON + tensors
# --------------------------------------------------------------------------
def _reference(obj):
    """A name that :func:`_resolve` maps back to ``obj``, or None.

    Only public torch.nn / torch.optim classes and objects defined in
    sklearn_dl itself get one: those can be looked up without importing
    anything named by the file.
    """
    name = getattr(obj, "__name__", None)
    if name is None:
        return None
    for namespace, module in (("torch.nn", torch.nn), ("torch.optim", torch.optim)):
        if getattr(module, name, None) is obj:
            return f"{namespace}.{name}"
    mod, qualname = getattr(obj, "__module__", "") or "", getattr(obj, "__qualname__", "")
    if (mod == "sklearn_dl" or mod.startswith("sklearn_dl.")) and "<" not in qualname:
        return f"{mod}:{qualname}"
    return None


def _resolve(ref):
    if ref.startswith(("torch.nn.", "torch.optim.")) and ":" not in ref:
        namespace, name = ref.rsplit(".", 1)
        obj = getattr(torch.nn if namespace == "torch.nn" else torch.optim, name, None)
    elif ":" in ref and (ref.startswith("sklearn_dl.") or ref.startswith("sklearn_dl:")):
        mod, qualname = ref.split(":", 1)
        obj = importlib.import_module(mod)  # sklearn_dl's own modules only
        for part in qualname.split("."):
            obj = getattr(obj, part, None)
    else:
        obj = None
    if obj is None:
        raise ValueError(f"The file names {ref!r}, which load does not look up.")
    return obj


def _describe(obj):
    cls = obj if isinstance(obj, type) or callable(obj) and hasattr(obj, "__qualname__") \
        else type(obj)
    return f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', repr(cls))}"


class _Encoder:
    """Turns a value into JSON-ready data; numeric arrays go to ``tensors``."""

    def __init__(self):
        self.tensors = {}

    def _tensor(self, path, tensor):
        key = f"state/{path}"
        # A copy: two attributes holding one array (``classes_`` is
        # ``_label_encoder.classes_``) would otherwise give tensors sharing
        # memory, which safetensors refuses.
        self.tensors[key] = tensor.detach().cpu().contiguous().clone()
        return key

    def encode(self, value, path):
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int) and type(value) is int:
            return value
        if isinstance(value, float) and type(value) is float:
            return value if math.isfinite(value) else {"__float__": repr(value)}
        if isinstance(value, np.generic):
            if value.dtype.kind not in "biuf":
                raise _Unstorable(f"numpy scalar of dtype {value.dtype}")
            item = value.item()
            return {"__npscalar__": value.dtype.str,
                    "value": self.encode(float(item), path) if value.dtype.kind == "f" else item}
        if isinstance(value, np.ndarray):
            if value.dtype.kind in "biuf":
                return {"__ndarray__": self._tensor(path, torch.from_numpy(
                    np.ascontiguousarray(value))), "dtype": value.dtype.str}
            if value.dtype.kind in "US":
                return {"__strarray__": value.tolist(), "dtype": value.dtype.str}
            if value.dtype.kind == "O":
                return {"__objarray__": [self.encode(v, f"{path}/{i}")
                                         for i, v in enumerate(value.ravel().tolist())],
                        "shape": list(value.shape)}
            raise _Unstorable(f"array of dtype {value.dtype}")
        if isinstance(value, torch.Tensor):
            return {"__tensor__": self._tensor(path, value)}
        if isinstance(value, torch.dtype):
            return {"__torch_dtype__": str(value).replace("torch.", "")}
        if isinstance(value, torch.device):
            return {"__torch_device__": str(value)}
        if isinstance(value, History):
            return {"__history__": self.encode(list(value), path)}
        if isinstance(value, list):
            return [self.encode(v, f"{path}/{i}") for i, v in enumerate(value)]
        if isinstance(value, tuple):
            return {"__tuple__": [self.encode(v, f"{path}/{i}") for i, v in enumerate(value)]}
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise _Unstorable("dict with non-string keys")
            return {"__dict__": {k: self.encode(v, f"{path}/{k}") for k, v in value.items()}}
        if isinstance(value, BaseEstimator) and type(value).__module__.startswith("sklearn."):
            params = value.get_params(deep=False)
            return {
                "__sklearn__": f"{type(value).__module__}:{type(value).__qualname__}",
                "params": self.encode(params, f"{path}/params"),
                "state": self.encode({k: v for k, v in vars(value).items() if k not in params},
                                     f"{path}/state"),
            }
        ref = _reference(value)
        if ref is not None:
            return {"__ref__": ref}
        raise _Unstorable(_describe(value))


def _weights_hash(tensors):
    """SHA-256 over the tensors' names, dtypes, shapes and bytes, in name order."""
    digest = hashlib.sha256()
    for key in sorted(tensors):
        t = tensors[key].detach().cpu().contiguous()
        digest.update(f"{key}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _probe(estimator):
    """A fixed input with ``n_features_in_`` columns (not drawn from any global RNG)."""
    rng = np.random.RandomState(0)
    return rng.uniform(-1.0, 1.0, size=(_PROBE_ROWS, estimator.n_features_in_))


def _probe_outputs(estimator):
    return estimator._forward(estimator._transform_input(_probe(estimator), fit=False))


def save(estimator, path):
    """Write a fitted (or unfitted) estimator to one safetensors file, without pickle.

    Parameters
    ----------
    estimator : sklearn_dl estimator
        One of the package's public estimators (``MLPClassifier``,
        ``TorchRegressor``, ...). A subclass of your own is refused: pickle it.
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
        If the estimator is not a public sklearn_dl estimator, or holds fitted
        state that JSON and tensors cannot represent.

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

    cls = type(estimator)
    if _public_estimators().get(cls.__name__) is not cls:
        raise ValueError(
            f"save writes sklearn_dl's public estimators; got {cls.__module__}."
            f"{cls.__qualname__}. Pickle or joblib.dump it instead (and load it only "
            "from a source you trust), or save the sklearn_dl estimator it wraps.")
    encoder = _Encoder()
    params, unstored = {}, {}
    for name, value in estimator.get_params(deep=False).items():
        try:
            params[name] = encoder.encode(value, f"params/{name}")
        except _Unstorable as exc:
            unstored[name] = str(exc)
    fresh = set(vars(clone(estimator)))
    state = {}
    for name, value in vars(estimator).items():
        if name in fresh or name in _SKIPPED_STATE:
            continue
        try:
            state[name] = encoder.encode(value, name)
        except _Unstorable as exc:
            raise ValueError(
                f"Cannot save the fitted attribute {name!r} of {cls.__name__}: it holds a "
                f"{exc}, which save cannot store without pickle.") from None
    meta = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "estimator": cls.__name__,
        "versions": _versions(), "params": params, "unstored_params": unstored,
        "state": state, "module": None,
    }
    if hasattr(estimator, "history_"):
        try:
            meta["history"] = encoder.encode(estimator.history_, "history")
        except _Unstorable:  # a custom callback wrote an object into the history
            meta["history"] = None
    tensors = dict(encoder.tensors)
    module = getattr(estimator, "module_", None)
    if module is not None:
        meta["module"] = _save_module(estimator, module, tensors)
    meta["weights_sha256"] = _weights_hash(tensors)
    text = json.dumps(meta, sort_keys=True, allow_nan=False)
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
    n_inputs = estimator._transform_input(_probe(estimator)[:1], fit=False).shape[1]
    outputs = _probe_outputs(estimator)
    tensors["check/outputs"] = outputs.detach().cpu().contiguous()
    first = next(iter(module.parameters()), None)
    return {
        "class": _describe(module), "keys": keys, "aliases": aliases,
        "n_inputs": int(n_inputs), "n_outputs": int(outputs.shape[1]),
        "dtype": str(getattr(estimator, "module_dtype_", torch.float32)).replace("torch.", ""),
        "device": str(first.device) if first is not None else "cpu",
        "training": bool(module.training),
    }


# --------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------
def _sklearn_class(ref):
    mod, _, qualname = ref.partition(":")
    if not (mod == "sklearn" or mod.startswith("sklearn.")) or not qualname:
        raise ValueError(f"The file names {ref!r}, which load does not look up.")
    obj = importlib.import_module(mod)  # scikit-learn's own modules only
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    if not (isinstance(obj, type) and issubclass(obj, BaseEstimator)):
        raise ValueError(f"The file names {ref!r}, which is not a scikit-learn estimator.")
    return obj


class _Decoder:
    def __init__(self, tensors):
        self.tensors = tensors
        self.used = set()

    def _tensor(self, key):
        if key not in self.tensors:
            raise ValueError(f"the tensor {key!r} named in the metadata is missing")
        self.used.add(key)
        return self.tensors[key]

    def decode(self, value):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict) or len(value) == 0:
            raise ValueError(f"unexpected value {value!r}")
        tag = next(k for k in value if k.startswith("__")) if any(
            k.startswith("__") for k in value) else None
        if tag == "__float__":
            return float(value[tag])  # 'nan', 'inf' or '-inf'
        if tag == "__npscalar__":
            return np.dtype(value[tag]).type(self.decode(value["value"]))
        if tag == "__ndarray__":
            return self._tensor(value[tag]).numpy().astype(np.dtype(value["dtype"]), copy=True)
        if tag == "__strarray__":
            return np.array(value[tag], dtype=np.dtype(value["dtype"]))
        if tag == "__objarray__":
            items = [self.decode(v) for v in value[tag]]
            out = np.empty(len(items), dtype=object)
            out[:] = items
            return out.reshape(value["shape"])
        if tag == "__tensor__":
            return self._tensor(value[tag]).clone()
        if tag == "__torch_dtype__":
            dtype = getattr(torch, value[tag], None)
            if not isinstance(dtype, torch.dtype):
                raise ValueError(f"unknown torch dtype {value[tag]!r}")
            return dtype
        if tag == "__torch_device__":
            return torch.device(value[tag])
        if tag == "__history__":
            return History(self.decode(value[tag]))
        if tag == "__tuple__":
            return tuple(self.decode(v) for v in value[tag])
        if tag == "__dict__":
            return {k: self.decode(v) for k, v in value[tag].items()}
        if tag == "__sklearn__":
            obj = _sklearn_class(value[tag])(**self.decode(value["params"]))
            for k, v in self.decode(value["state"]).items():
                setattr(obj, k, v)
            return obj
        if tag == "__ref__":
            return _resolve(value[tag])
        raise ValueError(f"unexpected value {value!r}")


def _read(path):
    """Tensors and checked metadata of a file written by :func:`save`."""
    from safetensors import SafetensorError, safe_open

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such file: {path!r}")
    try:
        with safe_open(path, framework="pt", device="cpu") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ValueError(
            f"{path!r} is not a readable safetensors file ({exc}). It is truncated, "
            "corrupted, or was not written by sklearn_dl.save.") from None
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
    try:
        meta = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{path!r} has unreadable metadata: {exc}.") from None
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path!r} is not a sklearn_dl.save file.")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path!r} uses file format version {meta.get('format_version')}; this "
            f"sklearn_dl ({_versions()['sklearn_dl']}) reads version {FORMAT_VERSION}. "
            "Load it with the sklearn_dl version that wrote it "
            f"({meta.get('versions', {}).get('sklearn_dl')}).")
    if _weights_hash(tensors) != meta.get("weights_sha256"):
        raise ValueError(
            f"{path!r} was modified or corrupted: its tensors no longer match the SHA-256 "
            "recorded when it was saved. Refusing to load it.")
    return meta, tensors


def load(path, module=None, **params):
    """Read an estimator written by :func:`save`; no code from the file runs.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save`.
    module : torch.nn.Module class, factory or instance, default=None
        For ``TorchClassifier`` / ``TorchRegressor`` trained on a module of
        your own: the module class (or factory, or instance) it was trained
        with. The file names the class but never imports it. Not needed for
        the package's own modules.
    **params
        Parameters to set on the loaded estimator, for those the file could
        only name (an ``init`` function, ``callbacks``, a ``criterion`` class
        of your own) or to change (``device='cpu'`` to load a GPU model on a
        machine without one).

    Returns
    -------
    estimator : sklearn_dl estimator
        Fitted as when saved: it predicts exactly as before on the same device.

    Raises
    ------
    ValueError
        If the file is truncated, corrupted or edited (hash mismatch), not
        written by :func:`save`, of a newer format, or if ``module`` is needed
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
    meta, tensors = _read(path)
    classes = _public_estimators()
    cls = classes.get(meta.get("estimator"))
    if cls is None:
        raise ValueError(
            f"{os.fspath(path)!r} holds a {meta.get('estimator')!r}, which is not one of "
            f"sklearn_dl's estimators ({sorted(classes)}).")
    saved_version = meta["versions"].get("sklearn_dl")
    if saved_version != _versions()["sklearn_dl"]:
        warnings.warn(
            f"{os.fspath(path)!r} was saved with sklearn_dl {saved_version}; this is "
            f"{_versions()['sklearn_dl']}. Check its predictions before relying on it.",
            UserWarning, stacklevel=2)
    decoder = _Decoder(tensors)
    try:
        values = {k: decoder.decode(v) for k, v in meta["params"].items()}
        state = {k: decoder.decode(v) for k, v in meta["state"].items()}
        history = decoder.decode(meta.get("history"))
    except ValueError as exc:
        raise ValueError(f"{os.fspath(path)!r} has invalid metadata: {exc}.") from None
    if module is not None:
        params["module"] = module
    unstored = meta.get("unstored_params", {})
    if "module" in unstored and "module" not in params:
        raise ValueError(
            f"{os.fspath(path)!r} holds a {cls.__name__} trained on the module "
            f"{unstored['module']}, a class of your own: load never imports code named by a "
            "file. Pass it: load(path, module=<that class or a factory>).")
    missing = sorted(set(unstored) - set(params))
    if missing:
        warnings.warn(
            "These parameters were saved by name only and are back to their defaults: "
            + ", ".join(f"{k} (was {unstored[k]})" for k in missing)
            + ". They matter only for refitting; pass them to load, e.g. "
            f"load(path, {missing[0]}=...), to restore them.", UserWarning, stacklevel=2)
    values.update(params)
    estimator = cls()
    estimator.set_params(**values)
    estimator._validate_params()
    for k, v in state.items():
        # Fitted attributes live on the instance: a name the class defines
        # (a method, a property) is not one, whatever the file says.
        if not k.isidentifier() or hasattr(cls, k):
            raise ValueError(f"{os.fspath(path)!r} has invalid metadata: {k!r} is not a "
                             f"fitted attribute of {cls.__name__}.")
        setattr(estimator, k, v)
    if history is not None:
        estimator.history_ = history
    elif meta.get("module") is not None:  # history held objects JSON cannot: start a new one
        estimator.history_ = History()
    if meta.get("module") is not None:
        _load_module(estimator, meta["module"], decoder, os.fspath(path))
    unused = set(tensors) - decoder.used
    if unused:
        raise ValueError(f"{os.fspath(path)!r} holds tensors its metadata does not name: "
                         f"{sorted(unused)}.")
    return estimator


def _load_module(estimator, spec, decoder, path):
    dtype = getattr(torch, spec["dtype"], None)
    if not isinstance(dtype, torch.dtype):
        raise ValueError(f"{path!r} has invalid metadata: unknown dtype {spec['dtype']!r}.")
    # Building a module draws initial weights (overwritten below): from a
    # generator of its own, so loading never touches torch's global RNG.
    with _rng.drawing_from(torch.Generator().manual_seed(0)):
        try:
            module = estimator._build_module(spec["n_inputs"], spec["n_outputs"])
        except (TypeError, ValueError, RuntimeError) as exc:
            raise ValueError(
                f"Could not rebuild the module of {path!r} ({spec['class']}) with "
                f"{spec['n_inputs']} inputs and {spec['n_outputs']} outputs: {exc}") from exc
    module = module.to(dtype)
    state_dict = {k: decoder._tensor(f"module/{k}") for k in spec["keys"]}
    for alias, target in spec["aliases"].items():
        state_dict[alias] = state_dict[target]
    try:
        module.load_state_dict(state_dict)
    except RuntimeError as exc:
        raise ValueError(
            f"The weights in {path!r} do not fit the module {_describe(module)} built for "
            f"loading (saved from {spec['class']}): {exc}") from None
    device = torch.device(spec["device"])
    if "device" in estimator.get_params(deep=False) and estimator.device != "auto":
        device = estimator._resolve_device()
    elif device.type == "cuda" and not torch.cuda.is_available():
        device = torch.device("cpu")
    module = module.to(device)
    module.train(spec["training"])
    estimator.module_ = module
    estimator.module_dtype_ = dtype
    expected = decoder._tensor("check/outputs")
    got = _probe_outputs(estimator)
    # Bit-for-bit on the device it was saved from; other devices round differently.
    tolerance = {} if str(device) == spec["device"] else dict(rtol=1e-4, atol=1e-5)
    close = got.shape == expected.shape and (
        np.array_equal(got.numpy(), expected.numpy(), equal_nan=True) if not tolerance
        else np.allclose(got.numpy(), expected.numpy(), equal_nan=True, **tolerance))
    if not close:
        raise ValueError(
            f"The module rebuilt from {_describe(module)} gives other outputs than the model "
            f"saved in {path!r} ({spec['class']}): it is not the class the model was trained "
            "with, or it keeps state outside its state_dict (register tensors with "
            "register_buffer so that they are saved).")
