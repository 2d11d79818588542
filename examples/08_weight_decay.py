# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Norms and weight decay: L2 and L1 (the seed's Days 10-11)
#
# d2l's weight-decay experiment: 20 training points, 100 test points, 200
# features, `y = 0.01 * sum(x) + 0.05 + N(0, 0.01^2)`. With ten times more
# features than points a linear model can interpolate the training set and
# generalise badly. The seed initialised `w ~ N(0, 1)`, minimised
# `squared loss / 2 + lambda * ||w||^2 / 2` by SGD (lr 0.003, batch 5, 100
# epochs), and reported `||w|| = 12.9` with a high test loss for lambda 0,
# `||w|| = 0.37` with a much lower one for lambda 3.
#
# In `sklearn_dl` the penalty is `alpha` with scikit-learn `ElasticNet`'s
# meaning: half the mean squared error plus
# `alpha * l1_ratio * ||w||_1 + alpha * (1 - l1_ratio) * ||w||^2 / 2`, the
# bias never penalised. The seed's per-minibatch loss is
# `mean((y_hat - y)^2 / 2) + lambda * ||w||^2 / 2` (d2l adds the penalty to
# every sample's loss, sums, and its `sgd` divides by the batch size), so
# **`alpha = lambda`** with `l1_ratio = 0`.

# %%
import functools
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso, Ridge
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import PredefinedSplit, ValidationCurveDisplay
from skorch.callbacks import Callback

from sklearn_dl import LinearRegressorNN
from sklearn_dl.datasets import make_weight_decay_regression
from sklearn_dl.init import normal

QUICK = os.environ.get("SKLEARN_DL_QUICK") == "1"  # the test suite's short run
warnings.simplefilter("ignore", ConvergenceWarning)  # the seed's fixed epoch budget

X_train, X_test, y_train, y_test = make_weight_decay_regression(random_state=0)
print(X_train.shape, X_test.shape)


def loss(reg, X, y):
    """The seed's reported loss: mean squared error / 2."""
    return mean_squared_error(y, reg.predict(X)) / 2


# %% [markdown]
# ## The seed's setting, through the estimator
#
# `init=functools.partial(normal, std=1.0)` draws the weights from `N(0, 1)`
# (bias 0), `momentum=0.0` makes it plain SGD, and `n_iter_no_change=np.inf`
# runs all 100 epochs. A small skorch callback records the test loss after
# every epoch, to draw the seed's train/test curves.

