"""Whole fitted pipelines through sklearn_dl.save / load: bitwise round trips, no pickle.

The scikit-learn part goes through skops.io with an explicit type list, the
sklearn_dl estimators through the declared schema (tests/test_io.py); forged
skops parts are refused before skops constructs anything.
"""

import os
import pickle
import sys
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io  # noqa: F401  (imported before pickle is forbidden below)
import torch
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVR

from sklearn_dl import LinearRegressorNN, MLPClassifier, PolyRidge, load, save
from sklearn_dl.house_prices import load_frames, make_model, split_target

import _io_forge as forge


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def _no_pickle(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("no pickle anywhere")

    for module, name in [(pickle, "load"), (pickle, "loads"), (pickle, "dumps"),
                         (pickle, "dump"), (pickle, "Unpickler"), (pickle, "Pickler"),
                         (torch, "load"), (joblib, "load"), (joblib, "dump")]:
        monkeypatch.setattr(module, name, forbidden)


@pytest.fixture(scope="module")
def frame():
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"area": rng.uniform(50, 200, 60), "rooms": rng.randint(1, 6, 60),
                      "town": rng.choice(["a", "b", "c"], 60)})
    y = 1000 * X["area"] + 5000 * X["rooms"] + (X["town"] == "a") * 20000 + rng.normal(0, 1e3, 60)
    return X, y.to_numpy()


def test_pipeline_with_column_transformer_and_target_transform_round_trips_bitwise(
        frame, tmp_path, monkeypatch):
    X, y = frame
    model = TransformedTargetRegressor(
        regressor=make_pipeline(
            ColumnTransformer([("num", StandardScaler(), ["area", "rooms"]),
                               ("cat", OneHotEncoder(), ["town"])]),
            LinearRegressorNN(max_iter=20, random_state=0)),
        func=np.log, inverse_func=np.exp)
    _fit(model, X, y)
    _no_pickle(monkeypatch)
    save(model, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert type(loaded) is TransformedTargetRegressor
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    inner = loaded.regressor_[-1]
    assert isinstance(inner, LinearRegressorNN)
    for p, q in zip(model.regressor_[-1].module_.parameters(), inner.module_.parameters()):
        assert torch.equal(p, q)
    # the unfitted template (regressor) and the fitted copy (regressor_) both come back
    assert isinstance(loaded.regressor[-1], LinearRegressorNN)
    assert not hasattr(loaded.regressor[-1], "module_")


def test_grid_search_best_estimator_round_trips_bitwise(tmp_path):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    search = GridSearchCV(
        make_pipeline(StandardScaler(), MLPClassifier(max_iter=10, random_state=0)),
        {"mlpclassifier__alpha": np.array([1e-4, 1e-1])}, cv=2)
    _fit(search, X, y)
    save(search.best_estimator_, tmp_path / "best.safetensors")
    loaded = load(tmp_path / "best.safetensors")
    np.testing.assert_array_equal(loaded.predict_proba(X), search.best_estimator_.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), search.predict(X))
    # a grid of numpy values hands out np.float64: kept as such
    assert type(loaded[-1].alpha) is type(search.best_estimator_[-1].alpha)


def test_polyridge_in_a_pipeline_rebuilds_its_feature_map(tmp_path):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 2))
    y = X[:, 0] ** 2 - X[:, 1]
    model = _fit(make_pipeline(StandardScaler(), PolyRidge(degree=3, random_state=0)), X, y)
    save(model, tmp_path / "p.safetensors")
    loaded = load(tmp_path / "p.safetensors")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded[-1].powers_, model[-1].powers_)


@pytest.fixture(scope="module")
def houses():
    data_home = os.environ.get("SKLEARN_DL_DATA")
    train, test = load_frames(data_home, download=False)
    X, y = split_target(train)
    return X, y, test


@pytest.fixture(scope="module")
def house_model(houses, tmp_path_factory):
    """make_model('mlp'): HousePriceModel (log target) around DropLargeHouses, HouseFeatures,
    ColumnTransformer and the MLP (the full parameter path is HousePriceModel's)."""
    X, y, _ = houses
    model = make_model("mlp")
    model.set_params(estimator__estimator__transformedtargetregressor__regressor__max_iter=5)
    _fit(model, X, y)
    path = tmp_path_factory.mktemp("house") / "mlp.safetensors"
    save(model, path)
    return model, path


def test_house_price_pipeline_round_trips_bitwise_without_pickle(houses, house_model,
                                                                  monkeypatch):
    _, _, test = houses
    model, path = house_model
    _no_pickle(monkeypatch)
    loaded = load(path)
    features = test.drop(columns=["Id"])
    np.testing.assert_array_equal(loaded.predict(features), model.predict(features))


