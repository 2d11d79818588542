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
# # Layers and blocks (the seed's Day 13)
#
# The seed builds networks out of blocks: `nn.Sequential`, a hand-written
# `MLP` module, a hand-written `MySequential`, `FixedHiddenMLP` (a constant
# random weight and Python control flow in `forward`), `NestMLP` (a block
# inside a block), and a chimera of all of them. It checks their output
# shapes on `X = torch.rand(2, 20)`: (2, 10), or a scalar for the blocks
# ending in `FixedHiddenMLP`.
#
# Here the same blocks are shown, then trained as scikit-learn estimators:
# `TorchClassifier` and `TorchRegressor` train any `torch.nn.Module`.

# %%
import os
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from torch import nn
from torch.nn import functional as F

from sklearn_dl import TorchClassifier, TorchRegressor
from sklearn_dl.modules import FixedHiddenMLP, MySequential, NestMLP, chimera

QUICK = os.environ.get("SKLEARN_DL_QUICK") == "1"  # the test suite's short run
warnings.simplefilter("ignore", ConvergenceWarning)  # fixed epoch budgets on purpose
torch.manual_seed(0)
X = torch.rand(2, 20)

# %% [markdown]
# ## The seed's blocks, as torch modules

# %%
net = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
print("nn.Sequential:", tuple(net(X).shape))


class MLP(nn.Module):
    """The seed's hand-written MLP: a hidden layer and an output layer."""

    def __init__(self, n_features=20, n_outputs=10, hidden=256):
        super().__init__()
        self.hidden = nn.Linear(n_features, hidden)
        self.out = nn.Linear(hidden, n_outputs)

    def forward(self, X):
        return self.out(F.relu(self.hidden(X)))


shapes = {
    "MLP": MLP()(X).shape,
    "MySequential": MySequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))(X).shape,
    "FixedHiddenMLP": FixedHiddenMLP()(X).shape,
    "NestMLP": NestMLP()(X).shape,
    "chimera": chimera()(X).shape,
}
for name, shape in shapes.items():
    print(f"{name:15s} {tuple(shape)}")

# %% [markdown]
# `FixedHiddenMLP` here returns one value per row, shape (2, 1), where the
# seed's summed the whole batch into one scalar: an estimator needs a
# prediction per sample that does not depend on the other rows of the batch.

# %%
assert net(X).shape == (2, 10)
assert shapes["MLP"] == shapes["MySequential"] == (2, 10)
assert shapes["NestMLP"] == (2, 16)
assert shapes["FixedHiddenMLP"] == shapes["chimera"] == (2, 1)

# %% [markdown]
# ## Training a block as a scikit-learn classifier
#
# A module *class* (or any function returning a module) is called at each
# `fit`; `n_features` and `n_outputs` are filled in from the data, and its
# other constructor arguments become estimator parameters named
# `module__<name>`, which `GridSearchCV` can tune. In a notebook the
# estimator displays as scikit-learn's HTML diagram.

# %%
X_digits, y_digits = load_digits(return_X_y=True)
X_digits = X_digits / 16.0  # pixels 0..16 to 0..1
X_train, X_test, y_train, y_test = train_test_split(
    X_digits, y_digits, test_size=0.25, stratify=y_digits, random_state=0)

EPOCHS = 15 if QUICK else 50
clf = TorchClassifier(NestMLP, module__hidden=64, learning_rate_init=0.01, max_iter=EPOCHS,
                      random_state=0)
clf.fit(X_train, y_train)
nest_acc = clf.score(X_test, y_test)
print(f"NestMLP on digits: held-out accuracy {nest_acc:.3f}")
clf

# %% [markdown]
# The hand-written `MLP` class, and a module *instance* (`MySequential`):
# an instance is copied at each `fit` and never modified; the trained copy
# is `module_`.

# %%
mlp_acc = TorchClassifier(MLP, module__hidden=128, learning_rate_init=0.01, max_iter=EPOCHS,
                          random_state=0).fit(X_train, y_train).score(X_test, y_test)
blocks = MySequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
seq = TorchClassifier(blocks, learning_rate_init=0.01, max_iter=EPOCHS, random_state=0).fit(X_train, y_train)
seq_acc = seq.score(X_test, y_test)
print(f"MLP {mlp_acc:.3f}, MySequential {seq_acc:.3f}")
# the user's instance kept its initial weights
assert not torch.equal(next(seq.module_.parameters()), next(blocks.parameters()))

# %% [markdown]
# A grid search over a constructor argument of the module:

# %%
search = GridSearchCV(
    TorchClassifier(NestMLP, learning_rate_init=0.01, max_iter=EPOCHS, random_state=0),
    {"module__hidden": [16, 64]}, cv=2 if QUICK else 5,
).fit(X_train, y_train)
print("best:", search.best_params_, f"cv accuracy {search.best_score_:.3f}")

# %% [markdown]
# ## The chimera as a regressor
#
# `chimera` ends in `FixedHiddenMLP`, one output per row: a regressor. Its
# fixed random weight is a buffer, saved and moved with the module but never
# trained.

# %%
rng = np.random.RandomState(0)
X_reg = rng.uniform(size=(400, 20))
y_reg = np.tanh(X_reg[:, :5].sum(1) - 2.5) / 2  # |y| <= 0.5: the block's output is <= 1
reg = TorchRegressor(chimera, learning_rate_init=1e-3, max_iter=20 if QUICK else 100,
                     random_state=0).fit(X_reg, y_reg)
fixed = reg.module_[2]
print(f"chimera R^2 on its training data: {reg.score(X_reg, y_reg):.3f}")
print("trainable parameters:", [n for n, p in reg.module_.named_parameters()][:4], "...")
print("buffers:", [n for n, _ in reg.module_.named_buffers()])

# %%
# issue 3's acceptance: NestMLP on digits >= 0.93 held-out accuracy (quick
# mode trains 15 epochs and measured 0.95 here; full mode 0.97)
assert nest_acc >= 0.93, nest_acc
assert min(mlp_acc, seq_acc) >= 0.93, (mlp_acc, seq_acc)
# the search picked the width with the best mean CV accuracy, refitted the model
# at that width, and the choice is a good model (quick mode, cv=2, measured 0.955 for
# width 64 and 0.812 for 16: a search that picked 16 would fail the bound of 0.9)
hidden = search.best_params_["module__hidden"]
cv_scores = dict(zip(search.cv_results_["param_module__hidden"],
                     search.cv_results_["mean_test_score"]))
assert cv_scores[hidden] == max(cv_scores.values()) == search.best_score_
assert search.best_estimator_.module_.net[0].out_features == hidden
assert search.best_score_ >= 0.9, search.best_score_
assert "2.rand_weight" in dict(reg.module_.named_buffers())
assert all(n != "2.rand_weight" for n, _ in reg.module_.named_parameters())
# better than predicting the mean (measured R^2 0.51 in quick mode)
assert reg.score(X_reg, y_reg) > 0.3
