"""Forged model files (hashes recomputed) against sklearn_dl.load.

The five routes by which the old loader ran code or failed badly, as named
regression tests, then a property test: real saved files of every public
estimator and of a house-price pipeline, their metadata mutated at random
(names, references, keys, types, sizes, nesting) with valid hashes. For every
mutation load raises ValueError or returns a model equal to the original
(apart from the data field the mutation edited), and nothing else happens: no
module imported, no file created, no subprocess started, bounded memory.
"""

import copy
import json
import os
import subprocess
import sys
import tracemalloc
import warnings

import numpy as np
import pytest
import skops.io  # noqa: F401  (imported by the first pipeline load; before sys.modules is compared)
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning

from sklearn_dl import load, save
from sklearn_dl.house_prices import load_frames, make_model, split_target

import _io_forge as forge
from _public_estimators import ESTIMATORS, ids, make_data, make_estimator


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


class SideEffects:
    """Records what a load must never do: run a command, import, create a file."""

    def __init__(self, monkeypatch, folders):
        self.calls = []
        self.folders = folders
        for module, name in [(os, "system"), (os, "popen"), (subprocess, "Popen"),
                             (os, "execv"), (os, "execve"), (os, "fork")]:
            monkeypatch.setattr(module, name, self._record(f"{module.__name__}.{name}"))

    def _record(self, name):
        def called(*args, **kwargs):
            self.calls.append(name)
            raise AssertionError(f"load called {name}")
        return called

    def __enter__(self):
        self.modules = set(sys.modules)
        self.files = {f: sorted(os.listdir(f)) for f in self.folders}
        tracemalloc.start()
        return self

    def __exit__(self, *exc):
        self.peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        self.new_modules = set(sys.modules) - self.modules
        self.new_files = {f: sorted(set(os.listdir(f)) - set(names))
                          for f, names in self.files.items() if sorted(os.listdir(f)) != names}
        return False

    def assert_none(self, budget):
        assert self.calls == []
        assert self.new_modules == set()
        assert self.new_files == {}
        assert self.peak < budget, f"peak {self.peak / 2**20:.1f} MiB"


@pytest.fixture(scope="module")
def saved_mlp(tmp_path_factory):
    cls = next(c for c in ESTIMATORS if c.__name__ == "MLPClassifier")
    est = make_estimator(cls)
    X, y = make_data(est)
    path = tmp_path_factory.mktemp("mlp") / "mlp.safetensors"
    save(_fit(est, X, y), path)
    load(path)
    return path, est, X


def _forged(saved, tmp_path, edit):
    return forge.forge(saved[0], tmp_path / "forged.safetensors", edit)


# ---------------------------------------------------------------------------
# 1. A reference walked through attributes to os.system
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("param", ["init", "solver", "activation"])
@pytest.mark.parametrize("ref", [{"ref": "sklearn_dl.io:os.system"}, {"ref": "os.system"},
                                 {"__ref__": "sklearn_dl.io:os.system"},
                                 {"ref": "sklearn_dl.modules.os.system"},
                                 {"ref": "torch.optim.os.system"}])
def test_route1_a_reference_cannot_walk_attributes_to_os_system(
        saved_mlp, tmp_path, monkeypatch, param, ref):
    forged = _forged(saved_mlp, tmp_path, lambda m, t: m["params"].update({param: ref}))
    with SideEffects(monkeypatch, [tmp_path]) as effects, pytest.raises(ValueError) as info:
        load(forged)
    effects.assert_none(budget=64 * 2**20)
    assert f"params.{param}" in str(info.value)


# ---------------------------------------------------------------------------
# 2. A callable from the file called (module factory, init, FunctionTransformer.func)
# ---------------------------------------------------------------------------
def test_route2_no_callable_from_the_file_is_called(saved_mlp, tmp_path, monkeypatch):
    for param, value in [("module", {"ref": "builtins.eval"}), ("init", {"ref": "os.system"}),
                         ("solver", {"ref": "subprocess.Popen"}),
                         ("callbacks", {"ref": "os.system"})]:
        forged = _forged(saved_mlp, tmp_path, lambda m, t: m["params"].update({param: value}))
        with SideEffects(monkeypatch, [tmp_path]) as effects, pytest.raises(ValueError):
            load(forged)
        effects.assert_none(budget=64 * 2**20)


