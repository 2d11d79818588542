"""Torch building blocks: the MLP behind the MLP estimators and the seed's blocks.

:class:`MLP` is the module that :class:`~sklearn_dl.MLPClassifier` and
:class:`~sklearn_dl.MLPRegressor` train, and the default module of
:class:`~sklearn_dl.TorchClassifier` / :class:`~sklearn_dl.TorchRegressor`.

The other blocks replay the seed's Day 13 (layers and blocks) and Day 14
(parameter management) through those estimators. They take ``n_features``
and ``n_outputs`` keyword arguments, which the estimators fill in from the
data, with defaults that reproduce the seed's shapes (20 inputs):

- :class:`MySequential`: a hand-written ``nn.Sequential``.
- :class:`FixedHiddenMLP`: a constant (untrained) random weight, a layer used
  twice and Python control flow in ``forward``.
- :class:`NestMLP`: a block nested in a block.
- :func:`chimera`: ``nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP())``.
- :func:`tied_mlp`: one ``nn.Linear`` used twice, its weights one object.

Convolutional networks (d2l chapters 7-8), for :class:`~sklearn_dl.ConvNetClassifier`
and :class:`~sklearn_dl.TorchClassifier`:

- :class:`ToImage`: flat rows (what pipelines produce) to images of a given shape.
- :class:`LeNet`: d2l's LeNet-5 (sigmoid, average pooling), and its modern
  variant (ReLU, max pooling, batch normalisation).
- :class:`ConvNet`: convolutional blocks and a dense head, configured by parameters.
"""

from __future__ import annotations

from collections import OrderedDict
from numbers import Integral, Real

import math

import torch
from torch import nn

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "MySequential",
    "FixedHiddenMLP",
    "NestMLP",
    "chimera",
    "tied_mlp",
    "POOLING",
    "ToImage",
    "LeNet",
    "ConvNet",
]

#: Activation name -> ``nn.Module`` class. scikit-learn's names, plus
#: 'sigmoid' (an alias of 'logistic') and 'gelu'.
ACTIVATIONS = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "gelu": nn.GELU,
}


def _hidden_sizes(hidden_layer_sizes):
    """scikit-learn's rule: an int is one hidden layer; each size must be >= 1."""
    if isinstance(hidden_layer_sizes, Integral):
        sizes = [hidden_layer_sizes]
    else:
        sizes = list(hidden_layer_sizes)
    for s in sizes:
        if not isinstance(s, Integral) or isinstance(s, bool) or s < 1:
            raise ValueError(
                f"hidden_layer_sizes must contain positive integers; got {hidden_layer_sizes!r}. "
                "Use for example (100,) for one hidden layer of 100 units.")
    return [int(s) for s in sizes]


def _dropout_rates(dropout, n_hidden):
    """One dropout probability per hidden layer, from a float or a sequence."""
    if isinstance(dropout, Real) and not isinstance(dropout, bool):
        rates = [float(dropout)] * n_hidden
    else:
        rates = [float(p) for p in dropout]
        if len(rates) != n_hidden:
            raise ValueError(
                f"dropout has {len(rates)} values but the network has {n_hidden} hidden "
                "layers: give one probability per hidden layer, or a single float for all.")
    for p in rates:
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probabilities must be in [0, 1); got {dropout!r}.")
    return rates


