"""The decoded Fashion-MNIST cache is verified on every read: edited pixels or labels are never used."""

import hashlib
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from sklearn_dl.datasets import _fashion_mnist, _fetch, get_cache_dir, load_fashion_mnist

DEBIAN = Path(_fashion_mnist.DEBIAN_DIR)
pytestmark = pytest.mark.skipif(not (DEBIAN / "train-labels-idx1-ubyte.gz").exists()
                                and not (DEBIAN / "train-labels-idx1-ubyte").exists(),
                                reason="needs the Debian Fashion-MNIST files (the verified source)")


def _stem(home):
    checksums = "".join(_fashion_mnist._SHA256[n] for part in _fashion_mnist.PARTS.values()
                        for n in part)
    key = hashlib.sha256(checksums.encode()).hexdigest()[:16]
    return Path(home) / "fashion-mnist" / f"fashion-mnist-{key}"


@pytest.fixture(scope="module")
def built_cache(tmp_path_factory):
    """A decoded cache built once from the verified Debian files, and the test images."""
    home = tmp_path_factory.mktemp("built")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_fashion_mnist, "DEBIAN_DIR", str(DEBIAN))
        mp.delenv("SKLEARN_DL_DATA", raising=False)
        mp.setenv("SCIKIT_LEARN_DATA", str(home / "skl"))  # no shared user cache
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            reference = load_fashion_mnist("test", data_home=home, download=False)
    return _stem(home), reference


@pytest.fixture
def home_with_cache(built_cache, tmp_path, monkeypatch):
    """A data_home holding a copy of the verified cache; no other cache in reach."""
    monkeypatch.setattr(_fashion_mnist, "DEBIAN_DIR", str(DEBIAN))
    monkeypatch.delenv("SKLEARN_DL_DATA", raising=False)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "skl"))
    built, reference = built_cache
    home = tmp_path / "home"
    stem = _stem(home)
    stem.parent.mkdir(parents=True)
    for suffix in ("-X.npy", "-y.npy"):
        shutil.copyfile(f"{built}{suffix}", f"{stem}{suffix}")
    return home, stem, reference


def _edit(path, change):
    array = np.load(path)
    change(array)
    _fetch.atomic_save_npy(path, array)  # a well-formed .npy: only the content is wrong


@pytest.mark.parametrize("what", ["pixels", "labels"])
def test_an_edited_cache_is_rebuilt_from_the_verified_files(home_with_cache, what):
    home, stem, reference = home_with_cache
    # the first test image's label (9, ankle boot) and pixels, as a forger would edit them
    if what == "labels":
        _edit(f"{stem}-y.npy", lambda y: y.__setitem__(60000, 3))
    else:
        _edit(f"{stem}-X.npy", lambda X: X.__setitem__((60000, slice(0, 784)), 0.5))
    with pytest.warns(RuntimeWarning, match="damaged"):
        test = load_fashion_mnist("test", data_home=home, download=False)
    np.testing.assert_array_equal(test.target, reference.target)
    np.testing.assert_array_equal(test.data, reference.data)
    assert test.target[0] == 9 and test.data[0].max() == 1.0
    if what == "pixels":
        return
    # the cache was rebuilt from the IDX files and is trusted again after its check
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = load_fashion_mnist("test", data_home=home, download=False)
    np.testing.assert_array_equal(again.data, reference.data)


def test_an_edited_cache_is_never_used_even_without_the_sources(home_with_cache, monkeypatch):
    home, stem, _ = home_with_cache
    _edit(f"{stem}-y.npy", lambda y: y.__setitem__(slice(None), 0))
    monkeypatch.setattr(_fashion_mnist, "DEBIAN_DIR", "/nonexistent")
    with pytest.warns(RuntimeWarning, match="damaged"), \
            pytest.raises(_fashion_mnist.DatasetNotFoundError):
        load_fashion_mnist("test", data_home=home, download=False)
    assert not Path(f"{stem}-y.npy").exists()


def test_the_recorded_digest_is_that_of_the_verified_decoding(home_with_cache):
    home, stem, _ = home_with_cache
    X, y = np.load(f"{stem}-X.npy"), np.load(f"{stem}-y.npy")
    assert _fashion_mnist._digest(X) == _fashion_mnist._DECODED_SHA256["X"]
    assert _fashion_mnist._digest(y) == _fashion_mnist._DECODED_SHA256["y"]
    assert get_cache_dir(home) / "fashion-mnist" == stem.parent
    assert not list((get_cache_dir() / "fashion-mnist").glob("*.npy")) \
        if (get_cache_dir() / "fashion-mnist").exists() else True
