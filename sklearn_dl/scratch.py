"""From-scratch reference implementations, d2l chapter 3 style.

Plain tensors and autograd, short enough to read in one sitting. The
package's estimators do the same things through skorch; ``tests/test_scratch.py``
proves each function here equal to the torch or scikit-learn operation it
mirrors.

Examples
--------
Linear regression from scratch (the seed's Day 1):

>>> import torch
>>> from sklearn_dl import scratch
>>> g = torch.Generator().manual_seed(0)
>>> features, labels = scratch.synthetic_data(torch.tensor([2, -3.4]), 4.2, 1000, generator=g)
>>> w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True, generator=g)
>>> b = torch.zeros(1, requires_grad=True)
>>> for epoch in range(3):
...     for X, y in scratch.data_iter(10, features, labels, generator=g):
...         l = scratch.squared_loss(scratch.linreg(X, w, b), y)
...         l.sum().backward()
...         scratch.sgd([w, b], lr=0.03, batch_size=10)
>>> bool((w.detach().ravel() - torch.tensor([2, -3.4])).abs().max() < 0.01)
True
"""

from __future__ import annotations

import torch

from . import _rng

__all__ = [
    "synthetic_data",
    "data_iter",
    "linreg",
    "squared_loss",
    "sgd",
    "softmax",
    "cross_entropy",
    "accuracy",
    "dropout_layer",
    "l2_penalty",
    "l1_penalty",
]


def synthetic_data(w, b, num_examples, noise=0.01, generator=None):
    """Generate ``y = Xw + b + noise`` with ``X ~ N(0, 1)`` (d2l's ``synthetic_data``).

    Parameters
    ----------
    w : tensor of shape (n_features,)
        True weights.
    b : float
        True bias.
    num_examples : int
        Number of rows.
    noise : float, default=0.01
        Standard deviation of the Gaussian noise.
    generator : torch.Generator, optional
        Source of randomness (the global generator when None).

    Returns
    -------
    X : tensor of shape (num_examples, n_features)
    y : tensor of shape (num_examples, 1)
    """
    w = torch.as_tensor(w, dtype=torch.float32)
    X = torch.normal(0.0, 1.0, (num_examples, len(w)), generator=generator)
    y = X @ w + b
    y += torch.normal(0.0, noise, y.shape, generator=generator)
    return X, y.reshape(-1, 1)


def data_iter(batch_size, features, labels, generator=None):
    """Yield shuffled minibatches ``(X, y)`` of ``batch_size`` rows (the last may be smaller)."""
    n = len(features)
    indices = torch.randperm(n, generator=generator)
    for i in range(0, n, batch_size):
        batch = indices[i:i + batch_size]
        yield features[batch], labels[batch]


def linreg(X, w, b):
    """The linear regression model ``Xw + b``."""
    return X @ w + b


def squared_loss(y_hat, y):
    """Per-example squared loss ``(y_hat - y)^2 / 2`` (not averaged)."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    """Minibatch SGD step on summed-loss gradients: ``p -= lr * p.grad / batch_size``.

    Gradients are zeroed afterwards, as in d2l.
    """
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def softmax(X):
    """Row-wise softmax, stable for large logits (the row maximum is subtracted first)."""
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return X_exp / X_exp.sum(dim=1, keepdim=True)


def cross_entropy(y_hat, y):
    """Per-example cross-entropy ``-log y_hat[i, y[i]]`` of probabilities ``y_hat``."""
    return -torch.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):
    """Number of correct predictions; ``y_hat`` holds scores (one column per class) or labels."""
    if y_hat.ndim > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(dim=1)
    return float((y_hat.type(y.dtype) == y).sum())


def dropout_layer(X, dropout, generator=None):
    """Zero each element with probability ``dropout`` and scale the rest by ``1/(1-dropout)``.

    The expectation of the output equals ``X`` (inverted dropout, as ``nn.Dropout``).
    The mask is drawn on ``generator``'s device when one is given (so a CPU
    generator gives the same mask for CPU and GPU input), else on ``X``'s.
    Without ``generator``, inside a package estimator's ``fit`` (a module's
    ``forward`` calling it while training) the mask comes from that fit's own
    dropout generator, seeded by ``random_state``: such fits repeat bit for
    bit, in threads too. Elsewhere it comes from torch's global generator.
    """
    if not 0 <= dropout <= 1:
        raise ValueError(f"dropout must be in [0, 1]; got {dropout}.")
    if dropout == 1:
        return torch.zeros_like(X)
    if dropout == 0:
        return X
    if generator is None:
        fit = _rng.current()
        generator = fit.dropout if fit is not None else None
    device = generator.device if generator is not None else X.device
    mask = (torch.rand(X.shape, generator=generator, device=device) > dropout).float()
    mask = mask.to(X.device)
    return mask * X / (1.0 - dropout)


def l2_penalty(w):
    """``||w||^2 / 2``: the weight-decay term of the seed's Day 10."""
    return torch.sum(w.pow(2)) / 2


def l1_penalty(w):
    """``||w||_1``: the lasso term of the seed's Day 10 note."""
    return torch.sum(torch.abs(w))