class MLP(nn.Sequential):
    """Fully connected network: ``Linear -> activation -> Dropout`` per hidden layer.

    Layers are named ``linear1, act1, dropout1, ..., output`` so parameters
    are reachable by name (``mlp.linear1.weight``, ``state_dict()['output.bias']``).
    A dropout layer is only added where its probability is positive; it is
    active in training mode only (``module.eval()`` turns it off).

    Parameters
    ----------
    n_features : int
        Input features.
    n_outputs : int
        Output units (raw scores: logits for classification).
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Units per hidden layer; ``()`` gives a linear model.
    activation : {'relu', 'identity', 'logistic', 'sigmoid', 'tanh', 'gelu'}, default='relu'
        Non-linearity after each hidden layer ('sigmoid' is 'logistic').
    dropout : float or sequence of float, default=0.0
        Dropout probability after each hidden layer: one value for all, or
        one per hidden layer (the seed's ``(0.2, 0.5)``).

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.modules import MLP
    >>> net = MLP(784, 10, hidden_layer_sizes=(256, 256), dropout=(0.2, 0.5))
    >>> [name for name, _ in net.named_children()]
    ['linear1', 'act1', 'dropout1', 'linear2', 'act2', 'dropout2', 'output']
    >>> net(torch.zeros(2, 784)).shape
    torch.Size([2, 10])
    """

    def __init__(self, n_features, n_outputs, hidden_layer_sizes=(100,), activation="relu",
                 dropout=0.0):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation={activation!r} is unknown; use one of "
                             f"{sorted(ACTIVATIONS)}.")
        sizes = _hidden_sizes(hidden_layer_sizes)
        rates = _dropout_rates(dropout, len(sizes))
        layers = OrderedDict()
        fan_in = int(n_features)
        for i, (units, p) in enumerate(zip(sizes, rates), start=1):
            layers[f"linear{i}"] = nn.Linear(fan_in, units)
            layers[f"act{i}"] = ACTIVATIONS[activation]()
            if p > 0:
                layers[f"dropout{i}"] = nn.Dropout(p)
            fan_in = units
        layers["output"] = nn.Linear(fan_in, int(n_outputs))
        super().__init__(layers)

    @property
    def linears(self):
        """The ``nn.Linear`` layers, input to output."""
        return [m for m in self if isinstance(m, nn.Linear)]


# --------------------------------------------------------------------------
# The seed's Day 13 blocks
# --------------------------------------------------------------------------
class MySequential(nn.Module):
    """The seed's hand-written ``nn.Sequential``: runs its blocks in order.

    Blocks are registered in ``_modules`` under their position, so
    ``parameters()``, ``state_dict()``, ``.to(device)`` and ``clone`` see them.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklearn_dl.modules import MySequential
    >>> net = MySequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
    >>> net(torch.rand(2, 20)).shape
    torch.Size([2, 10])
    """

    def __init__(self, *blocks):
        super().__init__()
        for idx, block in enumerate(blocks):
            self.add_module(str(idx), block)

    def forward(self, X):
        for block in self._modules.values():
            X = block(X)
        return X


class FixedHiddenMLP(nn.Module):
    """The seed's block with a constant weight, a reused layer and control flow.

    ``relu(linear(X) @ W + 1)`` with a fixed random ``W`` (a buffer: saved
    and moved with the module, never trained), then the *same* ``linear``
    again, then each row is halved until its absolute sum is at most 1, and
    summed. The seed halves and sums the whole batch into one scalar; here
    it is done per row, so the output is one value per sample, shape
    (n_samples, 1), and a prediction does not depend on the other rows of
    its batch.

    Parameters
    ----------
    n_features : int, default=20
        Input width (the seed's 20); also the width of the hidden layer.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.modules import FixedHiddenMLP
    >>> out = FixedHiddenMLP()(torch.rand(2, 20))
    >>> out.shape, bool((out.abs() <= 1).all())
    (torch.Size([2, 1]), True)
    """

    def __init__(self, n_features=20):
        super().__init__()
        self.register_buffer("rand_weight", torch.rand(n_features, n_features))
        self.linear = nn.Linear(n_features, n_features)

    def forward(self, X):
        X = self.linear(X)
        X = torch.relu(X @ self.rand_weight + 1)
        X = self.linear(X)  # the same layer again: its parameters are shared
        while True:
            norm = X.abs().sum(1, keepdim=True)
            too_big = (norm > 1) & torch.isfinite(norm)  # inf / 2 would loop forever
            if not too_big.any():
                break
            X = torch.where(too_big, X / 2, X)
        return X.sum(1, keepdim=True)


