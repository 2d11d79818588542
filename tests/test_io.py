"""sklearn_dl.save / load: exact round trips, no code from the file, damaged files refused."""

import copy
import hashlib
import io
import json
import os
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from torch import nn

import sklearn_dl
from sklearn_dl import TorchClassifier, TorchRegressor, load, save
from sklearn_dl.modules import tied_mlp

from _public_estimators import ESTIMATORS, ids, make_data, make_estimator

PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def _assert_same_predictions(a, b, X):
    for method in PREDICT_METHODS:
        if hasattr(a, method):
            np.testing.assert_array_equal(getattr(a, method)(X), getattr(b, method)(X))


def _assert_close_predictions(a, b, X):
    for method in PREDICT_METHODS:
        if hasattr(a, method):
            out_a, out_b = getattr(a, method)(X), getattr(b, method)(X)
            if np.asarray(out_a).dtype.kind == "f":
                np.testing.assert_allclose(out_a, out_b, rtol=1e-4, atol=1e-5)
            else:
                np.testing.assert_array_equal(out_a, out_b)


def _same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(
            a, b, equal_nan=a.dtype.kind == "f")
    if hasattr(a, "get_params") and not isinstance(a, type):
        return type(a) is type(b) and all(_same(v, vars(b)[k]) for k, v in vars(a).items())
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return type(a) is type(b) and a == b


@pytest.fixture(scope="module", params=ESTIMATORS, ids=ids(ESTIMATORS))
def fitted(request):
    est = make_estimator(request.param)
    X, y = make_data(est)
    X = pd.DataFrame(X, columns=["alpha", "beta", "gamma"])  # feature names round trip
    return _fit(est, X, y), X, y


def test_round_trip_reproduces_predictions_params_and_fitted_state_exactly(fitted, tmp_path):
    est, X, y = fitted
    path = tmp_path / "model.safetensors"
    save(est, path)
    assert os.listdir(tmp_path) == ["model.safetensors"]  # no temporary file left behind
    loaded = load(path)
    assert type(loaded) is type(est)
    _assert_same_predictions(est, loaded, X)
    assert loaded.score(X, y) == est.score(X, y)
    assert repr(loaded.get_params()) == repr(est.get_params())
    # every fitted attribute but the skorch net: classes_, feature_names_in_,
    # n_features_in_, loss_curve_, fitted preprocessing (PolyRidge's poly_), ...
    fresh = set(vars(clone(est)))
    for name, value in vars(est).items():
        if name in fresh or name in ("net_", "module_", "history_"):
            continue
        assert _same(value, getattr(loaded, name)), name
    assert list(loaded.history_[:, "train_loss"]) == list(est.history_[:, "train_loss"])
    for (k, p), q in zip(est.module_.state_dict().items(), loaded.module_.state_dict().values()):
        assert torch.equal(p, q) and p.dtype == q.dtype, k


