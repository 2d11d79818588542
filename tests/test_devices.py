"""Every device spelling torch accepts either works or gets a ValueError naming what exists.

Issue 16: only the exact string 'cuda' got a clear error on a machine without
CUDA; 'cuda:0' and torch.device('cuda') raised torch's AssertionError, and
'mps', 'meta' and unknown strings raw RuntimeErrors. This machine has no GPU:
where a test needs one to be present, torch.cuda is faked.
"""

import numpy as np
import pytest
import torch

from sklearn_dl import MLPClassifier, TorchRegressor
from sklearn_dl._devices import available_devices, resolve_device


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(int)


@pytest.mark.parametrize("device", ["cpu", "cpu:0", torch.device("cpu"), "auto"])
def test_cpu_spellings_train_and_predict(device, data, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, y = data
    clf = MLPClassifier((4,), max_iter=2, device=device, random_state=0).fit(X, y)
    assert next(clf.module_.parameters()).device.type == "cpu"
    assert clf.predict(X).shape == (40,)


MISSING = ["cuda", "cuda:0", "cuda:1", torch.device("cuda"), torch.device("cuda", 0),
           "mps", "xpu", "hpu"]


@pytest.mark.parametrize("device", MISSING, ids=str)
def test_missing_accelerators_are_a_value_error_listing_the_available_devices(
        device, data, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    X, y = data
    with pytest.raises(ValueError, match=r"was requested but .*Devices available here: "
                                         r"'auto', 'cpu'"):
        MLPClassifier((4,), max_iter=1, device=device).fit(X, y)


@pytest.mark.parametrize("device, why", [
    ("meta", "holds shapes but no data"),
    ("foo", "is not a device torch knows"),
    ("cuda:x", "is not a device torch knows"),
    ("", "is not a device torch knows"),
])
def test_meta_and_unknown_strings_are_value_errors(device, why, data):
    X, y = data
    with pytest.raises(ValueError, match=why + r".*Devices available here"):
        TorchRegressor(max_iter=1, device=device).fit(X, y.astype(float))


def test_a_present_gpu_is_taken_in_every_spelling_and_a_missing_index_is_refused(monkeypatch):
    """torch.cuda faked to report one GPU: no tensor is created, only the device resolved."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cuda:0") == torch.device("cuda:0")
    assert resolve_device(torch.device("cuda")) == torch.device("cuda")
    assert "cuda:0" in available_devices()
    with pytest.raises(ValueError, match=r"names GPU 1, but torch sees 1.*'cuda:0'"):
        resolve_device("cuda:1")
