"""Fits in threads: each fit owns its generators, so threads change nothing.

joblib's threading backend and dask's threaded workers run fits side by side
in one process. A fit that seeded or drew from torch's process-wide
generator would interleave its draws with the other fits' (issue 16): these
tests run fits in threads, next to a thread that keeps drawing from the
global generator, and require the sequential fit's bits.
"""

import threading
import warnings

import joblib
import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from torch import nn

from sklearn_dl import MLPClassifier, SoftmaxClassifier, TorchClassifier, TorchRegressor
from sklearn_dl import _rng, scratch
from sklearn_dl.modules import FixedHiddenMLP


class DropNet(nn.Module):
    """A custom module with its own nn.Dropout layer and a constant random buffer."""

    def __init__(self, n_features, n_outputs):
        super().__init__()
        self.hidden = nn.Linear(n_features, 32)
        self.drop = nn.Dropout(0.3)
        self.out = nn.Linear(32, n_outputs)
        self.register_buffer("noise", torch.rand(32))  # drawn in the constructor

    def forward(self, X):
        return self.out(self.drop(torch.relu(self.hidden(X)) + self.noise))


class ScratchDropNet(nn.Module):
    """The seed's hand-written dropout (scratch.dropout_layer) in a custom forward."""

    def __init__(self, n_features, n_outputs):
        super().__init__()
        self.hidden = nn.Linear(n_features, 32)
        self.out = nn.Linear(32, n_outputs)

    def forward(self, X):
        H = torch.relu(self.hidden(X))
        if self.training:
            H = scratch.dropout_layer(H, 0.5)
        return self.out(H)


def uniform_init(m):
    """A user's init function drawing through nn.init without a generator."""
    if isinstance(m, nn.Linear):
        nn.init.uniform_(m.weight, -0.1, 0.1)


ESTIMATORS = {
    "MLPClassifier": lambda: MLPClassifier((32,), random_state=0, dropout=0.3, max_iter=15),
    "TorchClassifier": lambda: TorchClassifier(DropNet, init=uniform_init, random_state=0,
                                               max_iter=15),
    "TorchClassifier-scratch-dropout": lambda: TorchClassifier(
        ScratchDropNet, random_state=0, max_iter=15),
    "TorchRegressor-FixedHiddenMLP": lambda: TorchRegressor(
        FixedHiddenMLP, random_state=0, max_iter=15),
    "SoftmaxClassifier": lambda: SoftmaxClassifier(random_state=0, max_iter=15),
}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X[:300] / 16).astype(np.float32), y[:300]


def _data_for(name, X, y):
    if name == "TorchRegressor-FixedHiddenMLP":  # 20 features (its fixed 20 x 20 weight)
        return X[:, :20], y / 10.0
    return X, y


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def _state(est):
    return {k: v.clone() for k, v in est.module_.state_dict().items()}