def test_house_price_ridge_model_round_trips_bitwise(houses, tmp_path):
    X, y, test = houses
    model = _fit(make_model("ridge"), X, y)
    save(model, tmp_path / "ridge.safetensors")
    features = test.drop(columns=["Id"])
    np.testing.assert_array_equal(load(tmp_path / "ridge.safetensors").predict(features),
                                  model.predict(features))


def test_house_price_best_model_round_trips_bitwise(houses, tmp_path, monkeypatch):
    # the default model, as a Kaggle user saves it: the lasso's CategorySlopes
    # (OneHotEncoder with grouped rare categories, FunctionTransformer(log1p))
    # and the gradient-boosted trees must all be constructible by load
    X, y, test = houses
    model = make_model("best").set_params(gbr__n_estimators=10)
    _fit(model, X, y)
    save(model, tmp_path / "best.safetensors")
    _no_pickle(monkeypatch)
    features = test.drop(columns=["Id"])
    np.testing.assert_array_equal(load(tmp_path / "best.safetensors").predict(features),
                                  model.predict(features))


def test_save_refuses_pipeline_parts_load_would_not_construct(frame, tmp_path):
    X, y = frame
    num = X[["area", "rooms"]]
    with pytest.raises(ValueError, match=r"sklearn.svm._classes.SVR.*SKOPS_NODES"):
        save(make_pipeline(StandardScaler(), SVR()).fit(num, y), tmp_path / "svr.safetensors")
    assert not (tmp_path / "svr.safetensors").exists()

    class Mine(LinearRegressorNN):
        pass

    with pytest.raises(ValueError, match="Pickle or joblib.dump it instead"):
        save(make_pipeline(StandardScaler(), Mine()), tmp_path / "mine.safetensors")


# ---------------------------------------------------------------------------
# Forged skops parts (hashes recomputed): refused, nothing imported
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_pipeline(tmp_path_factory):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    model = _fit(make_pipeline(StandardScaler(), LinearRegressorNN(max_iter=5, random_state=0)),
                 X, X[:, 0])
    path = tmp_path_factory.mktemp("pipe") / "p.safetensors"
    save(model, path)
    load(path)  # imports what loading a pipeline imports, before sys.modules is compared
    return path


def _edit_schema(change):
    def edit(meta, tensors):
        schema = forge.skops_schema(tensors)
        change(schema)
        forge.set_skops_schema(tensors, schema)
        meta["skops_bytes"] = tensors["skops"].numel()
    return edit


def _first(schema, cls):
    return next(n for n in forge.nodes(schema) if n.get("__class__") == cls)


def _rename(cls, module, name, loader=None):
    def change(schema):
        node = _first(schema, cls)
        node["__module__"], node["__class__"] = module, name
        if loader:
            node["__loader__"] = loader
    return change


def _shadow_predict(schema):
    attributes = _first(schema, "Pipeline")["content"]
    attributes["content"]["predict"] = _first(schema, "StandardScaler")
    key_types = attributes["key_types"]["content"]
    key_types.append(dict(key_types[0]))


def _slot_index(schema):
    _first(schema, "EstimatorSlot")["content"]["content"]["index"]["content"] = "7"


SKOPS_FORGERIES = {
    "os_system_as_a_class": (_rename("StandardScaler", "os", "system"), "does not construct"),
    "unimported_module": (_rename("StandardScaler", "xml.dom.minidom", "Document"),
                          "does not construct"),
    "method_node": (_rename("StandardScaler", "sklearn.pipeline", "Pipeline", "MethodNode"),
                    "loader 'MethodNode' is not allowed"),
    "instance_attribute_shadowing_predict": (_shadow_predict, "shadows a name of its class"),
    "slot_out_of_range": (_slot_index, "slot names no saved estimator"),
}


@pytest.mark.parametrize("change, pattern", SKOPS_FORGERIES.values(), ids=SKOPS_FORGERIES.keys())
def test_forged_skops_part_is_refused_before_anything_is_constructed(
        small_pipeline, tmp_path, change, pattern):
    forged = forge.forge(small_pipeline, tmp_path / "f.safetensors", _edit_schema(change))
    modules = set(sys.modules)
    with pytest.raises(ValueError, match=pattern):
        load(forged)
    assert set(sys.modules) == modules


def test_an_estimator_entry_without_a_slot_is_refused(small_pipeline, tmp_path):
    def add_entry(meta, tensors):
        meta["estimators"].append(meta["estimators"][0])
        for key in [k for k in tensors if k.startswith("est0/")]:
            tensors["est1/" + key[5:]] = tensors[key].clone()
    forged = forge.forge(small_pipeline, tmp_path / "f.safetensors", add_entry)
    with pytest.raises(ValueError, match="each estimator fills one slot"):
        load(forged)