class NestMLP(nn.Module):
    """The seed's nested block: an ``nn.Sequential`` inside a module.

    ``Linear(n_features, hidden) -> ReLU -> Linear(hidden, hidden // 2) -> ReLU``
    then ``Linear(hidden // 2, n_outputs)``. The defaults are the seed's
    20 -> 64 -> 32 -> 16.

    Parameters
    ----------
    n_features : int, default=20
    n_outputs : int, default=16
    hidden : int, default=64
        Width of the first hidden layer; the second has ``hidden // 2`` units.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.modules import NestMLP
    >>> NestMLP()(torch.rand(2, 20)).shape
    torch.Size([2, 16])
    """

    def __init__(self, n_features=20, n_outputs=16, hidden=64):
        super().__init__()
        if hidden < 2:
            raise ValueError(f"hidden must be at least 2 (the second layer has hidden // 2 "
                             f"units); got {hidden}.")
        self.net = nn.Sequential(nn.Linear(n_features, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden // 2), nn.ReLU())
        self.linear = nn.Linear(hidden // 2, n_outputs)

    def forward(self, X):
        return self.linear(self.net(X))


def chimera(n_features=20):
    """The seed's chimera: ``nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP())``.

    One output per sample (see :class:`FixedHiddenMLP`), so it fits a
    single-target :class:`~sklearn_dl.TorchRegressor`.

    Parameters
    ----------
    n_features : int, default=20

    Returns
    -------
    torch.nn.Sequential

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.modules import chimera
    >>> chimera()(torch.rand(2, 20)).shape
    torch.Size([2, 1])
    """
    return nn.Sequential(NestMLP(n_features), nn.Linear(16, 20), FixedHiddenMLP(20))


def tied_mlp(n_features=4, n_outputs=1, hidden=8):
    """The seed's Day 14 network with one layer used twice (tied weights).

    ``Linear(n_features, hidden) -> ReLU -> shared -> ReLU -> shared -> ReLU ->
    Linear(hidden, n_outputs)`` where both ``shared`` are the same
    ``nn.Linear(hidden, hidden)``: modules ``[2]`` and ``[4]`` are one object,
    their gradients add up, and they stay one object through training and
    :func:`sklearn.base.clone` (``copy.deepcopy`` keeps the sharing).

    Parameters
    ----------
    n_features : int, default=4
    n_outputs : int, default=1
    hidden : int, default=8

    Returns
    -------
    torch.nn.Sequential

    Examples
    --------
    >>> from sklearn_dl.modules import tied_mlp
    >>> net = tied_mlp()
    >>> net[2].weight is net[4].weight
    True
    """
    shared = nn.Linear(hidden, hidden)
    return nn.Sequential(nn.Linear(n_features, hidden), nn.ReLU(), shared, nn.ReLU(),
                         shared, nn.ReLU(), nn.Linear(hidden, n_outputs))


# --------------------------------------------------------------------------
# Convolutional networks (d2l chapters 7-8)
# --------------------------------------------------------------------------
#: Pooling name -> ``nn.Module`` class (None: no pooling).
POOLING = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d, None: None}
#: Activations that give the same values and gradients before or after max
#: pooling (non-decreasing, and exact in floating point): ConvNet pools first.
_COMMUTE_WITH_MAX = ("relu", "identity")


def _image_shape(input_shape):
    """``(channels, height, width)`` from a sample shape of 1 to 3 dimensions.

    ``(H, W)`` is one channel; ``(n,)`` is a 1 x n image of one channel.
    """
    shape = tuple(int(d) for d in input_shape)
    if not 1 <= len(shape) <= 3 or min(shape) < 1:
        raise ValueError(
            f"input_shape={input_shape!r} is not an image shape: give (channels, height, "
            "width), (height, width) or (width,), channels first as in torch.")
    return (1,) * (3 - len(shape)) + shape


class ToImage(nn.Module):
    """Samples to images of ``shape``: flat rows are reshaped, images pass through.

    Lets a convolutional network take ``X`` of shape (n_samples, C*H*W), what
    a Pipeline's scaler produces, as well as (n_samples, C, H, W) or
    (n_samples, H, W). It only reshapes (no copy for contiguous input); a
    sample of any other size is an error.

    Parameters
    ----------
    shape : tuple of int
        ``(channels, height, width)``, channels first.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.modules import ToImage
    >>> ToImage((1, 28, 28))(torch.zeros(5, 784)).shape
    torch.Size([5, 1, 28, 28])
    """

    def __init__(self, shape):
        super().__init__()
        self.shape = _image_shape(shape)

    def forward(self, X):
        if tuple(X.shape[1:]) == self.shape:
            return X
        if math.prod(X.shape[1:]) != math.prod(self.shape):
            raise ValueError(
                f"Samples of shape {tuple(X.shape[1:])} ({math.prod(X.shape[1:])} values) "
                f"cannot be images of shape {self.shape} ({math.prod(self.shape)} values).")
        return X.reshape((X.shape[0],) + self.shape)

    def extra_repr(self):
        return f"shape={self.shape}"


def _pool(pooling, height, width):
    """A 2x2 pooling that halves each side longer than 1 (none when both are 1)."""
    kernel = (2 if height >= 2 else 1, 2 if width >= 2 else 1)
    if POOLING[pooling] is None or kernel == (1, 1):
        return None, height, width
    return POOLING[pooling](kernel), height // kernel[0], width // kernel[1]


class LeNet(nn.Sequential):
    """LeNet-5 as in d2l section 7.6, and its modern variant.

    ``conv1`` (6 channels, 5x5, padding 2) -> activation -> 2x2 pooling ->
    ``conv2`` (16 channels, 5x5) -> activation -> 2x2 pooling -> flatten ->
    ``linear1`` (120) -> activation -> ``linear2`` (84) -> activation ->
    ``output``. The defaults are d2l's: sigmoid and average pooling. The
    modern variant ``LeNet(activation='relu', pooling='max', batch_norm=True)``
    adds batch normalisation after each convolution and hidden linear layer
    (d2l section 8.5) and trains several times faster.

    Parameters
    ----------
    n_outputs : int, default=10
        Output units (class scores).
    input_shape : tuple of int, default=(1, 28, 28)
        Shape of one image, channels first; flat rows of that many values
        are reshaped to it. At least 10 x 10 (d2l's LeNet takes 28 x 28).
    activation : str, default='sigmoid'
        A name from :data:`ACTIVATIONS`.
    pooling : {'avg', 'max'}, default='avg'
    batch_norm : bool, default=False
        Batch normalisation before each activation.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.modules import LeNet
    >>> net = LeNet()
    >>> net(torch.zeros(2, 1, 28, 28)).shape, net(torch.zeros(2, 784)).shape
    (torch.Size([2, 10]), torch.Size([2, 10]))
    >>> net.linear1
    Linear(in_features=400, out_features=120, bias=True)
    """

    def __init__(self, n_outputs=10, input_shape=(1, 28, 28), activation="sigmoid",
                 pooling="avg", batch_norm=False):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation={activation!r} is unknown; use one of "
                             f"{sorted(ACTIVATIONS)}.")
        if pooling not in ("avg", "max"):
            raise ValueError(f"pooling={pooling!r} is unknown; use 'avg' (d2l's) or 'max'.")
        c, h, w = _image_shape(input_shape)
        if min(h, w) < 10:
            raise ValueError(f"LeNet needs images of at least 10 x 10; got {h} x {w}. Use "
                             "ConvNet for small images.")
        act, pool = ACTIVATIONS[activation], POOLING[pooling]
        h2, w2 = (h // 2 - 4) // 2, (w // 2 - 4) // 2  # after conv2 (5x5) and both poolings
        layers = OrderedDict(image=ToImage((c, h, w)))
        layers["conv1"] = nn.Conv2d(c, 6, kernel_size=5, padding=2)
        if batch_norm:
            layers["bn1"] = nn.BatchNorm2d(6)
        layers["act1"], layers["pool1"] = act(), pool(kernel_size=2, stride=2)
        layers["conv2"] = nn.Conv2d(6, 16, kernel_size=5)
        if batch_norm:
            layers["bn2"] = nn.BatchNorm2d(16)
        layers["act2"], layers["pool2"] = act(), pool(kernel_size=2, stride=2)
        layers["flatten"] = nn.Flatten()
        layers["linear1"] = nn.Linear(16 * h2 * w2, 120)
        if batch_norm:
            layers["bn3"] = nn.BatchNorm1d(120)
        layers["act3"] = act()
        layers["linear2"] = nn.Linear(120, 84)
        if batch_norm:
            layers["bn4"] = nn.BatchNorm1d(84)
        layers["act4"] = act()
        layers["output"] = nn.Linear(84, int(n_outputs))
        super().__init__(layers)


class ConvNet(nn.Sequential):
    """Convolutional blocks, then a dense head: a small modern CNN.

    Each block is ``Conv2d`` (``kernel_size``, 'same' padding) ->
    ``BatchNorm2d`` (with ``batch_norm``) -> activation -> 2x2 pooling, which
    halves height and width (a side of 1 is left alone, so tiny images
    work). With max pooling and ``'relu'`` or ``'identity'`` the block pools
    before the activation: ``max(relu(x)) == relu(max(x))`` exactly, for
    outputs and gradients, and the activation then touches a quarter of the
    values (a CNN epoch on a CPU is mostly such memory-bound passes). The
    head flattens, then ``Linear -> activation -> Dropout`` per hidden layer,
    then the output layer. Layers are named ``image``, ``block1``, ...,
    ``flatten``, ``linear1``, ``act1``, ``dropout1``, ..., ``output``; inside
    a block ``conv``, ``bn``, then ``act`` and ``pool`` in the order they run.
    ``net.to(memory_format=torch.channels_last)`` makes it run faster on a
    CPU (what :class:`~sklearn_dl.ConvNetClassifier` does).

    Parameters
    ----------
    n_outputs : int, default=10
    input_shape : tuple of int, default=(1, 28, 28)
        Shape of one image, channels first ((H, W) is one channel; (n,) a
        1 x n image). Flat rows of that many values are reshaped to it.
    channels : sequence of int, default=(16, 32)
        Output channels of each convolutional block.
    kernel_size : int, default=3
        Side of the square convolution kernels (odd sizes keep the image size).
    pooling : {'max', 'avg'} or None, default='max'
        Pooling at the end of each block; None keeps the image size.
    batch_norm : bool, default=True
        ``BatchNorm2d`` after each convolution (which then has no bias).
    activation : str, default='relu'
        A name from :data:`ACTIVATIONS`, for blocks and head.
    hidden_layer_sizes : sequence of int, default=(128,)
        Units of the head's hidden layers; ``()`` goes straight to the output.
    dropout : float or sequence of float, default=0.0
        Dropout after each hidden layer of the head (as in :class:`MLP`).

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.modules import ConvNet
    >>> net = ConvNet(n_outputs=10, channels=(8, 16))
    >>> net(torch.zeros(2, 784)).shape
    torch.Size([2, 10])
    >>> [name for name, _ in net.named_children()]
    ['image', 'block1', 'block2', 'flatten', 'linear1', 'act1', 'output']
    >>> [name for name, _ in net.block2.named_children()]
    ['conv', 'bn', 'pool', 'act']
    >>> [name for name, _ in ConvNet(activation="tanh").block2.named_children()]
    ['conv', 'bn', 'act', 'pool']
    """

    def __init__(self, n_outputs=10, input_shape=(1, 28, 28), channels=(16, 32), kernel_size=3,
                 pooling="max", batch_norm=True, activation="relu", hidden_layer_sizes=(128,),
                 dropout=0.0):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation={activation!r} is unknown; use one of "
                             f"{sorted(ACTIVATIONS)}.")
        if pooling not in POOLING:
            raise ValueError(f"pooling={pooling!r} is unknown; use 'max', 'avg' or None.")
        if not isinstance(kernel_size, Integral) or kernel_size < 1:
            raise ValueError(f"kernel_size must be a positive integer; got {kernel_size!r}.")
        channels = _hidden_sizes(channels) if len(list(channels)) else []
        sizes = _hidden_sizes(hidden_layer_sizes) if len(list(hidden_layer_sizes)) else []
        rates = _dropout_rates(dropout, len(sizes))
        c, h, w = _image_shape(input_shape)
        layers = OrderedDict(image=ToImage((c, h, w)))
        for i, out in enumerate(channels, start=1):
            block = OrderedDict(conv=nn.Conv2d(c, out, kernel_size, padding=kernel_size // 2,
                                               bias=not batch_norm))
            if batch_norm:
                block["bn"] = nn.BatchNorm2d(out)
            # 'same' padding keeps the size for odd kernels; an even one adds 1
            h, w = h + 2 * (kernel_size // 2) - kernel_size + 1, w + 2 * (kernel_size // 2) \
                - kernel_size + 1
            pool, h, w = _pool(pooling, h, w)
            act = ACTIVATIONS[activation]()
            if pool is not None and pooling == "max" and activation in _COMMUTE_WITH_MAX:
                # max(relu(x)) == relu(max(x)) bit for bit, gradients included;
                # the activation then runs on a quarter of the values.
                block["pool"], block["act"] = pool, act
            else:
                block["act"] = act
                if pool is not None:
                    block["pool"] = pool
            layers[f"block{i}"] = nn.Sequential(block)
            c = out
        layers["flatten"] = nn.Flatten()
        fan_in = c * h * w
        for i, (units, p) in enumerate(zip(sizes, rates), start=1):
            layers[f"linear{i}"] = nn.Linear(fan_in, units)
            layers[f"act{i}"] = ACTIVATIONS[activation]()
            if p > 0:
                layers[f"dropout{i}"] = nn.Dropout(p)
            fan_in = units
        layers["output"] = nn.Linear(fan_in, int(n_outputs))
        super().__init__(layers)
