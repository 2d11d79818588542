"""Convolutional networks for images, with scikit-learn parameters.

:class:`ConvNetClassifier` trains :class:`sklearn_dl.modules.ConvNet` (blocks
of convolution, batch normalisation, activation and pooling, then a dense
head) on the package's one training path. It takes images of shape
(n_samples, C, H, W) or (n_samples, H, W), or flat rows of C*H*W values (what a
Pipeline's scaler produces), and its architecture parameters are ordinary
estimator parameters that ``GridSearchCV`` tunes.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseTorchEstimator, TorchClassifierMixin
from ._nd_input import NDInputMixin
from .modules import ACTIVATIONS, ConvNet

__all__ = ["ConvNetClassifier"]

#: Predict runs the network on blocks of exactly this many images (the last
#: one zero-padded). Convolution kernels pick their algorithm by batch size,
#: so a sample's outputs would otherwise change in the last bits with the
#: rows predicted alongside it (scikit-learn's check_methods_subset_invariance).
_PREDICT_BLOCK = 64


class ConvNetClassifier(TorchClassifierMixin, NDInputMixin, BaseTorchEstimator):
    """Convolutional network classifier for images, trained by torch through skorch.

    The network (:class:`sklearn_dl.modules.ConvNet`) is one block per entry
    of ``channels``: a ``kernel_size`` convolution with 'same' padding,
    batch normalisation, the activation and 2x2 pooling; then a dense head
    (``hidden_layer_sizes``, ``dropout``) and one output per class (one
    logit for two classes). Trained with cross-entropy, by default with Adam
    under a one-cycle learning-rate schedule.

    The defaults were chosen on a validation split of Fashion-MNIST's
    training set (``benchmarks/cnn_fashion_mnist.py --select``; the test set
    was not used), by a rule fixed in that script: trained on 50,000 images
    for the default 10 epochs and scored on 5,000 others, (16, 32) channels
    at learning rate 0.003 (validation accuracy 0.929) tied with the best
    candidate, (32, 64) channels at 0.01 (0.931), in half the time.

    Parameters
    ----------
    channels : array-like of int, default=(16, 32)
        Output channels of each convolutional block.
    kernel_size : int, default=3
        Side of the square convolution kernels.
    pooling : {'max', 'avg'} or None, default='max'
        2x2 pooling at the end of each block (a side of 1 is not pooled).
    batch_norm : bool, default=True
        Batch normalisation after each convolution.
    activation : {'relu', 'identity', 'logistic', 'sigmoid', 'tanh', 'gelu'}, default='relu'
        Non-linearity of the blocks and of the head.
    hidden_layer_sizes : array-like of int, default=(128,)
        Hidden units of the dense head; ``()`` for none.
    dropout : float or array-like of float, default=0.0
        Dropout after each hidden layer of the head.
    image_shape : tuple of int or None, default=None
        Shape of one image, channels first: ``(C, H, W)`` or ``(H, W)``
        (one channel). None takes it from ``X``: its trailing shape when
        ``X`` is (n_samples, C, H, W) or (n_samples, H, W); for flat rows of
        ``n_features`` values, a square ``(1, s, s)`` image when
        ``n_features = s * s`` (784 -> 28 x 28), else a ``(1, 1, n_features)``
        strip. Give it for flat rows of non-square or colour images (for
        example ``(3, 32, 32)`` for 3072 values).
    solver : {'adam', 'sgd', 'lbfgs'}, torch.optim.Optimizer subclass or partial, default='adam'
    alpha : float, default=0.0
        L2 penalty on the weights, scikit-learn MLP's meaning
        (``0.5 * alpha * ||W||^2 / batch_size``). ``optimizer__weight_decay``
        is the decoupled alternative with ``solver=torch.optim.AdamW``.
    batch_size : int or 'auto', default='auto'
        Minibatch size; 'auto' is ``min(128, n_samples)``.
    learning_rate : {'constant', 'invscaling', 'adaptive', 'one_cycle', 'cosine'}, default='one_cycle'
        Step-size schedule; 'one_cycle' warms up to ``learning_rate_init``
        and anneals to ~0 over ``max_iter`` epochs.
    learning_rate_init : float, default=0.003
        Peak (one-cycle) or initial step size.
    max_iter : int, default=10
        Epochs.
    shuffle, random_state, tol, verbose, warm_start, momentum, nesterovs_momentum, \
