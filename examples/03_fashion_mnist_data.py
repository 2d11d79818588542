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
# # Fashion-MNIST: loading and looking at the data (the seed's Day 3)
#
# The seed downloads Fashion-MNIST with `torchvision`, wraps it in a
# `DataLoader` and looks at a few training images with their labels: the
# first one is an ankle boot. Here `load_fashion_mnist` returns the same
# data as numpy arrays, ready for any scikit-learn estimator:
#
# * 60,000 training and 10,000 test images, 28x28 grey, 10 balanced classes;
# * `data` (n, 784) float32 pixels scaled to [0, 1], and `images`
#   (n, 28, 28), a view of the same memory;
# * files come from `data_home`, `$SKLEARN_DL_DATA`, Debian's
#   `/usr/share/datasets/fashion-mnist` (`apt-get install
#   dataset-fashion-mnist`), the per-user cache, or a download, and are
#   checked against the published sha256 at every read.

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np

from sklearn_dl.datasets import get_cache_dir, load_fashion_mnist
from sklearn_dl.plotting import show_images

QUICK = os.environ.get("SKLEARN_DL_QUICK") == "1"  # the test suite's short run

# %% [markdown]
# ## Load
#
# The first load decodes the gzip-compressed IDX files and writes the
# 70,000 decoded images to the cache; every later load memory-maps that
# file and takes milliseconds.

# %%
start = time.perf_counter()
train = load_fashion_mnist("train")
test = load_fashion_mnist("test")
print(f"loaded in {time.perf_counter() - start:.3f} s (cache: {get_cache_dir()})")
print("train:", train.data.shape, train.data.dtype, "images:", train.images.shape)
print("test: ", test.data.shape)
print("pixel range:", float(train.data.min()), "to", float(train.data.max()))

assert train.data.shape == (60000, 784) and test.data.shape == (10000, 784)
assert np.shares_memory(train.images, train.data)

# %% [markdown]
# ## The ten classes, and the seed's first training image

# %%
for label, name in enumerate(train.target_names):
    print(f"{label}  {name:12s} train {np.sum(train.target == label):5d}  "
          f"test {np.sum(test.target == label):4d}")

first = train.target_names[train.target[0]]
print("first training image:", first)
assert first == "Ankle boot"  # the seed's Day 3 result
assert np.bincount(train.target).tolist() == [6000] * 10

# %% [markdown]
# ## A grid of training images with their labels
#
# d2l's `show_images(X, 2, 9, titles=get_fashion_mnist_labels(y))`.

# %%
n_show = 9 if QUICK else 18
fig = show_images(train.images[:n_show], train.target[:n_show],
                  class_names=train.target_names, ncols=9)
assert len(fig.axes) == n_show and fig.axes[0].get_title() == "Ankle boot"
plt.show()

# %% [markdown]
# ## The average image of each class
#
# Each class has a recognisable mean silhouette: even a linear model (the
# next example) separates most of them. Shirts, T-shirts, pullovers and
# coats look alike, and are where the models make their mistakes.

# %%
rows = slice(0, 6000) if QUICK else slice(None)
means = np.stack([train.images[rows][train.target[rows] == k].mean(0) for k in range(10)])
fig = show_images(means, labels=np.arange(10), class_names=train.target_names, ncols=10)
plt.show()
