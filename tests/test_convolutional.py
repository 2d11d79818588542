"""Images and convolutions on the same estimators (issue 17).

N-D input for TorchClassifier/TorchRegressor, ConvNetClassifier, d2l's LeNet,
optimizer__* parameters on every estimator, and (n,) regression heads.
"""

import copy
import functools
import re

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from _public_estimators import ESTIMATORS, ids, make_data, make_estimator
from sklearn_dl import ConvNetClassifier, TorchClassifier, TorchRegressor, load, save
from sklearn_dl.modules import ConvNet, LeNet, ToImage


@pytest.fixture(scope="module")
def digits():
    """8x8 digit images in [0, 1], 1797 of them: small enough for seconds-long CNN fits."""
    X, y = load_digits(return_X_y=True)
    return train_test_split((X / 16).astype(np.float32), y, random_state=0)


class SmallCNN(nn.Module):
    """A module that wants images: conv over (C, H, W), no flattening of its own."""

    def __init__(self, input_shape=(1, 8, 8), n_outputs=10):
        super().__init__()
        c, h, w = input_shape
        self.conv = nn.Conv2d(c, 8, 3, padding=1)
        self.out = nn.Linear(8 * h * w, n_outputs)

    def forward(self, X):
        return self.out(torch.relu(self.conv(X)).flatten(1))


# --------------------------------------------------------------------------
# 1. N-D input for TorchClassifier / TorchRegressor
# --------------------------------------------------------------------------
def test_torch_classifier_trains_a_cnn_on_image_shaped_x(digits):
    X_train, X_test, y_train, y_test = digits
    images = X_train.reshape(-1, 1, 8, 8)
    clf = TorchClassifier(SmallCNN, max_iter=15, learning_rate_init=0.01, random_state=0)
    clf.fit(images, y_train)
    assert clf.input_shape_ == (1, 8, 8)
    assert clf.n_features_in_ == 64  # the values per sample
    # the module received the samples as they were: its conv saw 1 channel of 8 x 8
    assert clf.module_.conv.in_channels == 1
    # sklearn's MLPClassifier reaches ~0.97 on this split; a small CNN must be near it
    assert clf.score(X_test.reshape(-1, 1, 8, 8), y_test) > 0.9
    # a tensor is the same data
    proba = clf.predict_proba(torch.from_numpy(X_test.reshape(-1, 1, 8, 8)))
    np.testing.assert_allclose(proba, clf.predict_proba(X_test.reshape(-1, 1, 8, 8)))


def test_module_factory_receives_input_shape_of_nd_x():
    X = np.random.RandomState(0).normal(size=(30, 3, 4, 5)).astype(np.float32)
    y = np.arange(30) % 2
    clf = TorchClassifier(SmallCNN, max_iter=2, random_state=0).fit(X, y)
    assert clf.module_.conv.in_channels == 3 and clf.module_.out.in_features == 8 * 4 * 5
    assert clf.n_features_in_ == 60


@pytest.mark.parametrize("bad_shape, hint", [
    ((10, 64), r"X.reshape\(len\(X\), 1, 8, 8\)"),  # flat rows of the same size
    ((10, 1, 8, 7), r"samples of shape \(1, 8, 7\)"),
    ((10, 2, 8, 8), r"samples of shape \(2, 8, 8\)"),
])
def test_predict_refuses_another_sample_shape_naming_both(bad_shape, hint):
    rng = np.random.RandomState(0)
    clf = TorchClassifier(SmallCNN, max_iter=1, random_state=0).fit(
        rng.normal(size=(20, 1, 8, 8)), np.arange(20) % 3)
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(1, 8, 8\)") as info:
        clf.predict(rng.normal(size=bad_shape))
    # the message also names the given shape, or the reshape that fixes it
    assert re.search(hint, str(info.value)), str(info.value)


