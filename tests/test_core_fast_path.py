"""The shared core's fast paths keep skorch's and scikit-learn's behaviour.

Training skips skorch's no-op callback calls and the optimizer closure;
predict skips validate_data for ready float arrays and pads to 8 rows
instead of 256. These tests pin what a user could notice if a fast path
were wrong: callbacks still fire, the history is the same, LBFGS still
works, bad input still raises, schedules survive partial_fit/warm_start.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback

from sklearn_dl import LinearRegressorNN, MLPClassifier, SoftmaxClassifier


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


class Recorder(Callback):
    """Counts the per-batch hooks the fast path must still call."""

    def initialize(self):
        self.begin = self.end = self.grads = 0
        self.grad_names = set()
        return self

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        self.begin += training

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        self.end += training and loss is not None

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self.grads += 1
        self.grad_names = {name for name, _ in named_parameters}


def test_overridden_batch_hooks_still_fire_and_history_is_complete(iris):
    X, y = iris
    clf = SoftmaxClassifier(batch_size=50, max_iter=3, callbacks=[("rec", Recorder())],
                            random_state=0).fit(X, y)
    rec = dict(clf.net_.callbacks_)["rec"]
    # 150 rows / 50 per batch = 3 batches per epoch, 3 epochs
    assert rec.begin == rec.end == rec.grads == 9
    assert rec.grad_names == {"weight", "bias"}
    for epoch in clf.history_:
        assert epoch["train_batch_count"] == 3
        assert [b["train_batch_size"] for b in epoch["batches"]] == [50, 50, 50]
        losses = [b["train_loss"] for b in epoch["batches"]]
        assert all(isinstance(v, float) for v in losses)
        # skorch's epoch loss is the size-weighted mean of the batch losses
        assert epoch["train_loss"] == pytest.approx(np.mean(losses))


def test_lbfgs_keeps_the_closure_path(iris):
    X, y = iris
    # fit runs SciPy's L-BFGS-B (exact path); partial_fit trains torch's through skorch
    clf = SoftmaxClassifier(solver="lbfgs", random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    assert isinstance(clf.net_.optimizer_, torch.optim.LBFGS)
    assert clf.n_iter_ > 1 and clf.score(X, y) > 0.95


def test_sgd_and_adam_use_fused_kernels(iris):
    X, y = iris
    for solver in ("sgd", "adam"):
        clf = SoftmaxClassifier(solver=solver, max_iter=1, random_state=0).fit(X, y)
        assert clf.net_.optimizer_.defaults["fused"] is True
    clf = SoftmaxClassifier(solver=torch.optim.AdamW, max_iter=1, random_state=0).fit(X, y)
    assert clf.net_.optimizer_.defaults["fused"] is True
    # classes without a fused kernel everywhere keep their own defaults
    clf = SoftmaxClassifier(solver=torch.optim.RMSprop, max_iter=1, random_state=0).fit(X, y)
    assert not clf.net_.optimizer_.defaults.get("fused")


@pytest.mark.parametrize("policy", ["one_cycle", "cosine"])
def test_annealed_schedules_restart_on_partial_fit_and_warm_start(iris, policy):
    X, y = iris
    clf = SoftmaxClassifier(learning_rate=policy, learning_rate_init=0.05, batch_size=50,
                            max_iter=4, random_state=0).fit(X, y)
    # OneCycleLR used to raise "Tried to step N times" on the next call
    clf.partial_fit(X, y)
    clf.set_params(warm_start=True).fit(X, y)
    assert len(clf.history_) == 4 + 1 + 4 and clf.n_iter_ == 4  # n_iter_: this call's
    rates = [[b["event_lr"] for b in epoch["batches"]] for epoch in clf.history_]
    # each call runs a whole schedule: the first batch of the warm-start refit is
    # back at the schedule's start, not where the previous call left off (~0)
    assert rates[5][0] == pytest.approx(rates[0][0])
    # and each schedule ends annealed: the last rate measured 4e-6 (one_cycle) and 0.02
    # (cosine) of epochs 2-3's peak; cosine's last of 12 batches is at
    # (1 + cos(11 pi / 12)) / 2 = 0.017 of its start. A constant rate would give 1.
    assert rates[3][-1] < 0.1 * max(rates[1] + rates[2])


def test_default_softmax_schedule_does_not_warn_about_max_iter(iris):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = SoftmaxClassifier(random_state=0).fit(X, y)
    # 150 rows: 'auto' is max(8, 150 // 64) = 8 rows, 19 batches per epoch
    assert clf.n_iter_ == 10 and clf.history_[0]["train_batch_count"] == 19
    # the 10-epoch default learns: chance is 1/3; measured 0.867 on these training
    # rows at random_state=0 (0.90 and 0.88 at 1 and 2). Small data fits exactly
    # with solver='lbfgs'.
    assert clf.score(X, y) > 0.8


def test_fit_leaves_module_in_eval_mode_and_predict_matches_row_by_row():
    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16
    clf = MLPClassifier((32,), dropout=0.3, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y[:300])
    assert not any(m.training for m in clf.module_.modules())
    full = clf.predict_proba(X)
    # bitwise: each pass is padded to a multiple of 8 rows, whatever the input size
    rows = np.vstack([clf.predict_proba(X[i:i + 1]) for i in range(0, 300, 7)])
    np.testing.assert_array_equal(rows, full[::7])
    np.testing.assert_array_equal(clf.predict_proba(X[:13]), full[:13])
    # a module switched to training mode by the user is evaluated in eval mode
    # and handed back in training mode
    clf.module_.train()
    np.testing.assert_array_equal(clf.predict_proba(X), full)
    assert clf.module_.training


def test_predict_fast_path_keeps_validation_errors_and_feature_name_checks(iris):
    X, y = iris
    clf = SoftmaxClassifier(max_iter=2, random_state=0).fit(X, y)
    bad = X[:3].copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.predict(bad)
    with pytest.raises(ValueError, match="4 features"):
        clf.predict(X[:, :3])
    np.testing.assert_array_equal(clf.predict(X.astype(np.float32)), clf.predict(X))
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    named = SoftmaxClassifier(max_iter=2, random_state=0).fit(frame, y)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        named.predict(X)
    with pytest.raises(ValueError, match="feature names"):
        named.predict(frame.rename(columns={"a": "z"}))


def test_half_squared_error_is_unchanged():
    # HalfSquaredError became one mse_loss node; its value is 0.5 * mean over
    # rows of the squared error summed over outputs, as before
    from sklearn_dl.linear_model import HalfSquaredError

    rng = np.random.default_rng(0)
    pred, true = (torch.as_tensor(rng.normal(size=(7, 3))) for _ in range(2))
    expected = 0.5 * (pred - true).pow(2).sum(1).mean()
    assert HalfSquaredError()(pred, true).item() == pytest.approx(expected.item(), rel=1e-12)
    # The estimator reports that loss. One full batch, one epoch: loss_ is the loss at
    # the initial weights (all 1, bias 0), so predictions are the row sums of X.
    X, Y = rng.normal(size=(40, 3)), rng.normal(size=(40, 2))

    def ones(m):
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.constant_(m.weight, 1.0)
            torch.nn.init.zeros_(m.bias)

    reg = LinearRegressorNN(solver="sgd", batch_size=40, max_iter=1, init=ones, shuffle=False,
                            random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, Y)
    initial = X.sum(1, keepdims=True) - Y
    # float32 training: measured 3e-8 relative difference
    assert reg.loss_ == pytest.approx(0.5 * (initial ** 2).sum(1).mean(), rel=1e-6)
    # LBFGS with a ridge penalty: loss_ is that loss at the fitted weights plus
    # alpha / 2 * ||w||^2 (ElasticNet's scaling); loss_ is LBFGS's last evaluation,
    # measured within 2e-8 relative of the final weights' value
    reg = LinearRegressorNN(solver="lbfgs", alpha=0.1, tol=1e-10, max_iter=500,
                            random_state=0).fit(X, Y)
    half_se = 0.5 * ((reg.predict(X) - Y) ** 2).sum(1).mean()
    assert reg.loss_ == pytest.approx(half_se + 0.05 * (reg.coef_ ** 2).sum(), rel=1e-6)


class ThreadProbe(Callback):
    def on_batch_end(self, net, **kwargs):
        self.threads_ = torch.get_num_threads()


def test_small_models_train_on_one_thread_and_the_setting_is_restored(iris):
    X, y = iris
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        # 4 features x 3 classes: 12 multiply-adds a row, far below the limit
        small = SoftmaxClassifier(max_iter=1, callbacks=[("probe", ThreadProbe())]).fit(X, y)
        assert dict(small.net_.callbacks_)["probe"].threads_ == 1
        assert torch.get_num_threads() == 2
        # 200 rows x (4*4000 + 4000*3) weights: above it, torch's setting is kept
        big = MLPClassifier((4000,), batch_size=200, max_iter=1,
                            callbacks=[("probe", ThreadProbe())])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            big.fit(np.vstack([X, X]), np.concatenate([y, y]))
        assert dict(big.net_.callbacks_)["probe"].threads_ == 2
        small.predict(X)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