early_stopping, validation_fraction, beta_1, beta_2, epsilon, n_iter_no_change, max_fun, \
power_t, device, init, callbacks
        As in :class:`~sklearn_dl.MLPClassifier`.
    **kwargs
        ``optimizer__<name>=value``: keyword arguments of the optimizer
        (e.g. ``optimizer__weight_decay=1e-4``); estimator parameters.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    image_shape_ : tuple of int
        ``(C, H, W)`` of the images the network takes.
    input_shape_ : tuple of int
        Shape of one sample of ``X`` as given to ``fit`` (``(n_features,)``
        for flat rows).
    n_features_in_ : int
        Values per sample, ``C * H * W``.
    module_ : sklearn_dl.modules.ConvNet
        The trained network.
    net_, history_, loss_, best_loss_, loss_curve_, n_iter_, t_, n_outputs_
        As in :class:`~sklearn_dl.TorchClassifier`.

    See Also
    --------
    sklearn_dl.modules.LeNet : d2l's LeNet, trained with ``TorchClassifier(LeNet)``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn_dl import ConvNetClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
    >>> clf = ConvNetClassifier(channels=(16,), hidden_layer_sizes=(), max_iter=5,
    ...                         random_state=0).fit(X_train, y_train)
    >>> clf.image_shape_
    (1, 8, 8)
    >>> clf.score(X_test, y_test) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        "channels": ["array-like"],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "pooling": [StrOptions({"max", "avg"}), None],
        "batch_norm": ["boolean"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "hidden_layer_sizes": ["array-like"],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "image_shape": ["array-like", None],
    }

    def __init__(
        self,
        channels=(16, 32),
        kernel_size=3,
        pooling="max",
        batch_norm=True,
        activation="relu",
        hidden_layer_sizes=(128,),
        dropout=0.0,
        image_shape=None,
        *,
        solver="adam",
        alpha=0.0,
        batch_size="auto",
        learning_rate="one_cycle",
        learning_rate_init=0.003,
        power_t=0.5,
        max_iter=10,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        device="auto",
        init="default",
        callbacks=None,
        **kwargs,
    ):
        self.channels = channels
        self.kernel_size = kernel_size
        self.pooling = pooling
        self.batch_norm = batch_norm
        self.activation = activation
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.image_shape = image_shape
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.device = device
        self.init = init
        self.callbacks = callbacks
        self._set_extra_params(kwargs)

    def _auto_batch_size(self, n_samples):
        return 128

    def _infer_image_shape(self):
        """``(C, H, W)`` from ``image_shape`` or from the samples' shape (see the docstring)."""
        shape = tuple(self.input_shape_)
        n_values = math.prod(shape)
        if self.image_shape is not None:
            image = tuple(int(d) for d in self.image_shape)
            if len(image) == 2:
                image = (1,) + image
            if len(image) != 3 or min(image) < 1 or math.prod(image) != n_values:
                raise ValueError(
                    f"image_shape={tuple(self.image_shape)} does not fit samples of shape "
                    f"{shape} ({n_values} values): give (channels, height, width) or "
                    f"(height, width) with {n_values} values in all, or image_shape=None "
                    "to take it from X.")
            return image
        if len(shape) == 3:
            return shape
        if len(shape) == 2:
            return (1,) + shape
        if len(shape) == 1:
            side = math.isqrt(n_values)
            return (1, side, side) if side * side == n_values else (1, 1, n_values)
        raise ValueError(
            f"{type(self).__name__} takes images: X of shape (n_samples, C, H, W), "
            f"(n_samples, H, W) or flat rows (n_samples, C*H*W); got samples of shape {shape}.")

    def _build_module(self, n_features, n_outputs):
        self.image_shape_ = self._infer_image_shape()
        net = ConvNet(
            n_outputs, input_shape=self.image_shape_, channels=self.channels,
            kernel_size=self.kernel_size, pooling=self.pooling, batch_norm=self.batch_norm,
            activation=self.activation, hidden_layer_sizes=self.hidden_layer_sizes,
            dropout=self.dropout)
        if self.solver != "lbfgs":  # L-BFGS flattens gradients with view(): contiguous only
            # channels-last weights: the layout oneDNN's CPU convolutions run
            # fastest on, 1.5x less time per batch (benchmarks/cnn_fashion_mnist.py)
            net = net.to(memory_format=torch.channels_last)
        return net

    def _forward(self, X):
        if sp.issparse(X):  # 2-D sparse rows: densified one block at a time
            n = X.shape[0]
            return torch.cat([self._forward(X[i:i + _PREDICT_BLOCK].toarray())
                              for i in range(0, n, _PREDICT_BLOCK)])[:n]
        n = len(X)
        pad = -n % _PREDICT_BLOCK
        if pad:
            X = np.concatenate([X, np.zeros((pad,) + X.shape[1:], dtype=X.dtype)])
        outs = [super(ConvNetClassifier, self)._forward(X[i:i + _PREDICT_BLOCK])
                for i in range(0, len(X), _PREDICT_BLOCK)]
        return torch.cat(outs)[:n]