def test_partial_fit_and_save_load_keep_the_sample_shape(tmp_path):
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 1, 8, 8)), np.arange(40) % 3
    clf = TorchClassifier(SmallCNN, random_state=0)
    clf.partial_fit(X[:20], y[:20], classes=[0, 1, 2]).partial_fit(X[20:], y[20:])
    # n_iter_ counts this call's epochs, as scikit-learn's MLP partial_fit does (the
    # sklearn-parity branch); the history keeps both calls' epochs, t_ both halves' samples
    assert clf.n_iter_ == 1 and len(clf.history_) == 2 and clf.t_ == 40
    assert clf.input_shape_ == (1, 8, 8)
    with pytest.raises(ValueError, match=r"samples of shape \(64,\).*\(1, 8, 8\)"):
        clf.partial_fit(X.reshape(40, 64), y)
    loaded = load(save(clf, tmp_path / "cnn.safetensors"), module=SmallCNN)
    assert loaded.input_shape_ == (1, 8, 8)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_nd_input_bad_values_get_clear_errors():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 1, 8, 8))
    y = np.arange(20) % 2
    clf = TorchClassifier(SmallCNN, max_iter=1, random_state=0)
    X_nan = X.copy()
    X_nan[3, 0, 2, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(X_nan, y)
    X_inf = X.copy()
    X_inf[0, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        clf.fit(X_inf, y)
    with pytest.raises(ValueError, match="numeric values"):
        clf.fit(X.astype(str), y)
    with pytest.raises(ValueError, match="holds no values"):
        clf.fit(np.zeros((20, 1, 0, 8)), y)
    with pytest.raises(ValueError, match="real numbers"):
        clf.fit(torch.zeros(20, 1, 8, 8, dtype=torch.complex64), y)
    fitted = clf.fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        fitted.predict(X_nan)


def test_module_failing_on_the_sample_shape_names_it():
    X = np.zeros((10, 1, 6, 6))
    clf = TorchClassifier(nn.Linear(36, 2), max_iter=1)
    with pytest.raises(ValueError, match=r"failed on input of shape \(2, 1, 6, 6\).*input_shape"):
        clf.fit(X, np.arange(10) % 2)


def test_flat_rows_still_work_and_a_module_states_its_image_shape(digits):
    """A module that starts with ToImage takes the flat rows a Pipeline's scaler produces."""
    X_train, X_test, y_train, y_test = digits

    def cnn(n_outputs):
        return nn.Sequential(ToImage((1, 8, 8)), SmallCNN(n_outputs=n_outputs))

    pipe = make_pipeline(StandardScaler(),
                         TorchClassifier(cnn, max_iter=15, learning_rate_init=0.01,
                                         random_state=0))
    pipe.fit(X_train, y_train)
    clf = pipe[-1]
    assert clf.input_shape_ == (64,) and clf.n_features_in_ == 64
    assert pipe.score(X_test, y_test) > 0.9


# --------------------------------------------------------------------------
# 2. ConvNetClassifier and LeNet
# --------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(64,), (8, 8), (1, 8, 8)], ids=["flat", "HW", "CHW"])
def test_convnet_classifier_takes_flat_or_image_x(digits, shape):
    X_train, X_test, y_train, y_test = digits
    clf = ConvNetClassifier(channels=(16,), hidden_layer_sizes=(), max_iter=5, random_state=0)
    clf.fit(X_train.reshape((-1,) + shape), y_train)
    assert clf.image_shape_ == (1, 8, 8)
    # same architecture and seed whatever the shape of X: the same model
    assert clf.score(X_test.reshape((-1,) + shape), y_test) > 0.9


def test_convnet_classifier_in_a_pipeline_after_a_scaler(digits):
    X_train, X_test, y_train, y_test = digits
    pipe = make_pipeline(StandardScaler(), ConvNetClassifier(
        channels=(8, 16), max_iter=5, random_state=0))
    assert pipe.fit(X_train, y_train).score(X_test, y_test) > 0.9


def test_grid_search_tunes_the_convnet_architecture(digits):
    X_train, _, y_train, _ = digits
    clf = ConvNetClassifier(hidden_layer_sizes=(), max_iter=3, random_state=0)
    grid = {"channels": [(2,), (16, 32)], "kernel_size": [3]}
    search = GridSearchCV(clf, grid, cv=2).fit(X_train[:600], y_train[:600])
    scores = search.cv_results_["mean_test_score"]
    # two channels cannot separate ten digits as well as two blocks of 16 and 32
    assert search.best_params_["channels"] == (16, 32) and scores[1] > scores[0]
    assert search.best_estimator_.module_.block2.conv.out_channels == 32


def test_convnet_image_shape_inference_and_errors():
    rng = np.random.RandomState(0)
    y = np.arange(12) % 2
    clf = ConvNetClassifier(channels=(4,), hidden_layer_sizes=(), max_iter=1, random_state=0)
    assert clf.fit(rng.normal(size=(12, 7)), y).image_shape_ == (1, 1, 7)  # not square: a strip
    assert clf.fit(rng.normal(size=(12, 2, 3, 3)), y).image_shape_ == (2, 3, 3)
    colour = clone(clf).set_params(image_shape=(3, 2, 2))
    assert colour.fit(rng.normal(size=(12, 12)), y).module_.block1.conv.in_channels == 3
    with pytest.raises(ValueError, match=r"image_shape=\(3, 3, 3\) does not fit samples of "
                                         r"shape \(12,\) \(12 values\)"):
        clone(clf).set_params(image_shape=(3, 3, 3)).fit(rng.normal(size=(12, 12)), y)
    with pytest.raises(ValueError, match="takes images"):
        clf.fit(rng.normal(size=(12, 1, 2, 2, 2)), y)


def test_convnet_classifier_saves_and_loads(tmp_path, digits):
    X_train, X_test, y_train, _ = digits
    clf = ConvNetClassifier(channels=(4,), max_iter=1, random_state=0,
                            optimizer__weight_decay=1e-4)
    clf.fit(X_train.reshape(-1, 8, 8), y_train)
    loaded = load(save(clf, tmp_path / "cnn.safetensors"))
    assert loaded.get_params()["optimizer__weight_decay"] == 1e-4
    np.testing.assert_array_equal(loaded.predict_proba(X_test.reshape(-1, 8, 8)),
                                  clf.predict_proba(X_test.reshape(-1, 8, 8)))


def test_lenet_is_d2l_lenet():
    net = LeNet()
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    # d2l section 7.6: conv 6@5x5 pad 2, conv 16@5x5, dense 400-120-84-10, sigmoid, avg pool
    assert [(c.out_channels, c.kernel_size, c.padding) for c in convs] == [
        (6, (5, 5), (2, 2)), (16, (5, 5), (0, 0))]
    assert [(m.in_features, m.out_features) for m in linears] == [(400, 120), (120, 84), (84, 10)]
    assert sum(isinstance(m, nn.Sigmoid) for m in net.modules()) == 4
    assert sum(isinstance(m, nn.AvgPool2d) for m in net.modules()) == 2
    # d2l's layer-by-layer shapes for one 28 x 28 image
    X = torch.zeros(1, 1, 28, 28)
    shapes = {}
    for name, layer in net.named_children():
        X = layer(X)
        shapes[name] = tuple(X.shape)
    assert shapes["pool1"] == (1, 6, 14, 14) and shapes["pool2"] == (1, 16, 5, 5)
    assert shapes["output"] == (1, 10)
    modern = LeNet(activation="relu", pooling="max", batch_norm=True)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in modern.modules()) == 2
    assert modern(torch.zeros(3, 784)).shape == (3, 10)
    with pytest.raises(ValueError, match="at least 10 x 10"):
        LeNet(input_shape=(1, 8, 8))


def test_convnet_pools_before_relu_with_the_same_outputs_and_gradients(digits):
    # The blocks run conv -> bn -> pool -> relu because it is cheaper; a user
    # reading d2l expects conv -> bn -> relu -> pool. Both must train the same.
    # Real images: their blank backgrounds give tied maxima inside the pools.
    torch.manual_seed(0)
    net = ConvNet(n_outputs=10, input_shape=(1, 8, 8), channels=(8, 16)).to(
        memory_format=torch.channels_last)
    ref = copy.deepcopy(net)
    for block in (ref.block1, ref.block2):
        pool, act = block.pool, block.act
        del block.pool, block.act
        block.add_module("act", act)
        block.add_module("pool", pool)
    assert [n for n, _ in net.block1.named_children()] == ["conv", "bn", "pool", "act"]
    X = torch.from_numpy(digits[0][:256].reshape(-1, 1, 8, 8))
    y = torch.from_numpy(digits[2][:256].astype(np.int64))
    outs = []
    for model in (net, ref):
        model.train()
        out = model(X)
        nn.functional.cross_entropy(out, y).backward()
        outs.append((out.detach(), [p.grad for p in model.parameters()],
                     model.block2.bn.running_mean.clone()))
    assert torch.equal(outs[0][0], outs[1][0])
    assert all(torch.equal(a, b) for a, b in zip(outs[0][1], outs[1][1]))
    assert torch.equal(outs[0][2], outs[1][2])
    # tanh and average pooling do not commute with pooling: d2l's order stays
    assert [n for n, _ in ConvNet(activation="tanh").block1.named_children()] == [
        "conv", "bn", "act", "pool"]
    assert [n for n, _ in ConvNet(pooling="avg").block1.named_children()] == [
        "conv", "bn", "act", "pool"]


def test_convnet_module_handles_tiny_and_odd_images():
    for shape in [(1, 1, 1), (1, 1, 5), (3, 5, 7)]:
        net = ConvNet(n_outputs=2, input_shape=shape, channels=(4, 4), kernel_size=3).eval()
        assert net(torch.zeros(2, int(np.prod(shape)))).shape == (2, 2)
    with pytest.raises(ValueError, match="cannot be images"):
        ToImage((1, 2, 2))(torch.zeros(1, 5))


# --------------------------------------------------------------------------
# 3. optimizer__* on every estimator; solver as a partial
# --------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS, ids=ids(ESTIMATORS))
def test_optimizer_params_reach_the_optimizer_on_every_estimator(cls):
    small = make_estimator(cls, solver="adam", max_iter=1).get_params()
    # constructor keywords, as skorch takes them
    est = cls(**small, optimizer__weight_decay=0.05, optimizer__betas=(0.8, 0.95))
    params = est.get_params()
    assert params["optimizer__weight_decay"] == 0.05 and params["optimizer__betas"] == (0.8, 0.95)
    twin = clone(est)
    assert twin.get_params()["optimizer__betas"] == (0.8, 0.95)
    twin.set_params(optimizer__weight_decay=0.2)
    assert est.optimizer__weight_decay == 0.05
    X, y = make_data(est)
    twin.fit(X, y)
    group = twin.net_.optimizer_.param_groups[0]
    assert group["weight_decay"] == 0.2 and tuple(group["betas"]) == (0.8, 0.95)


def test_grid_search_over_weight_decay_changes_the_model():
    X, y = make_data(TorchRegressor(), n_samples=60, n_features=5)
    est = TorchRegressor(nn.Linear, module__in_features=5, module__out_features=1,
                         solver=torch.optim.AdamW, learning_rate_init=0.05, max_iter=30,
                         random_state=0)
    search = GridSearchCV(est, {"optimizer__weight_decay": [0.0, 50.0]}, cv=2,
                          return_train_score=True).fit(X, y)
    train = search.cv_results_["mean_train_score"]
    # decoupled decay of 50 x lr 0.05 shrinks the weights by 2.5 per step: no fit at all
    assert train[0] > 0.9 and train[1] < 0.5
    assert search.best_params_ == {"optimizer__weight_decay": 0.0}


def test_solver_may_be_a_partial_of_a_torch_optimizer():
    X, y = make_data(TorchRegressor(), n_samples=60)
    solver = functools.partial(torch.optim.AdamW, weight_decay=0.3)
    est = TorchRegressor(solver=solver, max_iter=2, random_state=0).fit(X, y)
    assert isinstance(est.net_.optimizer_, torch.optim.AdamW)
    assert est.net_.optimizer_.param_groups[0]["weight_decay"] == 0.3
    twin = clone(est).solver  # deep-copied, as clone copies every parameter
    assert twin.func is torch.optim.AdamW and twin.keywords == {"weight_decay": 0.3}


def test_bad_optimizer_params_are_refused_with_the_fix():
    X, y = make_data(TorchRegressor(), n_samples=20)
    with pytest.raises(ValueError, match=r"Adam does not take the keyword\(s\) \['weight_decy'\]"):
        TorchRegressor(max_iter=1, optimizer__weight_decy=0.1).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate_init"):
        TorchRegressor(max_iter=1, optimizer__lr=0.1).fit(X, y)


def test_warm_start_applies_a_new_optimizer_param():
    X, y = make_data(TorchRegressor(), n_samples=40)
    est = TorchRegressor(max_iter=1, warm_start=True, random_state=0).fit(X, y)
    est.set_params(optimizer__weight_decay=0.5).fit(X, y)
    assert est.net_.optimizer_.param_groups[0]["weight_decay"] == 0.5


# --------------------------------------------------------------------------
# 4. (n,) regression heads
# --------------------------------------------------------------------------
class SqueezedHead(nn.Module):
    def __init__(self, n_features=3):
        super().__init__()
        self.linear = nn.Linear(n_features, 1)

    def forward(self, X):
        return self.linear(X).squeeze(-1)


@pytest.mark.parametrize("y_2d", [False, True])
def test_regressor_accepts_a_module_returning_one_value_per_sample(y_2d):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, 2.0, -3.0]
    est = TorchRegressor(SqueezedHead, learning_rate_init=0.05, max_iter=100,
                         early_stopping=y_2d, random_state=0)
    est.fit(X, y.reshape(-1, 1) if y_2d else y)
    # the loss paired each output with its own target: an exact linear fit.
    # (Broadcasting (n,) against (n, 1) would fit every target to every output: R^2 ~ 0.)
    assert est.score(X, y) > 0.99
    assert est.predict(X[:5]).shape == ((5, 1) if y_2d else (5,))


def test_classifier_still_refuses_a_flat_output():
    X, y = make_data(TorchClassifier(), n_samples=30)
    with pytest.raises(ValueError, match=r"returned \(2,\) for 2 samples"):
        TorchClassifier(SqueezedHead, max_iter=1).fit(X, y)