def test_route2_a_pipeline_function_the_file_names_is_refused(tmp_path, monkeypatch):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from sklearn_dl import LinearRegressorNN

    X = np.random.RandomState(0).normal(size=(30, 3))
    model = _fit(make_pipeline(FunctionTransformer(np.exp),
                               LinearRegressorNN(max_iter=3, random_state=0)), X, X[:, 0])
    save(model, tmp_path / "p.safetensors")
    load(tmp_path / "p.safetensors")

    def to_system(meta, tensors):
        schema = forge.skops_schema(tensors)
        node = next(n for n in forge.nodes(schema) if n.get("__class__") == "exp")
        node["__module__"], node["__class__"] = "os", "system"
        forge.set_skops_schema(tensors, schema)
        meta["skops_bytes"] = tensors["skops"].numel()

    forged = forge.forge(tmp_path / "p.safetensors", tmp_path / "f.safetensors", to_system)
    with SideEffects(monkeypatch, [tmp_path]) as effects, \
            pytest.raises(ValueError, match=r"does not construct: \['os.system'\]"):
        load(forged)
    effects.assert_none(budget=64 * 2**20)


# ---------------------------------------------------------------------------
# 3. setattr of dunder and method names
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["__sklearn_is_fitted__", "__class__", "__dict__", "predict",
                                  "fit", "_forward", "coef_", "net_", "module_",
                                  "_label_encoder", "poly_", "__getattr__"])
def test_route3_state_keys_cannot_replace_methods_or_dunders(saved_mlp, tmp_path, name):
    forged = _forged(saved_mlp, tmp_path,
                     lambda m, t: m["state"].update({name: {"ref": "os.system"}}))
    with pytest.raises(ValueError, match=rf"state: '{name}' is not a fitted attribute"):
        load(forged)
    # and the legitimate attribute keeps its declared kind
    forged = _forged(saved_mlp, tmp_path, lambda m, t: m["state"].update(n_iter_="os.system"))
    with pytest.raises(ValueError, match=r"state\.n_iter_: expected int"):
        load(forged)


# ---------------------------------------------------------------------------
# 4. Sizes: huge string arrays, huge shapes, deep nesting
# ---------------------------------------------------------------------------
HUGE = {
    "string_array_width": (lambda m, t: m["state"].update(classes_={
        "items": ["high", "low", "mid"], "dtype": "str", "width": 50_000_000}),
        r"state\.classes_: would need 600000000 bytes"),
    "numpy_dtype_name": (lambda m, t: m["state"].update(classes_={
        "tensor": "state/classes_", "dtype": "<U50000000"}), r"state\.classes_: dtype not"),
    "module_inputs": (lambda m, t: m["module"].update(n_inputs=10**12),
                      r"module\.n_inputs: expected an int in"),
    "hidden_layer_sizes": (lambda m, t: m["params"].update(
        hidden_layer_sizes={"tuple": [10**9, 10**9]}), r"do not fit the module"),
    "n_features_in_": (lambda m, t: m["state"].update(n_features_in_=10**12),
                       r"state\.n_features_in_: more features than the file can justify"),
    "deep_nesting": (lambda m, t: m["params"].update(init=json.loads("[" * 100_000 + "]" * 100_000)),
                     r"nested more than 12 levels"),
    "history_nesting": (lambda m, t: m.update(history=[{"a": [[[[[[[[[[[[1]]]]]]]]]]]]}]),
                        r"nested more than 12 levels"),
}