def test_a_compressed_or_oversized_skops_member_is_refused(small_pipeline, tmp_path):
    import io
    import zipfile

    def bomb(meta, tensors):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("schema.json", b" " * 10_000_000 + b"{}")
        tensors["skops"] = torch.frombuffer(bytearray(buffer.getvalue()), dtype=torch.uint8)
        meta["skops_bytes"] = tensors["skops"].numel()
    forged = forge.forge(small_pipeline, tmp_path / "f.safetensors", bomb)
    with pytest.raises(ValueError, match="compressed or larger than the archive"):
        load(forged)


def test_a_huge_array_header_in_the_skops_part_is_refused(small_pipeline, tmp_path):
    import io
    import zipfile

    def huge(meta, tensors):
        blob = tensors["skops"].numpy().tobytes()
        src = zipfile.ZipFile(io.BytesIO(blob))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as dst:
            for info in src.infolist():
                data = src.read(info)
                if info.filename.endswith(".npy"):  # header claims 10**10 float64s
                    data = data.replace(b"'shape': (3,)", b"'shape': (10000000000,)", 1)
                dst.writestr(info.filename, data)
        tensors["skops"] = torch.frombuffer(bytearray(buffer.getvalue()), dtype=torch.uint8)
        meta["skops_bytes"] = tensors["skops"].numel()
    forged = forge.forge(small_pipeline, tmp_path / "f.safetensors", huge)
    with pytest.raises(ValueError, match=r"does not fit \d+ bytes"):
        load(forged)


def test_a_decision_tree_whose_links_loop_is_refused(tmp_path):
    """scikit-learn walks tree nodes without bounds checks: a forged link would hang or crash."""
    import io
    import zipfile

    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 2))
    model = make_pipeline(StandardScaler(), DecisionTreeRegressor(max_depth=2, random_state=0))
    model.fit(X, X[:, 0])
    save(model, tmp_path / "tree.safetensors")
    np.testing.assert_array_equal(load(tmp_path / "tree.safetensors").predict(X), model.predict(X))

    def loop(meta, tensors):
        schema = forge.skops_schema(tensors)
        tree = _first(schema, "Tree")
        member = tree["content"]["content"]["nodes"]["file"]
        blob = tensors["skops"].numpy().tobytes()
        src = zipfile.ZipFile(io.BytesIO(blob))
        nodes = np.load(io.BytesIO(src.read(member)), allow_pickle=False)
        nodes["left_child"][0] = 0  # the root is its own left child
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as dst:
            for info in src.infolist():
                data = src.read(info)
                if info.filename == member:
                    out = io.BytesIO()
                    np.save(out, nodes, allow_pickle=False)
                    data = out.getvalue()
                dst.writestr(info.filename, data)
        tensors["skops"] = torch.frombuffer(bytearray(buffer.getvalue()), dtype=torch.uint8)
        meta["skops_bytes"] = tensors["skops"].numel()

    forged = forge.forge(tmp_path / "tree.safetensors", tmp_path / "f.safetensors", loop)
    with pytest.raises(ValueError, match="node links are out of range"):
        load(forged)


# ---------------------------------------------------------------------------
# The project's own types in the skops trust list (HousePriceModel and the
# house transformers): a forged node cannot turn them into something else
# ---------------------------------------------------------------------------
def _shadow_in(cls, method):
    def change(schema):
        attributes = _first(schema, cls)["content"]
        attributes["content"][method] = _first(schema, "StandardScaler")
        key_types = attributes["key_types"]["content"]
        key_types.append(dict(key_types[0]))
    return change


HOUSE_FORGERIES = {
    # a function of a trusted module is not a trusted type
    "house_model_as_load_frames": (
        _rename("HousePriceModel", "sklearn_dl.house_prices", "load_frames"), "does not construct"),
    "house_features_as_shutil_rmtree": (
        _rename("HouseFeatures", "shutil", "rmtree"), "does not construct"),
    "drop_large_houses_as_a_method": (
        _rename("DropLargeHouses", "sklearn_dl.house_prices", "DropLargeHouses", "MethodNode"),
        "loader 'MethodNode' is not allowed"),
    "house_model_predict_shadowed": (_shadow_in("HousePriceModel", "predict"),
                                     "shadows a name of its class"),
    "drop_large_houses_fit_shadowed": (_shadow_in("DropLargeHouses", "fit"),
                                       "shadows a name of its class"),
}


@pytest.mark.parametrize("change, pattern", HOUSE_FORGERIES.values(), ids=HOUSE_FORGERIES.keys())
def test_forged_house_model_nodes_are_refused(house_model, tmp_path, change, pattern):
    _, path = house_model
    load(path)  # what a genuine load imports, before sys.modules is compared
    forged = forge.forge(path, tmp_path / "f.safetensors", _edit_schema(change))
    modules = set(sys.modules)
    with pytest.raises(ValueError, match=pattern):
        load(forged)
    assert set(sys.modules) == modules