class _GlobalDrawer:
    """A thread drawing from torch's global generator until stopped."""

    def __enter__(self):
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()
        return self

    def _run(self):
        while not self.stop.is_set():
            torch.rand(64)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_fits_in_threads_are_bitwise_the_sequential_fit(name, digits):
    X, y = digits
    X, y = _data_for(name, X, y)
    reference = _state(_fit(ESTIMATORS[name](), X, y))
    results, barrier = [None] * 3, threading.Barrier(3)

    def work(i):
        est = ESTIMATORS[name]()
        barrier.wait()
        results[i] = _state(_fit(est, X, y))

    with _GlobalDrawer():
        threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for result in results:
        assert result.keys() == reference.keys()
        for key in reference:
            assert torch.equal(result[key], reference[key]), key


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_fit_neither_seeds_nor_draws_from_the_global_generator(name, digits):
    X, y = digits
    X, y = _data_for(name, X, y)
    torch.manual_seed(5)
    before = torch.get_rng_state()
    est = _fit(ESTIMATORS[name](), X, y)
    est.predict(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.partial_fit(X, y)
    assert torch.equal(torch.get_rng_state(), before)


def test_threaded_grid_search_equals_the_sequential_one(digits):
    X, y = digits
    # (320,) on 64 features is above the one-thread limit of _threads.SMALL_WORK
    # (200 rows x (64 x 320 + 320 x 10) = 4.7M multiply-adds), (16,) below it:
    # fits pinned to one thread and fits on the user's count are both searched.
    grid = {"hidden_layer_sizes": [(16,), (320,)], "alpha": [1e-4, 1e-1]}
    est = MLPClassifier(dropout=0.3, max_iter=5, random_state=0)

    def search(n_jobs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return GridSearchCV(est, grid, cv=3, n_jobs=n_jobs).fit(X, y).cv_results_

    sequential = search(1)
    with joblib.parallel_backend("threading"):
        threaded = search(2)
    for key in ("mean_test_score", "split0_test_score", "split1_test_score",
                "split2_test_score"):
        np.testing.assert_array_equal(threaded[key], sequential[key])


def test_fits_leave_the_thread_count_alone(digits):
    X, y = digits
    before = torch.get_num_threads()
    threads = [threading.Thread(target=_fit, args=(ESTIMATORS["MLPClassifier"](), X, y))
               for _ in range(2)]
    for t in threads:
        t.start()
    _fit(ESTIMATORS["MLPClassifier"](), X, y)
    for t in threads:
        t.join()
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("layer, shape", [
    (nn.Dropout(0.3), (6, 5)),
    (nn.Dropout(0.3, inplace=True), (6, 5)),
    (nn.Dropout1d(0.4), (4, 3, 5)),
    (nn.Dropout1d(0.4), (3, 5)),
    (nn.Dropout2d(0.4), (4, 3, 2, 2)),
    (nn.Dropout3d(0.4), (2, 3, 2, 2, 2)),
    (nn.AlphaDropout(0.2), (6, 5)),
    (nn.FeatureAlphaDropout(0.2), (4, 3, 2)),
])
def test_dropout_layers_draw_torchs_masks_from_the_fits_generator(layer, shape):
    """Same values and gradients as torch's kernel on a global generator in the same state."""
    x = torch.randn(shape)
    generator = torch.Generator().manual_seed(3)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        x1 = x.clone().requires_grad_()
        expected = layer(x1.clone() if layer.__dict__.get("inplace") else x1)
        expected.sum().backward()
    with _rng.dropout_from(layer, generator):
        x2 = x.clone().requires_grad_()
        got = layer(x2.clone() if layer.__dict__.get("inplace") else x2)
        got.sum().backward()
    assert "forward" not in vars(layer)  # put back after the block
    torch.testing.assert_close(got, expected, rtol=0, atol=0)
    torch.testing.assert_close(x2.grad, x1.grad, rtol=0, atol=0)


def test_draws_while_building_go_to_the_fits_generator():
    """What a module's constructor or an init function may call draws from the fit's generator."""
    def draws():
        x = torch.empty(4, 5)
        return [nn.Linear(5, 3).weight, torch.rand(3), torch.randn_like(x), x.normal_(),
                torch.randint(0, 9, (3,)), torch.randperm(5), nn.init.xavier_uniform_(x),
                nn.functional.dropout(torch.ones(4, 5), 0.5)]

    before = torch.get_rng_state()
    with _rng.drawing_from(torch.Generator().manual_seed(0)):
        first = draws()
    assert torch.equal(torch.get_rng_state(), before)
    with _rng.drawing_from(torch.Generator().manual_seed(0)):
        again = draws()
    for a, b in zip(first, again, strict=True):
        assert torch.equal(a, b)
    # alpha dropout's functional default is training=False: left alone
    x = torch.randn(4, 5)
    with _rng.drawing_from(torch.Generator().manual_seed(0)):
        assert torch.equal(nn.functional.alpha_dropout(x, 0.5), x)