@pytest.mark.parametrize("edit, pattern", HUGE.values(), ids=HUGE.keys())
def test_route4_sizes_are_bounded_by_the_file(saved_mlp, tmp_path, monkeypatch, edit, pattern):
    meta, tensors = forge.read(saved_mlp[0])
    try:
        edit(meta, tensors)
        forged = forge.write(meta, tensors, tmp_path / "forged.safetensors")
    except RecursionError:  # json.dumps itself cannot write 100,000 levels: write the text
        text = json.dumps(meta | {"params": "PLACEHOLDER"}, sort_keys=True)
        text = text.replace('"PLACEHOLDER"', "[" * 100_000 + "]" * 100_000)
        forged = forge.write(meta, tensors, tmp_path / "forged.safetensors", text=text)
    size = os.path.getsize(forged)
    with SideEffects(monkeypatch, [tmp_path]) as effects, pytest.raises(ValueError, match=pattern):
        load(forged)
    # what load allocates is bounded by the file (the format's limit is 16 MiB + 16 x size)
    effects.assert_none(budget=32 * 2**20 + 20 * size)


# ---------------------------------------------------------------------------
# 5. Malformed but hash-consistent metadata: ValueError naming the field
# ---------------------------------------------------------------------------
MALFORMED = {
    "state_missing": (lambda m, t: m.pop("state"), r"metadata: missing keys \['state'\]"),
    "params_a_list": (lambda m, t: m.update(params=[1, 2]), r"metadata\.params"),
    "module_keys_missing": (lambda m, t: m["module"].pop("keys"), r"metadata\.module: missing"),
    "weight_tensor_missing": (lambda m, t: t.pop("module/output.weight"),
                              r"module\.keys: the tensor module/output\.weight is missing"),
    "weight_of_wrong_shape": (lambda m, t: t.update({"module/output.weight": torch.zeros(3, 7)}),
                              r"'output\.weight' is torch\.float32 \(3, 7\) in the file"),
    "n_outputs_a_string": (lambda m, t: m["module"].update(n_outputs="3"),
                           r"module\.n_outputs: expected an int"),
    "required_attribute_missing": (lambda m, t: m["state"].pop("classes_"),
                                   r"the fitted attribute 'classes_' is missing"),
    "classes_unsorted": (lambda m, t: m["state"].update(classes_={
        "items": ["mid", "low", "high"], "dtype": "str", "width": 4}),
        r"state\.classes_: must be at least 2 distinct labels, sorted"),
    "classes_do_not_fit_outputs": (lambda m, t: m["state"].update(classes_={
        "items": ["a", "b", "c", "d"], "dtype": "str", "width": 1}),
        r"module\.n_outputs: does not fit 4 classes"),
    "unknown_estimator": (lambda m, t: m.update(estimator={"a": 1}), r"metadata\.estimator"),
    "kind": (lambda m, t: m.update(kind="pickle"), r"kind: expected 'estimator' or 'pipeline'"),
    "dtype_name": (lambda m, t: m["module"].update(dtype="complex128"), r"module\.dtype"),
    "device_name": (lambda m, t: m["module"].update(device="cuda:0; rm -rf"), r"module\.device"),
    "alias_to_nowhere": (lambda m, t: m["module"].update(aliases={"x": "y"}),
                         r"module\.aliases"),
    "feature_names_length": (lambda m, t: m["state"].update(feature_names_in_={
        "items": ["a"], "dtype": "object", "width": None}), r"feature_names_in_"),
    "numpy_scalar_overflow": (lambda m, t: m["params"].update(
        max_iter={"numpy": "int32", "value": 10**12}), r"params\.max_iter"),
}


@pytest.mark.parametrize("edit, pattern", MALFORMED.values(), ids=MALFORMED.keys())
def test_route5_malformed_metadata_is_a_value_error_naming_the_field(
        saved_mlp, tmp_path, edit, pattern):
    forged = _forged(saved_mlp, tmp_path, edit)
    with pytest.raises(ValueError, match=pattern):
        load(forged)


