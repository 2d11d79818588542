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
# # Convolutions: LeNet and a small modern CNN (d2l chapters 7-8)
#
# The curriculum's next step after MLPs. d2l section 7.6 trains LeNet-5
# (two 5x5 convolutions with sigmoid and average pooling, then dense layers
# 120-84-10) on Fashion-MNIST with SGD at learning rate 0.9, batch 256, 10
# epochs, Xavier initialisation, and reports about 0.82 training and 0.78
# test accuracy. Sections 7.6 and 8.5 then modernise it: ReLU, max pooling
# and batch normalisation train several times faster.
#
# The same estimators take images: `TorchClassifier(LeNet)` gets `X` of shape
# (n, 1, 28, 28) and hands it to the module as it is, and
# `ConvNetClassifier` is a ready CNN with scikit-learn parameters.
# Quick mode trains on 6,000 images for 2 epochs.

# %%
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_dl import ConvNetClassifier, TorchClassifier
from sklearn_dl.datasets import load_fashion_mnist
from sklearn_dl.modules import LeNet
from sklearn_dl.plotting import plot_history, show_images

QUICK = os.environ.get("SKLEARN_DL_QUICK") == "1"  # the test suite's short run
warnings.simplefilter("ignore", ConvergenceWarning)  # fixed epoch budgets on purpose

train = load_fashion_mnist("train")
test = load_fashion_mnist("test")
n_train = 6_000 if QUICK else len(train.images)
n_test = 2_000 if QUICK else len(test.images)
# images of shape (n, 1, 28, 28): one channel, channels first as in torch
X_train, y_train = train.images[:n_train, None], train.target[:n_train]
X_test, y_test = test.images[:n_test, None], test.target[:n_test]
print("X_train:", X_train.shape, X_train.dtype)

# %% [markdown]
# ## d2l's LeNet
#
# `sklearn_dl.modules.LeNet` is d2l's network layer for layer. The shapes
# of one image on its way through:

# %%
import torch  # noqa: E402

x = torch.zeros(1, 1, 28, 28)
for name, layer in LeNet().named_children():
    x = layer(x)
    print(f"{name:8s} {tuple(x.shape)}")

# %% [markdown]
# Trained with d2l's settings. `init="xavier"` is d2l's `init_cnn`.

# %%
epochs = 2 if QUICK else 10
d2l_settings = dict(solver="sgd", momentum=0.0, learning_rate_init=0.9, batch_size=256,
                    max_iter=epochs, init="xavier", random_state=0)
lenet = TorchClassifier(LeNet, **d2l_settings).fit(X_train, y_train)
lenet_train, lenet_test = lenet.score(X_train, y_train), lenet.score(X_test, y_test)
print(f"LeNet (sigmoid, avg pool): loss {lenet.loss_:.3f}, train acc {lenet_train:.3f}, "
      f"test acc {lenet_test:.3f}")
print("input_shape_:", lenet.input_shape_, " n_features_in_:", lenet.n_features_in_)

# %% [markdown]
# The modern variant: ReLU, max pooling and batch normalisation, the same
# optimiser settings at d2l 8.5's learning rate 0.1.

# %%
modern = TorchClassifier(LeNet, module__activation="relu", module__pooling="max",
                         module__batch_norm=True, **{**d2l_settings, "learning_rate_init": 0.1})
modern.fit(X_train, y_train)
modern_test = modern.score(X_test, y_test)
print(f"LeNet (ReLU, max pool, batch norm): loss {modern.loss_:.3f}, test acc {modern_test:.3f}")

# %% [markdown]
# ## A small modern CNN, ready made
#
# `ConvNetClassifier` builds `sklearn_dl.modules.ConvNet` from its
# parameters: two blocks of 3x3 convolution, batch normalisation, ReLU and
# max pooling (16 and 32 channels), a dense layer of 128, Adam under a
# one-cycle schedule peaking at learning rate 0.003. It takes flat rows as well (784 values are read as a
# 28 x 28 image), so it fits in a Pipeline after a scaler, and
# `GridSearchCV` tunes `channels`, `kernel_size`, ... like any parameter.
# `benchmarks/cnn_fashion_mnist.py` chose its defaults on a validation split
# of the training set.

# %%
cnn = ConvNetClassifier(max_iter=2 if QUICK else 10, random_state=0)
cnn.fit(X_train, y_train)
pred = cnn.predict(X_test)
cnn_test = float((pred == y_test).mean())
print(cnn)
print(f"ConvNetClassifier: test acc {cnn_test:.3f}, image_shape_ {cnn.image_shape_}")

# %% [markdown]
# Its training history, and the test images it gets wrong (true over
# predicted class).

# %%
plot_history(cnn)
plt.show()

# %%
wrong = np.flatnonzero(pred != y_test)[:16]
show_images(X_test[wrong], y_test[wrong], pred[wrong], class_names=train.target_names)
plt.show()

# %%
# d2l 7.6 reports for LeNet after 10 epochs on all data: train acc 0.823,
# test acc 0.779 (the sigmoid network starts slowly: its first epoch can stay
# near chance). The modern LeNet's accuracy swings from epoch to epoch at
# learning rate 0.1 (batch-norm statistics of a fast-moving network):
# measured with random_state=0, epochs 6-10 ended at test accuracy 0.808,
# 0.865, 0.894 and 0.831 while the training loss fell steadily to 0.211, so
# one run is checked on its loss (below 0.25) and on a test accuracy above
# the lowest of those epochs (0.8). ConvNetClassifier measured 0.923; the
# median-over-seeds target of 0.915 is benchmarks/cnn_fashion_mnist.py's.
# Quick mode (6,000 images, 2 epochs) is far from the plateau: LeNet's
# sigmoid network may still be at chance, so it only checks that the loss
# fell and that the modern networks learned (chance is 0.1).
if QUICK:
    assert lenet.loss_curve_[-1] < lenet.loss_curve_[0], lenet.loss_curve_
    assert modern_test > 0.6 and cnn_test > 0.7, (modern_test, cnn_test)
else:
    assert lenet_test > 0.7, lenet_test
    assert modern.loss_ < 0.25 and modern_test > 0.8, (modern.loss_, modern_test)
    assert cnn_test > 0.9, cnn_test
