"""Data sets: Fashion-MNIST and Kaggle house prices, and d2l's synthetic data.

Loaders look for files in ``data_home``, ``$SKLEARN_DL_DATA``, Debian's
``/usr/share/datasets`` (Fashion-MNIST) and a per-user cache, verify them
against published checksums, and download what is missing.
"""

from ._fashion_mnist import FASHION_MNIST_CLASSES, load_fashion_mnist
from ._fetch import ChecksumError, DatasetNotFoundError, get_cache_dir
from ._house_prices import load_house_prices
from ._synthetic import (
    make_linear_regression,
    make_polynomial_regression,
    make_weight_decay_regression,
)

__all__ = [
    "FASHION_MNIST_CLASSES",
    "ChecksumError",
    "DatasetNotFoundError",
    "get_cache_dir",
    "load_fashion_mnist",
    "load_house_prices",
    "make_linear_regression",
    "make_polynomial_regression",
    "make_weight_decay_regression",
]