# %%
class TestLoss(Callback):
    """Appends the test loss to the history after every epoch."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def on_epoch_end(self, net, **kwargs):
        weight = net.module_.weight
        with torch.no_grad():
            pred = net.module_(torch.as_tensor(self.X, dtype=weight.dtype)).numpy().ravel()
        net.history.record("test_loss", float(np.mean((pred - self.y) ** 2) / 2))


def seed_fit(alpha):
    return LinearRegressorNN(
        alpha=alpha, solver="sgd", learning_rate_init=0.003, momentum=0.0, batch_size=5,
        max_iter=100, n_iter_no_change=np.inf, init=functools.partial(normal, std=1.0),
        callbacks=[TestLoss(X_test, y_test)], random_state=0,
    ).fit(X_train, y_train)


fits = {lam: seed_fit(lam) for lam in (0.0, 3.0)}
fig, axes = plt.subplots(1, 2, figsize=(10, 3), sharey=True)
for ax, (lam, reg) in zip(axes, fits.items()):
    ax.semilogy(reg.history_[:, "train_loss"], label="train")
    ax.semilogy(reg.history_[:, "test_loss"], label="test")
    ax.set(xlabel="epoch", title=f"lambda = alpha = {lam:g}")
    ax.legend()
    print(f"alpha {lam:g}: ||w|| = {np.linalg.norm(reg.coef_):.2f}, "
          f"train loss {loss(reg, X_train, y_train):.2g}, test loss {loss(reg, X_test, y_test):.3g}")
axes[0].set_ylabel("loss (MSE / 2)")
plt.show()

# %% [markdown]
# Without decay, SGD drives the training loss to zero and never touches the
# part of `w` in the 180-dimensional null space of the 20 training rows:
# `||w||` stays near `||N(0, I_180)|| = sqrt(180) = 13.4`, and that random
# part is what the test loss sees. With `alpha = 3`, every step multiplies
# `w` by `1 - 0.003 * 3`; after 400 steps `0.991^400 * 14 = 0.38` is left.
# (The history's `train_loss` is the objective, penalty included; that is
# why it lies above the test loss on the right.)
#
# ## Choosing alpha
#
# `ValidationCurveDisplay` over `alpha`, fitting on the 20 training rows and
# scoring on the 100 test rows (a `PredefinedSplit`: the seed's split), with
# the seed's SGD setting.

# %%
X_all, y_all = np.r_[X_train, X_test], np.r_[y_train, y_test]
seed_split = PredefinedSplit(np.r_[np.full(len(y_train), -1), np.zeros(len(y_test))])
alphas = [0.0, 0.3, 1.0, 3.0, 10.0] if not QUICK else [0.0, 1.0, 3.0]
fig, ax = plt.subplots(figsize=(5, 3))
curve = ValidationCurveDisplay.from_estimator(
    LinearRegressorNN(solver="sgd", learning_rate_init=0.003, momentum=0.0, batch_size=5,
                      max_iter=100, n_iter_no_change=np.inf,
                      init=functools.partial(normal, std=1.0), random_state=0),
    X_all, y_all, param_name="alpha", param_range=alphas, cv=seed_split,
    scoring="neg_mean_squared_error", negate_score=True, ax=ax)
ax.set(yscale="log", title="SGD from N(0, 1): error by alpha")
plt.show()
print("test MSE by alpha:", dict(zip(alphas, np.round(-curve.test_scores[:, 0], 4))))

# %% [markdown]
# ## The exact optimum
#
# `solver="auto"` (the default) solves the penalised problem exactly in
# float64 (a Cholesky solve); no initialisation survives. It equals scikit-learn's `Ridge` with
# `alpha * n_samples` (`Ridge` sums the squared errors instead of averaging
# them).

# %%
exact = LinearRegressorNN(alpha=3.0, tol=1e-8).fit(X_train, y_train)
ridge = Ridge(alpha=3.0 * len(y_train)).fit(X_train, y_train)
print(f"exact ||w|| = {np.linalg.norm(exact.coef_):.5f}, Ridge: {np.linalg.norm(ridge.coef_):.5f}, "
      f"test loss {loss(exact, X_test, y_test):.4f}")

# %% [markdown]
# ## L1: the lasso selects features (the seed's Day 10 note)
#
# `l1_ratio=1` swaps `||w||^2 / 2` for `||w||_1`. Its proximal step
# (soft-thresholding) sets weights *exactly* to zero: with the default
# `solver="auto"` the estimator runs coordinate descent (scikit-learn's) and lands
# on `Lasso`'s coefficients, zeros included; with minibatch solvers
# a `ProximalL1` callback thresholds after each step. With 20 samples the
# lasso keeps at most 20 of the 200 features.

# %%
lasso = LinearRegressorNN(alpha=0.01, l1_ratio=1.0, tol=1e-7, max_iter=5000).fit(X_train, y_train)
sk_lasso = Lasso(alpha=0.01, tol=1e-12, max_iter=100_000).fit(X_train, y_train)
kept = np.flatnonzero(lasso.coef_)
print(f"{len(kept)} of 200 weights nonzero (sklearn Lasso: {np.count_nonzero(sk_lasso.coef_)}); "
      f"coordinate-descent sweeps: {lasso.n_iter_}")
sgd_lasso = LinearRegressorNN(alpha=0.01, l1_ratio=1.0, solver="adam", learning_rate_init=0.01,
                              batch_size=5, max_iter=100 if QUICK else 300,
                              n_iter_no_change=np.inf, random_state=0).fit(X_train, y_train)
print(f"Adam + proximal step: {np.count_nonzero(sgd_lasso.coef_)} nonzero")

fig, ax = plt.subplots(figsize=(6, 3))
ax.stem(exact.coef_, markerfmt=" ", basefmt=" ", linefmt="C0-", label="L2, alpha 3")
ax.stem(lasso.coef_, markerfmt="C1o", basefmt="k-", linefmt="C1-", label="L1, alpha 0.01")
ax.set(xlabel="feature", ylabel="weight")
ax.legend()
plt.show()

# %%
free, decayed = fits[0.0], fits[3.0]
# the seed: ||w|| = 12.9 for lambda 0 (here 11.2; sqrt(180) = 13.4 expected)
assert 10 < np.linalg.norm(free.coef_) < 16
assert loss(free, X_train, y_train) < 1e-3 and loss(free, X_test, y_test) > 10
# the seed: ||w|| = 0.37 for lambda 3, test loss much lower
assert np.linalg.norm(decayed.coef_) < 1
assert loss(decayed, X_test, y_test) < loss(free, X_test, y_test) / 100
# the test error of the validation curve falls from alpha 0 to alpha 3
assert -curve.test_scores[alphas.index(3.0), 0] < -curve.test_scores[0, 0] / 100
# exact = Ridge(alpha * n), and the L1 fit has Lasso's exact zeros
np.testing.assert_allclose(exact.coef_, ridge.coef_, rtol=1e-3, atol=1e-6)
np.testing.assert_array_equal(lasso.coef_ == 0, sk_lasso.coef_ == 0)
assert np.count_nonzero(lasso.coef_) <= len(y_train)
assert np.count_nonzero(sgd_lasso.coef_) < 100  # most weights exactly zero
