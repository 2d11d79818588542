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
# # Parameter management (the seed's Day 14)
#
# Access parameters by name, initialise them with built-in and custom
# schemes, edit them directly, and tie a layer used twice, first on plain
# torch modules as the seed does, then on the trained `module_` of a
# `TorchRegressor`. The seed's check: after edits, the two uses of a shared
# layer still hold equal weights.

# %%
import os
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from torch import nn

from sklearn_dl import TorchRegressor
from sklearn_dl.modules import tied_mlp

QUICK = os.environ.get("SKLEARN_DL_QUICK") == "1"  # the test suite's short run
warnings.simplefilter("ignore", ConvergenceWarning)  # fixed epoch budgets on purpose
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
X = torch.rand(size=(2, 4))
print(net(X))

# %% [markdown]
# ## Access by name

# %%
print(net[2].state_dict())
print(type(net[2].bias), net[2].bias.data, net[2].weight.grad is None)
print(*[(name, tuple(p.shape)) for name, p in net.named_parameters()], sep="\n")
print(net.state_dict()["2.bias"].data)

# %% [markdown]
# Nested blocks get nested names:


# %%
def block1():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())


def block2():
    net = nn.Sequential()
    for i in range(4):
        net.add_module(f"block {i}", block1())
    return net


rgnet = nn.Sequential(block2(), nn.Linear(4, 1))
print(rgnet(X))
print(rgnet)
print(rgnet[0][1][0].bias.data)

# %% [markdown]
# ## Initialisation: the seed's schemes
#
# Functions applied to every submodule with `module.apply`. Estimators take
# the same functions as `init=`, or a name from `sklearn_dl.init.INIT_SCHEMES`
# (`'normal'` is `init_normal` with the seed's std 0.01), or a dict that gives
# each named submodule its own scheme.


# %%
def init_normal(m):
    if type(m) is nn.Linear:
        nn.init.normal_(m.weight, mean=0, std=0.01)
        nn.init.zeros_(m.bias)


def init_constant(m):
    if type(m) is nn.Linear:
        nn.init.constant_(m.weight, 1)
        nn.init.zeros_(m.bias)


def xavier(m):
    if type(m) is nn.Linear:
        nn.init.xavier_uniform_(m.weight)


def init_42(m):
    if type(m) is nn.Linear:
        nn.init.constant_(m.weight, 42)


def my_init(m):
    """Uniform(-10, 10), then every weight with |w| < 5 set to 0."""
    if type(m) is nn.Linear:
        nn.init.uniform_(m.weight, -10, 10)
        m.weight.data *= m.weight.data.abs() >= 5


net.apply(init_normal)
print(net[0].weight.data[0], net[0].bias.data[0])
net.apply(init_constant)
print(net[0].weight.data[0], net[0].bias.data[0])
net[0].apply(xavier)
net[2].apply(init_42)
print(net[0].weight.data[0], net[2].weight.data)
net.apply(my_init)
print(net[0].weight[:2])
assert bool(((net[0].weight == 0) | (net[0].weight.abs() >= 5)).all())

# %% [markdown]
# Direct edits:

# %%
net[0].weight.data[:] += 1
net[0].weight.data[0, 0] = 42
print(net[0].weight.data[0])

# %% [markdown]
# ## Tied parameters
#
# A layer used twice is one object: editing it through one use changes the
# other.

# %%
shared = nn.Linear(8, 8)
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(),
                    nn.Linear(8, 1))
net(X)
print(net[2].weight.data[0] == net[4].weight.data[0])
net[2].weight.data[0, 0] = 100
print(net[2].weight.data[0] == net[4].weight.data[0])
assert bool((net[2].weight.data[0] == net[4].weight.data[0]).all())

# %% [markdown]
# ## The same, on a trained estimator
#
# `TorchRegressor` trains `sklearn_dl.modules.tied_mlp`, the network above
# (its hidden width is the estimator parameter `module__hidden`). The trained
# module is `module_`: every torch tool above works on it, and the tied layer
# is still one object after training.

