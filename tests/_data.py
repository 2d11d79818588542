"""The real data sets the tests read, and what happens when one is missing.

A fresh clone without ``../shared`` and without network has no house-price
files, and a machine without Debian's ``dataset-fashion-mnist`` has no
Fashion-MNIST. There the tests that need them skip, with one reason that says
how to provide the data. Where the data must be there, they fail instead of
skipping: in CI (``$CI`` set, as CI services and ``.ci/run`` do), and for a
data set whose folder ``$SKLEARN_DL_DATA`` names (``scripts/test.sh`` points
it at ``../shared/data`` when that exists). ``tests/test_data_policy.py``
checks this policy.

Tests ask for a data set with the fixtures ``house_prices_dir`` and
``fashion_mnist_dir`` of ``conftest.py`` (folders holding the published
files), or ``@pytest.mark.usefixtures(...)`` when they load through the
package's loaders.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The project's data folder beside the checkout (present in CI and here).
SHARED = ROOT.parent / "shared" / "data"

HOW_TO_PROVIDE = {
    "house-prices": (
        "put kaggle_house_pred_train.csv and kaggle_house_pred_test.csv in "
        "DIR/house-prices/ and set SKLEARN_DL_DATA=DIR (this project keeps them in "
        "../shared/data), or run the tests once with network access (the loader "
        "downloads them into ~/scikit_learn_data/sklearn_dl/house-prices/)"),
    "fashion-mnist": (
        "`apt-get install dataset-fashion-mnist` (Debian), or put the four "
        "*-ubyte.gz files in DIR/fashion-mnist/ and set SKLEARN_DL_DATA=DIR, or "
        "download them once with `python -c \"from sklearn_dl.datasets import "
        "load_fashion_mnist as f; f('all')\"`"),
}

DATASETS = tuple(HOW_TO_PROVIDE)


def in_ci(environ=None):
    """Whether ``$CI`` says this is a CI run (any value but empty, 0, false, no)."""
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() not in ("", "0", "false", "no")


def must_have(name, environ=None):
    """Whether a missing ``name`` is a failure here rather than a skip."""
    environ = os.environ if environ is None else environ
    env_dir = environ.get("SKLEARN_DL_DATA")
    return in_ci(environ) or bool(env_dir and (Path(env_dir) / name).is_dir())


def data_home():
    """``data_home`` for the loaders: ../shared/data, unless $SKLEARN_DL_DATA says where."""
    if os.environ.get("SKLEARN_DL_DATA") or not SHARED.is_dir():
        return None
    return SHARED


@functools.lru_cache(maxsize=None)
def locate(name):
    """``(folder, None)`` with the data set's published files, or ``(None, why)``.

    House prices are downloaded when missing, as the loader does by default
    (two small files); Fashion-MNIST is only looked for, as its tests load it
    with ``download=False``.
    """
    from sklearn_dl.datasets import _fashion_mnist, _fetch, _house_prices, load_house_prices

    home = data_home()
    try:
        if name == "house-prices":
            for subset in ("train", "test"):
                load_house_prices(subset, data_home=home)
            remotes = [_house_prices._remote(s) for s in ("train", "test")]
            dirs = _fetch.search_dirs(_house_prices.SUBDIR, home)
        elif name == "fashion-mnist":
            remotes = [_fetch.RemoteFile(n, _fashion_mnist._SHA256[n], "sha256",
                                          gzip=True)
                       for part in _fashion_mnist.PARTS.values() for n in part]
            dirs = _fetch.search_dirs(_fashion_mnist.SUBDIR, home,
                                      system_dirs=(_fashion_mnist.DEBIAN_DIR,))
        else:
            raise ValueError(f"unknown data set {name!r}; known: {DATASETS}")
        found = [_fetch.find_file(r, dirs) for r in remotes]
    except OSError as exc:  # DatasetNotFoundError, or a failed download
        return None, f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    missing = [r.filename for r, path in zip(remotes, found) if path is None]
    if missing:
        return None, "not found in " + ", ".join(str(p) for _, p in dirs)
    folders = {path.parent for path in found}
    if len(folders) != 1:  # the files are split over folders: tests want one
        return None, f"the files are split over {sorted(map(str, folders))}"
    return folders.pop(), None


def require(name):
    """The folder of data set ``name``; a skip (or, where it must be there, a failure)."""
    import pytest

    folder, why = locate(name)
    if folder is not None:
        return folder
    message = f"{name} data not available ({why}). To provide it: {HOW_TO_PROVIDE[name]}."
    if must_have(name):
        pytest.fail(f"{message} This run must have it (CI, or $SKLEARN_DL_DATA/{name} "
                    f"exists), so the test fails instead of skipping.", pytrace=False)
    pytest.skip(message)
