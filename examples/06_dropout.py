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
# # Dropout (the seed's Days 7-8)
#
# d2l chapter 4.6: an MLP 784-256-256-10 with ReLU, dropout 0.2 after the
# first hidden layer and 0.5 after the second, weights `N(0, 0.01)`, SGD
# with learning rate 0.5, batch 256, 10 epochs. The seed writes dropout by
# hand (`dropout_layer`) and with `nn.Dropout`; its runs reach about
# 0.85-0.87 test accuracy. It also notes that (0.7, 0.5) underfits and
# (0.1, 0.2) regularises little.
#
# Here the hand-written version is a small torch module trained by
# `TorchClassifier`, and the concise one is `MLPClassifier(dropout=(0.2, 0.5))`.
# Quick mode trains on 30,000 images for 2 epochs.

# %%
import os
import warnings

import matplotlib.pyplot as plt
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback
from torch import nn

from sklearn_dl import MLPClassifier, TorchClassifier, scratch
from sklearn_dl.datasets import load_fashion_mnist

QUICK = os.environ.get("SKLEARN_DL_QUICK") == "1"  # the test suite's short run
warnings.simplefilter("ignore", ConvergenceWarning)  # fixed epoch budgets on purpose

# %% [markdown]
# ## Dropout by hand
#
# Each element is zeroed with probability `p` and the survivors are scaled
# by `1 / (1 - p)`, so the expected value is unchanged.

# %%
X = torch.arange(16, dtype=torch.float32).reshape((2, 8))
g = torch.Generator().manual_seed(0)
for p in (0.0, 0.5, 1.0):
    print(f"p = {p}:\n{scratch.dropout_layer(X, p, generator=g)}")
big = torch.ones(1000, 1000)
print("mean after dropout 0.5:", float(scratch.dropout_layer(big, 0.5, generator=g).mean()))

# %% [markdown]
# ## The seed's network, written by hand
#
# Dropout only while training: `self.training` is True inside `fit` and
# False when the estimator predicts (it calls `module.eval()`).


# %%
class DropoutNet(nn.Module):
    def __init__(self, n_features=784, n_outputs=10, hidden1=256, hidden2=256,
                 dropout1=0.2, dropout2=0.5):
        super().__init__()
        self.dropout1, self.dropout2 = dropout1, dropout2
        self.lin1 = nn.Linear(n_features, hidden1)
        self.lin2 = nn.Linear(hidden1, hidden2)
        self.lin3 = nn.Linear(hidden2, n_outputs)

    def forward(self, X):
        H1 = torch.relu(self.lin1(X))
        if self.training:
            H1 = scratch.dropout_layer(H1, self.dropout1)
        H2 = torch.relu(self.lin2(H1))
        if self.training:
            H2 = scratch.dropout_layer(H2, self.dropout2)
        return self.lin3(H2)


train = load_fashion_mnist("train")
test = load_fashion_mnist("test")
n_train = 30_000 if QUICK else len(train.data)
X_train, y_train = train.data[:n_train], train.target[:n_train]
X_test, y_test = test.data, test.target
epochs = 2 if QUICK else 10
seed_sgd = dict(solver="sgd", momentum=0.0, learning_rate_init=0.5, batch_size=256,
                max_iter=epochs, init="normal", random_state=0)

by_hand = TorchClassifier(DropoutNet, **seed_sgd).fit(X_train, y_train)
hand_acc = by_hand.score(X_test, y_test)
print(f"hand-written dropout: test accuracy {hand_acc:.3f}")

# %% [markdown]
# ## Concisely: `MLPClassifier(dropout=...)`
#
# `dropout` takes one probability per hidden layer. The same setting, and
# the seed's two other pairs.

# %%
settings = {"(0.2, 0.5)": (0.2, 0.5), "(0.7, 0.5)": (0.7, 0.5), "(0.1, 0.2)": (0.1, 0.2),
            "none": 0.0}
results = {}
for label, dropout in settings.items():
    if QUICK and label != "(0.2, 0.5)":
        continue  # the comparison needs the full run to mean anything
    clf = MLPClassifier(hidden_layer_sizes=(256, 256), dropout=dropout, alpha=0.0, **seed_sgd)
    clf.fit(X_train, y_train)
    results[label] = (clf.score(X_train, y_train), clf.score(X_test, y_test),
                      clf.loss_curve_[-1])
    print(f"dropout {label:10s} train acc {results[label][0]:.3f}  "
          f"test acc {results[label][1]:.3f}  last epoch's training loss {results[label][2]:.3f}")