# %%
rng = np.random.RandomState(0)
X_train = rng.normal(size=(500, 4))
y_train = X_train @ [1.0, -2.0, 0.5, 0.0] + 0.1 * rng.normal(size=500)
epochs = 60 if QUICK else 200

reg = TorchRegressor(tied_mlp, module__hidden=8, init=init_normal, learning_rate_init=0.03,
                     max_iter=epochs, random_state=0).fit(X_train, y_train)
r2 = reg.score(X_train, y_train)
print(f"R^2 {r2:.3f}")
print(list(reg.module_.state_dict()))  # the shared layer appears under one name per use
print(reg.module_[2].weight is reg.module_[4].weight)

# %% [markdown]
# ### One scheme per layer, and freezing a layer
#
# A dict gives named submodules their own schemes: here `my_init` on layer
# `'0'` and `init_42` on layer `'2'`. Setting `requires_grad=False` on a
# layer freezes it: it gets no gradient, so training leaves it as initialised.
# The module is passed as an instance; it is copied at each `fit`, never modified.

# %%
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
net[0].requires_grad_(False)
frozen = TorchRegressor(net, init={"0": my_init, "2": init_42}, solver="sgd",
                        learning_rate_init=1e-4, max_iter=5, random_state=0)
frozen.fit(X_train, y_train)
w0, w2 = frozen.module_[0].weight, frozen.module_[2].weight
print("layer 0 (frozen):", w0[:2])
print("layer 2 (trained from 42):", w2[0, :4])
assert bool(((w0 == 0) | (w0.abs() >= 5)).all())  # still my_init's pattern
assert not torch.equal(w2, torch.full_like(w2, 42))  # moved off its initial 42

# %% [markdown]
# ### Warm start from given weights
#
# A module instance trains from its current weights (with `init='default'`),
# so a trained `module_` continues where it stopped.

# %%
fresh = TorchRegressor(tied_mlp, learning_rate_init=0.01, max_iter=1, random_state=0)
fresh.fit(X_train, y_train)
restart = TorchRegressor(reg.module_, learning_rate_init=0.001, max_iter=1, random_state=0)
restart.fit(X_train, y_train)
print(f"first-epoch loss from scratch {fresh.loss_curve_[0]:.3f}, "
      f"from the trained weights {restart.loss_curve_[0]:.3f}")

# %% [markdown]
# ### Saving and loading
#
# `sklearn_dl.save` writes the `state_dict` in safetensors and everything
# else (parameters, fitted state) as JSON, so `load` runs no code from the
# file and imports nothing it names. The tied layer comes back as one object.

# %%
import sklearn_dl

sklearn_dl.save(reg, "tied_mlp.safetensors")
# functions of our own (init_normal) are stored by name only: pass them back
loaded = sklearn_dl.load("tied_mlp.safetensors", init=init_normal)
print(type(loaded).__name__, list(loaded.module_.state_dict())[:4], "...")
assert np.array_equal(loaded.predict(X_train), reg.predict(X_train))
assert loaded.module_[2].weight is loaded.module_[4].weight
os.remove("tied_mlp.safetensors")

# %% [markdown]
# ### Direct edits on the trained module
#
# `module_` is the model `predict` uses: an edit through one use of the
# tied layer shows in the other and changes the predictions.

# %%
before = reg.predict(X_train[:3])
with torch.no_grad():
    reg.module_[2].weight[0, 0] = 100
print(reg.module_[2].weight.data[0] == reg.module_[4].weight.data[0])
print("predictions before", before.round(2), "after", reg.predict(X_train[:3]).round(2))

# %%
# the seed's check: the tied layer is one object, equal after edits and training
assert reg.module_[2].weight is reg.module_[4].weight
assert reg.module_[4].weight[0, 0] == 100
assert not np.allclose(before, reg.predict(X_train[:3]))
assert r2 > 0.9, r2  # a near-linear target; measured 0.966 in quick mode
assert restart.loss_curve_[0] < fresh.loss_curve_[0] / 2