# ---------------------------------------------------------------------------
# Property: random mutations of real files of every estimator and a pipeline
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("real")
    files = {}
    for cls in ESTIMATORS:
        est = make_estimator(cls)
        X, y = make_data(est)
        path = folder / f"{cls.__name__}.safetensors"
        save(_fit(est, X, y), path)
        files[cls.__name__] = (path, load(path), X)
    train, test = load_frames(os.environ.get("SKLEARN_DL_DATA"), download=False)
    X, y = split_target(train)
    path = folder / "house_ridge.safetensors"
    save(_fit(make_model("ridge"), X, y), path)
    files["house_ridge"] = (path, load(path), test.drop(columns=["Id"]).head(50))
    return files


def _paths(value, prefix=()):
    """Every path into a JSON value (dict keys and list indices)."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value[:20]):
            yield from _paths(v, prefix + (i,))


def _get(value, path):
    for p in path:
        value = value[p]
    return value


CODE_NAMES = ["os.system", "builtins.eval", "sklearn_dl.io:os.system", "__class__", "__dict__",
              "predict", "__sklearn_is_fitted__", "subprocess.Popen", "importlib.import_module",
              "sklearn_dl.io.EstimatorSlot", "numpy.load", "torch.load", "module_", "net_"]
hostile_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
    st.text(max_size=20), st.sampled_from(CODE_NAMES),
    st.integers(1, 10**6).map(lambda n: "x" * n))
hostile_values = st.one_of(
    hostile_scalars,
    st.sampled_from(CODE_NAMES).map(lambda n: {"ref": n}),
    st.sampled_from(CODE_NAMES).map(lambda n: {"__ref__": n}),
    st.sampled_from(CODE_NAMES).map(lambda n: {"__sklearn__": n, "params": {}, "state": {}}),
    st.integers(1, 60).map(lambda d: json.loads("[" * d + "]" * d)),
    st.builds(lambda w: {"items": ["a"], "dtype": "str", "width": w}, st.integers(1, 10**9)),
    st.builds(lambda k: {"tensor": k, "dtype": "<f8"},
              st.sampled_from(["check/outputs", "module/output.weight", "state/classes_"])),
    st.lists(hostile_scalars, max_size=5), st.dictionaries(st.text(max_size=8), hostile_scalars,
                                                           max_size=3))
key_names = st.one_of(st.sampled_from(CODE_NAMES + ["__init__", "fit", "_validate_params",
                                                    "classes_", "n_iter_"]), st.text(max_size=10))


def _mutate(meta, data):
    """Apply one drawn mutation to ``meta``; return the path it touched."""
    paths = list(_paths(meta))
    path = data.draw(st.sampled_from(paths[1:]), label="path")
    parent, last = _get(meta, path[:-1]), path[-1]
    kind = data.draw(st.sampled_from(["replace", "rename", "delete", "insert", "nest"]),
                     label="kind")
    if kind == "replace":
        parent[last] = data.draw(hostile_values, label="value")
    elif kind == "rename" and isinstance(parent, dict):
        parent[data.draw(key_names, label="key")] = parent.pop(last)
    elif kind == "delete":
        del parent[last]
    elif kind == "insert" and isinstance(parent[last], dict):
        parent[last][data.draw(key_names, label="key")] = data.draw(hostile_values, label="v")
    else:
        parent[last] = [parent[last]] * data.draw(st.integers(1, 3)) \
            if data.draw(st.booleans()) else {"tuple": [parent[last]]}
    return path


def _mutate_skops(tensors, meta, data):
    """A structural mutation of the skops part: type names, node kinds, keys."""
    schema = forge.skops_schema(tensors)
    node = data.draw(st.sampled_from(forge.nodes(schema)), label="skops node")
    kind = data.draw(st.sampled_from(["type", "loader", "drop_content", "nest"]), label="skops")
    if kind == "type":
        name = data.draw(st.sampled_from(CODE_NAMES + ["sklearn.svm.SVR", "os.system"]))
        node["__module__"], node["__class__"] = (name.rsplit(".", 1) + [""])[:2]
    elif kind == "loader":
        node["__loader__"] = data.draw(st.sampled_from(
            ["MethodNode", "PartialNode", "OperatorFuncNode", "BytesNode", "ObjectNode",
             "FunctionNode", "ReduceNode", "NoSuchNode"]))
    elif kind == "drop_content":
        node.pop("content", None)
    else:
        node["content"] = json.loads("[" * 300 + "]" * 300)
    forge.set_skops_schema(tensors, schema)
    meta["skops_bytes"] = tensors["skops"].numel()
    return ("skops",)


def _same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and \
            np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return type(a) is type(b) and a == b


def _assert_equal_but_for(original, loaded, X, path):
    """``loaded`` is ``original`` except for the one data field ``path`` edited."""
    assert type(loaded) is type(original)
    touched = set(str(p) for p in path[:4])
    if hasattr(original, "module_"):
        for (k, p), q in zip(original.module_.state_dict().items(),
                             loaded.module_.state_dict().values()):
            assert torch.equal(p, q), k
        # a parameter the file leaves out takes its default, like a new parameter
        # in an older file: data, not code; so a mutation of the whole section
        # may change every parameter
        whole_section = len(path) == 1 and path[0] in ("params", "unstored_params")
        for name, value in original.get_params(deep=False).items():
            if name not in touched and not whole_section:
                assert repr(loaded.get_params(deep=False)[name]) == repr(value), name
        for name in ("n_features_in_", "classes_", "_y_ndim", "n_outputs_", "feature_scale_",
                     "feature_offset_", "module_dtype_"):
            if hasattr(original, name) and name not in touched:
                assert _same(getattr(original, name), getattr(loaded, name)), name
    methods = ["decision_function", "predict_proba"] if "classes_" in touched else \
        ["predict", "predict_proba", "decision_function"]
    for method in methods:
        if hasattr(original, method):
            np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(original, method)(X))


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_any_mutated_file_loads_equal_or_raises_value_error_without_side_effects(
        real_files, tmp_path, monkeypatch, data):
    name = data.draw(st.sampled_from(sorted(real_files)), label="file")
    path, original, X = real_files[name]
    meta, tensors = forge.read(path)
    meta = copy.deepcopy(meta)
    if name == "house_ridge" and data.draw(st.booleans(), label="skops part"):
        touched = _mutate_skops(tensors, meta, data)
    else:
        touched = _mutate(meta, data)
    try:
        forged = forge.write(meta, tensors, tmp_path / "forged.safetensors")
    except (ValueError, RecursionError, OverflowError):  # json cannot write it: not a file
        return
    size = os.path.getsize(forged)
    with SideEffects(monkeypatch, [tmp_path, os.getcwd()]) as effects:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                loaded = load(forged)
            except ValueError:
                loaded = None
    effects.assert_none(budget=32 * 2**20 + 20 * size)
    if loaded is not None:
        _assert_equal_but_for(original, loaded, X, touched)


def test_route4_polyridge_feature_map_is_sized_by_the_file(tmp_path, monkeypatch):
    from sklearn_dl import PolyRidge

    est = make_estimator(PolyRidge, degree=2)
    X, y = make_data(est)
    save(_fit(est, X, y), tmp_path / "poly.safetensors")
    for edit in [lambda m, t: m["params"].update(degree=10**12),
                 lambda m, t: m["state"].update(n_features_in_=10**6),
                 lambda m, t: m["params"].update(interaction_only=True, degree=10**9)]:
        forged = forge.forge(tmp_path / "poly.safetensors", tmp_path / "f.safetensors", edit)
        with SideEffects(monkeypatch, [tmp_path]) as effects, \
                pytest.raises(ValueError, match=r"monomials|n_features_in_|fewer module inputs"):
            load(forged)
        effects.assert_none(budget=32 * 2**20)
    # the feature map is rebuilt from degree and interaction_only, not read from the file
    loaded = load(tmp_path / "poly.safetensors")
    np.testing.assert_array_equal(loaded.powers_, est.powers_)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