# %%
fig, ax = plt.subplots(figsize=(5, 3))
labels = list(results)
ax.bar([i - 0.2 for i in range(len(labels))], [results[k][0] for k in labels], 0.4,
       label="train")
ax.bar([i + 0.2 for i in range(len(labels))], [results[k][1] for k in labels], 0.4,
       label="test")
ax.set_xticks(range(len(labels)), labels)
ax.set(ylim=(0.5, 1.0), ylabel="accuracy", xlabel="dropout")
ax.legend()
plt.show()

# %% [markdown]
# Dropout is active only in training: two predictions of the same data agree.

# %%
clf = MLPClassifier(hidden_layer_sizes=(256, 256), dropout=(0.2, 0.5), alpha=0.0,
                    **{**seed_sgd, "max_iter": 1}).fit(X_train[:2000], y_train[:2000])
same = (clf.predict_proba(X_test[:500]) == clf.predict_proba(X_test[:500])).all()
print("predictions deterministic:", same)

# %% [markdown]
# ## How much is one run's final accuracy worth?
#
# d2l's `train_ch3` plots the test accuracy after every epoch. A small skorch
# callback does the same here, for three seeds. At learning rate 0.5 without
# momentum the curve jumps by several points from one epoch to the next, so
# "the accuracy after epoch 10" is one draw from a spread about 0.01 wide.
# `benchmarks/fashion_mnist_mlp.py` runs the estimator and d2l's own loop over
# 32 seeds and compares their medians. The test suite checks that, from the
# same weights and random state, the estimator takes exactly d2l's steps.

# %%
class EpochTestAccuracy(Callback):
    """Records the test accuracy after each epoch in the history, dropout off."""

    def __init__(self, X, y):
        self.X, self.y = torch.as_tensor(X), torch.as_tensor(y)

    def on_epoch_end(self, net, **kwargs):
        net.module_.eval()
        with torch.no_grad():
            pred = net.module_(self.X).argmax(1)
        net.module_.train()
        net.history.record("test_acc", float((pred == self.y).float().mean()))


curves = {}
for seed in (0,) if QUICK else (0, 1, 2):
    clf = MLPClassifier(hidden_layer_sizes=(256, 256), dropout=(0.2, 0.5), alpha=0.0,
                        **{**seed_sgd, "random_state": seed},
                        callbacks=[("test_acc", EpochTestAccuracy(X_test, y_test))])
    clf.fit(X_train, y_train)
    curves[seed] = clf.history_[:, "test_acc"]
    print(f"random_state={seed}: test accuracy per epoch",
          " ".join(f"{a:.3f}" for a in curves[seed]))

fig, ax = plt.subplots(figsize=(5, 3))
for seed, accs in curves.items():
    ax.plot(range(1, len(accs) + 1), accs, marker="o", ms=3, label=f"random_state={seed}")
ax.axhline(0.85, color="gray", ls=":", lw=1, label="0.85")
ax.set(xlabel="epoch", ylabel="test accuracy", title="SGD lr 0.5: epoch-to-epoch noise")
ax.legend(fontsize=8)
plt.show()

# %%
# The seed reports 0.85-0.87 test accuracy after 10 epochs on all the data.
# Measured here at epoch 10 (random_state=0, one torch thread): 0.843 (by
# hand) and 0.831 (MLPClassifier); (0.7, 0.5) 0.828, (0.1, 0.2) 0.836, no
# dropout 0.801. One run is one draw: over random_state 0-31 (two threads,
# benchmarks/RESULTS_fashion_mnist_mlp.md) MLPClassifier's final accuracy has
# median 0.854 and ranges 0.825-0.868; d2l's own loop median 0.855, range
# 0.828-0.867. The bound for this single run is therefore 0.82, the low end
# of both ranges.
# Quick mode (half the data, 2 epochs) is still leaving the plateau of the
# tiny N(0, 0.01) initialisation: measured 0.57-0.78 over seeds, so it only
# checks that training got well above chance (0.1).
target = 0.5 if QUICK else 0.82
assert hand_acc > target and results["(0.2, 0.5)"][1] > target, (hand_acc, results)
assert same
if not QUICK:
    # (0.7, 0.5) drops most of the first layer: its training loss (with
    # dropout on) stays highest, (0.1, 0.2)'s lowest. Final accuracies differ
    # by less than lr 0.5's epoch-to-epoch noise: with two torch threads
    # (0.7, 0.5) even ended on the higher training accuracy (0.851 vs 0.845).
    loss = {k: v[2] for k, v in results.items()}
    assert loss["(0.7, 0.5)"] > loss["(0.2, 0.5)"] > loss["(0.1, 0.2)"], loss