def test_loaded_estimator_continues_training_from_its_weights(fitted, tmp_path):
    est, X, y = fitted
    save(est, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        loaded.partial_fit(X, y)  # no `classes` needed: the loaded classes_ are kept
    assert len(loaded.history_) == len(est.history_) + 1
    if is_classifier(est):
        np.testing.assert_array_equal(loaded.classes_, est.classes_)
    # it went on from the trained weights, not from a fresh initialisation:
    # its loss is below the first epoch's (L-BFGS: the initial loss)
    assert loaded.loss_curve_[-1] < est.loss_curve_[0]
    # A load that reset the weights passed the bound above for MLPRegressor and
    # TorchRegressor (issue 19): after 5 epochs the weights are still near their
    # initialisation. Trained for 100 epochs, a model's loss is far below its first
    # epoch's; continuing the loaded copy must start from there, not from scratch.
    trained = _fit(clone(est).set_params(max_iter=100, n_iter_no_change=np.inf,
                                         tol=0.0), X, y)
    save(trained, tmp_path / "t.safetensors")
    again = load(tmp_path / "t.safetensors")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        again.partial_fit(X, y)
    first, last = trained.loss_curve_[0], trained.loss_curve_[-1]
    if len(trained.loss_curve_) == 1:  # L-BFGS: one entry, the solved problem's loss
        assert again.loss_curve_[-1] <= last * (1 + 1e-3), (last, again.loss_curve_[-1])
        return
    assert last < 0.5 * first, (first, last)  # the premise: training went far
    # the continued epoch's loss is near the trained model's, far from the first's
    assert again.loss_curve_[-1] < last + 0.1 * (first - last), (first, last,
                                                                 again.loss_curve_[-1])


@pytest.mark.parametrize("cls", ESTIMATORS, ids=ids(ESTIMATORS))
def test_unfitted_estimator_round_trips_its_parameters(cls, tmp_path):
    est = make_estimator(cls, alpha=0.5)
    save(est, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert repr(loaded.get_params()) == repr(est.get_params())
    with pytest.raises(NotFittedError):
        loaded.predict(make_data(est)[0])


CLASSIFIERS = [c for c in ESTIMATORS if is_classifier(c())]


@pytest.mark.parametrize("cls", CLASSIFIERS, ids=ids(CLASSIFIERS))
def test_classifier_trained_on_integer_labels_round_trips(cls, tmp_path):
    # Integer labels (Fashion-MNIST's 0..9) make classes_ a numeric array that
    # is the label encoder's own: both are stored as tensors, which must not
    # share memory (safetensors refuses that).
    est = make_estimator(cls)
    X, y = make_data(est)
    y = np.searchsorted(np.unique(y), y)  # 0, 1, 2
    _fit(est, X, y)
    save(est, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    _assert_same_predictions(est, loaded, X)
    assert loaded.classes_.dtype == est.classes_.dtype
    np.testing.assert_array_equal(loaded.classes_, [0, 1, 2])


def test_multi_output_regression_round_trip(tmp_path):
    for cls in [c for c in ESTIMATORS if not is_classifier(c())]:
        est = make_estimator(cls)
        X, y = make_data(est)
        _fit(est, X, np.column_stack([y, -y]))
        save(est, tmp_path / "m.safetensors")
        loaded = load(tmp_path / "m.safetensors")
        assert loaded.predict(X).shape == (len(X), 2)
        np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


# ---------------------------------------------------------------------------
# User-defined modules and parameters the file can only name
# ---------------------------------------------------------------------------
class SmallNet(nn.Module):
    def __init__(self, n_features=3, n_outputs=1, hidden=8):
        super().__init__()
        self.hidden = nn.Linear(n_features, hidden)
        self.out = nn.Linear(hidden, n_outputs)

    def forward(self, X):
        return self.out(torch.tanh(self.hidden(X)))


class SmallNetRelu(SmallNet):
    """Same parameters as SmallNet, other function: its weights load, its outputs differ."""

    def forward(self, X):
        return self.out(torch.relu(self.hidden(X)))


class WiderNet(SmallNet):
    def __init__(self, n_features=3, n_outputs=1, hidden=8):
        super().__init__(n_features, n_outputs, hidden=2 * hidden)


def _user_module_classifier(tmp_path, module=SmallNet):
    est = TorchClassifier(module, module__hidden=8, max_iter=5, random_state=0)
    X, y = make_data(est)
    _fit(est, X, y)
    path = tmp_path / "clf.safetensors"
    save(est, path)
    return est, X, path


def test_user_module_class_comes_from_the_caller(tmp_path):
    est, X, path = _user_module_classifier(tmp_path)
    with pytest.raises(ValueError, match=r"module test_io\.SmallNet.*load\(path, module="):
        load(path)
    loaded = load(path, module=SmallNet)
    _assert_same_predictions(est, loaded, X)
    assert loaded.module is SmallNet and loaded.get_params()["module__hidden"] == 8


def test_a_module_that_does_not_match_the_weights_is_refused(tmp_path):
    _, _, path = _user_module_classifier(tmp_path)
    with pytest.raises(ValueError, match="do not fit the module"):
        load(path, module=WiderNet)
    # same parameter names and shapes, other forward: caught by the probe outputs
    with pytest.raises(ValueError, match="gives other outputs"):
        load(path, module=SmallNetRelu)


def test_module_instance_and_tied_weights_round_trip(tmp_path):
    est = TorchRegressor(SmallNet(3, 1), max_iter=5, random_state=0)
    X, y = make_data(est)
    _fit(est, X, y)
    save(est, tmp_path / "inst.safetensors")
    loaded = load(tmp_path / "inst.safetensors", module=SmallNet(3, 1))
    _assert_same_predictions(est, loaded, X)
    # a layer used twice is stored once and comes back as one tensor
    tied = _fit(TorchRegressor(tied_mlp, module__hidden=8, max_iter=5, random_state=0), X, y)
    save(tied, tmp_path / "tied.safetensors")
    loaded = load(tmp_path / "tied.safetensors")  # sklearn_dl's own factory: no module=
    assert loaded.module_[2].weight is loaded.module_[4].weight
    _assert_same_predictions(tied, loaded, X)


def init_small(module):
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, std=0.1)
        nn.init.zeros_(module.bias)


def test_callable_parameters_are_named_and_taken_from_the_caller(tmp_path):
    cls = ESTIMATORS[0]
    est = make_estimator(cls, init=init_small, solver="adam")
    X, y = make_data(est)
    _fit(est, X, y)
    save(est, tmp_path / "m.safetensors")
    with pytest.warns(UserWarning, match=r"init \(was test_io\.init_small\).*load\(path, init="):
        loaded = load(tmp_path / "m.safetensors")
    assert loaded.init == "default"
    _assert_same_predictions(est, loaded, X)  # init does not matter once fitted
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = load(tmp_path / "m.safetensors", init=init_small)
    assert loaded.init is init_small


def test_torch_optimizer_classes_round_trip_by_name(tmp_path):
    cls = ESTIMATORS[0]
    est = make_estimator(cls, solver=torch.optim.AdamW)
    X, y = make_data(est)
    save(_fit(est, X, y), tmp_path / "m.safetensors")
    assert load(tmp_path / "m.safetensors").solver is torch.optim.AdamW


# ---------------------------------------------------------------------------
# Safety: no pickle, no torch.load, damaged or forged files refused
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    cls = next(c for c in ESTIMATORS if c.__name__ == "MLPClassifier")
    est = make_estimator(cls)
    X, y = make_data(est)
    path = tmp_path_factory.mktemp("saved") / "mlp.safetensors"
    save(_fit(est, X, y), path)
    return path, est, X


def test_load_runs_no_pickle_and_no_torch_load(saved, monkeypatch):
    path, est, X = saved

    def forbidden(*args, **kwargs):
        raise AssertionError("load must not unpickle")

    for module, name in [(pickle, "load"), (pickle, "loads"), (pickle, "Unpickler"),
                         (torch, "load"), (joblib, "load")]:
        monkeypatch.setattr(module, name, forbidden)
    _assert_same_predictions(est, load(path), X)


def _header_and_data(path):
    raw = open(path, "rb").read()
    n = int.from_bytes(raw[:8], "little")
    return raw, 8 + n


def test_a_flipped_weight_byte_is_detected(saved, tmp_path):
    path, _, _ = saved
    raw, start = _header_and_data(path)
    bad = bytearray(raw)
    bad[start + (len(raw) - start) // 2] ^= 0x01  # one bit of some weight
    (tmp_path / "bad.safetensors").write_bytes(bytes(bad))
    with pytest.raises(ValueError, match="tensors no longer match the SHA-256"):
        load(tmp_path / "bad.safetensors")


def test_an_edited_metadata_header_is_detected(saved, tmp_path):
    path, _, _ = saved
    raw, _ = _header_and_data(path)
    # change a parameter in place (same length, so the file stays parseable)
    bad = raw.replace(b'\\"max_iter\\": 5', b'\\"max_iter\\": 7', 1)
    assert bad != raw
    (tmp_path / "bad.safetensors").write_bytes(bad)
    with pytest.raises(ValueError, match="metadata no longer matches the SHA-256"):
        load(tmp_path / "bad.safetensors")


@pytest.mark.parametrize("keep", [0.5, 0.999, 0.001])
def test_a_truncated_file_is_refused(saved, tmp_path, keep):
    path, _, _ = saved
    raw = open(path, "rb").read()
    (tmp_path / "cut.safetensors").write_bytes(raw[: int(len(raw) * keep)])
    with pytest.raises(ValueError, match="truncated, corrupted"):
        load(tmp_path / "cut.safetensors")


def test_files_that_are_not_sklearn_dl_saves_are_refused(saved, tmp_path):
    path, est, _ = saved
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(est))
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        load(tmp_path / "model.pkl")
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        load(tmp_path / "empty")
    save_file(dict(est.module_.state_dict()), tmp_path / "weights.safetensors")
    with pytest.raises(ValueError, match="not one written by sklearn_dl.save"):
        load(tmp_path / "weights.safetensors")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.safetensors")


def _forge(path, out, edit):
    """Rewrite a saved file with edited metadata and *valid* hashes (a forger's file)."""
    with safe_open(path, framework="pt") as f:
        meta = json.loads(f.metadata()["sklearn_dl"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    edit(meta, tensors)
    from sklearn_dl.io import _weights_hash

    meta["weights_sha256"] = _weights_hash(tensors)
    text = json.dumps(meta, sort_keys=True)
    save_file(tensors, out, metadata={"sklearn_dl": text,
                                      "sklearn_dl_sha256": hashlib.sha256(text.encode()).hexdigest()})
    return out


FORGERIES = {
    # a fitted attribute the schema does not declare: never set
    "undeclared_state_holding_os_system": (
        lambda m, t: m["state"].update(evil={"ref": "os.system"}), "not a fitted attribute"),
    # a name outside the explicit table: never imported or called
    "builtin_eval_as_reference": (
        lambda m, t: m["params"].update(init={"ref": "builtins.eval"}), "does not look up"),
    "not_an_estimator_class": (lambda m, t: m.update(estimator="Pipeline"),
                               "not one of sklearn_dl's estimators"),
    "attribute_shadowing_a_method": (
        lambda m, t: m["state"].update(predict="boom"), "not a fitted attribute"),
    "newer_format": (lambda m, t: m.update(format_version=99), "format version 99"),
    "extra_tensor": (lambda m, t: t.update(extra=torch.zeros(2)), "does not name"),
}


@pytest.mark.parametrize("edit, pattern", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_files_with_valid_hashes_still_run_no_code(saved, tmp_path, edit, pattern):
    path, _, _ = saved
    forged = _forge(path, tmp_path / "forged.safetensors", edit)
    with pytest.raises(ValueError, match=pattern):
        load(forged)


def test_another_sklearn_dl_version_warns(saved, tmp_path):
    path, est, X = saved
    forged = _forge(path, tmp_path / "old.safetensors",
                    lambda m, t: m["versions"].update(sklearn_dl="0.0.1"))
    with pytest.warns(UserWarning, match="saved with sklearn_dl 0.0.1"):
        loaded = load(forged)
    _assert_same_predictions(est, loaded, X)


def test_save_refuses_what_it_cannot_represent(tmp_path):
    class Mine(sklearn_dl.LinearRegressorNN):
        pass

    with pytest.raises(ValueError, match="Pickle or joblib.dump it instead"):
        save(Mine(), tmp_path / "m.safetensors")


def test_load_leaves_the_global_random_state_alone(saved):
    path, _, _ = saved
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    load(path)  # rebuilding the module draws initial weights: from a forked RNG
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), np_state))


def test_pickle_and_joblib_still_work(saved, tmp_path):
    # scikit-learn's convention; they keep the skorch net and optimizer state
    # too, but unpickling runs code named by the file: trusted files only.
    _, est, X = saved
    _assert_same_predictions(est, pickle.loads(pickle.dumps(est)), X)
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    _assert_same_predictions(est, joblib.load(buffer), X)
