"""Fashion-MNIST (Zalando Research): 70,000 28x28 grey images of clothing."""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
from sklearn.utils import Bunch

from . import _fetch
from ._fetch import DatasetNotFoundError, RemoteFile

__all__ = ["load_fashion_mnist", "FASHION_MNIST_CLASSES"]

#: The ten class names, in label order (upstream's spelling).
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

#: Where Debian's ``dataset-fashion-mnist`` package puts the files.
DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
SUBDIR = "fashion-mnist"

MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
)

# sha256 of the decompressed IDX payloads: Debian recompressed the .gz files,
# so only the payload is the same everywhere.
_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

#: SHA-256 of the decoded arrays of all 70,000 images (X: float32 C-order bytes,
#: y: int64 bytes). They follow from the verified IDX payloads above (the
#: scaling is one correctly rounded IEEE division), so a decoded cache that
#: does not hash to these was edited or damaged: no file beside it can vouch
#: for it, since whoever can edit the cache could edit that file too.
_DECODED_SHA256 = {
    "X": "992edc8d4846acab64638421bbb1762a3f5c38e674dff7da66f0c45833851297",
    "y": "138bc5cbc39ee06b83e673e3675e93334169ceae7849de38016fa7ef57c6ffba",
}

#: (images, labels) payload names of each part, in the order of ``subset='all'``.
PARTS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

DESCR = """\
.. _fashion_mnist_dataset:

Fashion-MNIST
-------------

Zalando's article images: 60,000 training and 10,000 test examples, each a
28x28 grey-scale image of one of 10 classes (0 T-shirt/top, 1 Trouser,
2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag,
9 Ankle boot), 6,000 training and 1,000 test images per class. A drop-in
replacement for MNIST that is harder to fit.

**Data Set Characteristics:**

:Number of Instances: 60,000 (train) + 10,000 (test)
:Number of Attributes: 784 pixels (28x28)
:Pixel values: float32 in [0, 1] (the stored uint8 intensity / 255);
    0 is the background, 1 the brightest ink
:Classes: 10, balanced
:Source: https://github.com/zalandoresearch/fashion-mnist (MIT licence);
    Debian package ``dataset-fashion-mnist``

Reference test accuracies (Fashion-MNIST benchmark): scikit-learn
LogisticRegression about 0.84, MLPClassifier about 0.87, SVC (RBF) about
0.90; crowd-sourced humans 0.835.

.. rubric:: References

* Han Xiao, Kashif Rasul, Roland Vollgraf. Fashion-MNIST: a Novel Image
  Dataset for Benchmarking Machine Learning Algorithms. arXiv:1708.07747, 2017.
"""

_N = {"train": 60000, "test": 10000}


def _remote(name):
    return RemoteFile(name, _SHA256[name], "sha256",
                      urls=tuple(m + name + ".gz" for m in MIRRORS), gzip=True)


def load_fashion_mnist(subset="train", *, data_home=None, download=True, return_X_y=False):
    """Load the Fashion-MNIST images and labels (the seed's Day 3).

    Files are looked for, in order, in ``data_home/fashion-mnist``,
    ``$SKLEARN_DL_DATA/fashion-mnist``, Debian's
    ``/usr/share/datasets/fashion-mnist`` (``apt-get install
    dataset-fashion-mnist``) and the per-user cache
    (:func:`~sklearn_dl.datasets.get_cache_dir` ``/fashion-mnist``), as the
    four gzip-compressed IDX files (``train-images-idx3-ubyte.gz``, ...) or
    uncompressed. Files found nowhere are downloaded from Zalando Research
    into the cache when ``download=True``. Each file read is checked against
    the sha256 of its published payload.

    The first read with all four files on disk decodes them and writes the
    70,000 images as a float32 ``.npy`` (about 220 MB, named after the
    checksums) into the cache folder, ``data_home``'s or, when that is not
    writable, the per-user one; later loads read it, check its SHA-256
    against the digest of the verified decoded data (a cache that was
    edited or damaged is removed and rebuilt from the verified IDX files,
    never used) and take well under a second, without reading the IDX
    files again. Only the files of
    ``subset`` are downloaded: while the other half is missing (or damaged,
    which warns), each load decodes the IDX files of ``subset`` again.

    Parameters
    ----------
    subset : {'train', 'test', 'all'}, default='train'
        60,000 training images, 10,000 test images, or both (training first).
    data_home : str or path-like, default=None
        A folder searched first, and then used instead of the per-user cache
        for downloads and the decoded cache.
    download : bool, default=True
        Download missing files. With False, missing files raise
        :class:`~sklearn_dl.datasets.DatasetNotFoundError`.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With attributes

        data : ndarray of shape (n_samples, 784), float32
            Pixels scaled to [0, 1] (uint8 intensity / 255), row-major.
        images : ndarray of shape (n_samples, 28, 28), float32
            The same pixels, a view of ``data`` (no copy).
        target : ndarray of shape (n_samples,), int64
            Labels 0..9.
        target_names : ndarray of shape (10,), str
            Class names: ``target_names[target]`` names each image.
        DESCR : str
            Description of the data set.

        ``data`` and ``images`` are in-memory arrays (the verified bytes,
        not a map of the file, which could change after the check):
        writing to them never changes the cache.
    (data, target) : tuple
        When ``return_X_y`` is True.

    Raises
    ------
    DatasetNotFoundError
        A file is missing and ``download=False`` or every download failed;
        the message lists the folders searched and how to provide the data.
    ChecksumError
        A file's content is not the published one; the message names it.

    Examples
    --------
    >>> from sklearn_dl.datasets import load_fashion_mnist
    >>> train = load_fashion_mnist("train")
    >>> train.data.shape, train.images.shape, train.data.dtype
    ((60000, 784), (60000, 28, 28), dtype('float32'))
    >>> train.target_names[train.target[0]]
    np.str_('Ankle boot')
    >>> float(train.data.min()), float(train.data.max())
    (0.0, 1.0)
    """
    if subset not in ("train", "test", "all"):
        raise ValueError(f"subset must be 'train', 'test' or 'all'; got {subset!r}.")
    X, y = _load_arrays(subset, data_home, download)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        images=X.reshape(-1, 28, 28),
        target=y,
        target_names=np.array(FASHION_MNIST_CLASSES),
        DESCR=DESCR,
    )


def _cache_paths(data_home):
    """(X, y) paths of the decoded cache: in data_home's cache, else the user's.

    The per-user cache is the fallback for a read-only ``data_home`` (for
    example ``data_home='/usr/share/datasets'``).
    """
    key = hashlib.sha256("".join(_SHA256[n] for p in PARTS.values() for n in p).encode())
    name = f"fashion-mnist-{key.hexdigest()[:16]}"
    folders = [_fetch.get_cache_dir(data_home) / SUBDIR, _fetch.get_cache_dir() / SUBDIR]
    if folders[0] == folders[1]:
        folders.pop()
    return [(f / f"{name}-X.npy", f / f"{name}-y.npy") for f in folders]


def _load_arrays(subset, data_home, download):
    cache_dir = _fetch.get_cache_dir(data_home) / SUBDIR
    cache_paths = _cache_paths(data_home)
    cached = next(filter(None, (_read_cache(*paths) for paths in cache_paths)), None)
    if cached is None:
        wanted = ("train", "test") if subset == "all" else (subset,)
        others = tuple(p for p in PARTS if p not in wanted)
        dirs = _fetch.search_dirs(SUBDIR, data_home, system_dirs=(DEBIAN_DIR,))
        paths = {}
        for part in wanted:
            for name in PARTS[part]:
                paths[name] = _locate(name, dirs, cache_dir, download, required=True)
        # The other half only completes the decoded cache: it is looked for,
        # never downloaded (that would cost every offline load its retries).
        for part in others:
            for name in PARTS[part]:
                paths[name] = _locate(name, dirs, cache_dir, False, required=False)
        # The asked-for part first, so that its errors are the ones raised.
        decoded = {part: _decode_part(part, paths) for part in wanted}
        for part in others:
            if any(paths[name] is None for name in PARTS[part]):
                break  # not on disk: decode what was asked, no cache
            try:
                decoded[part] = _decode_part(part, paths)
            except OSError as exc:  # ChecksumError, or an unreadable file
                warnings.warn(
                    f"Loaded the Fashion-MNIST {subset!r} part, but the {part!r} files, needed "
                    "only for the decoded cache of all 70,000 images, could not be read, so "
                    f"each load decodes the IDX files again:\n{exc}", RuntimeWarning,
                    stacklevel=3)
                break
        if len(decoded) < len(PARTS):
            return _concat([decoded[part] for part in wanted])
        X, y = _concat([decoded[part] for part in PARTS])
        cached = _write_cache(cache_paths, X, y)
    X, y = cached
    sl = {"train": slice(0, _N["train"]), "test": slice(_N["train"], None), "all": slice(None)}
    return X[sl[subset]], np.array(y[sl[subset]])


def _concat(parts):
    if len(parts) == 1:
        return parts[0]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _fix_text(path):
    return (f"Delete {path} (sklearn_dl never overwrites your files) and load again "
            f"with download=True, or replace it with the file from `apt-get install "
            f"dataset-fashion-mnist` or {MIRRORS[0]}.")


def _locate(name, dirs, cache_dir, download, *, required):
    remote = _remote(name)
    path = _fetch.find_file(remote, dirs)
    if path is not None:
        return path
    if not download:
        if not required:
            return None
        raise DatasetNotFoundError(_missing_message(remote, dirs, reason=(
            f"Fashion-MNIST file {remote.filename} was not found and download=False.")))
    try:
        return _fetch.download(remote, cache_dir)
    except OSError as exc:
        if not required:
            return None
        raise DatasetNotFoundError(_missing_message(remote, dirs, reason=(
            f"Fashion-MNIST file {remote.filename} was not found and could not be "
            f"downloaded.\n{exc}"))) from exc


def _missing_message(remote, dirs, reason):
    return (
        f"{reason}\nFolders searched, in order (file names {' or '.join(remote.candidates())}):\n"
        f"{_fetch.format_searched(dirs)}\n"
        "Provide the data in one of three ways:\n"
        "  1. install the Debian/Ubuntu package: sudo apt-get install dataset-fashion-mnist\n"
        f"  2. put the four IDX files in a folder DIR/{SUBDIR}/ and set the environment "
        f"variable {_fetch.ENV_VAR}=DIR (or pass data_home=DIR)\n"
        "  3. call load_fashion_mnist(download=True) with internet access: the files "
        f"are downloaded from {MIRRORS[0]} into {dirs[-1][1]}")


def _parse_idx(payload, name, ndim):
    magic = int.from_bytes(payload[:4], "big")
    if magic != 0x0800 + ndim:
        raise ValueError(f"{name} is not an IDX file of {ndim} dimension(s) (magic {magic:#x}).")
    shape = tuple(int.from_bytes(payload[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(payload, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _decode_part(part, paths):
    """Verified (X float32 (n, 784), y int64 (n,)) of one part from its IDX files."""
    img_name, lbl_name = PARTS[part]
    images = _parse_idx(_fetch.read_verified(paths[img_name], _remote(img_name),
                                             fix=_fix_text(paths[img_name])), img_name, 3)
    labels = _parse_idx(_fetch.read_verified(paths[lbl_name], _remote(lbl_name),
                                             fix=_fix_text(paths[lbl_name])), lbl_name, 1)
    return _to_float(images.reshape(len(images), -1)), labels.astype(np.int64)


def _to_float(pixels):
    """uint8 intensities to float32 in [0, 1]: the one scaling used everywhere."""
    out = np.empty(pixels.shape, dtype=np.float32)
    np.divide(pixels, np.float32(255), out=out, dtype=np.float32)
    return out


def _digest(array):
    return hashlib.sha256(memoryview(np.ascontiguousarray(array)).cast("B")).hexdigest()


def _read_cache(X_path, y_path):
    """The cache arrays, read into memory and verified, or None when absent or not as written.

    A cache whose SHA-256 differs from :data:`_DECODED_SHA256` (edited pixels
    or labels, a truncated write, an older version's file) is removed, so
    that it is rebuilt from the verified IDX files or the next cache folder
    is used. The arrays are read, not memory-mapped: the bytes checked are
    the bytes returned.
    """
    if not (X_path.is_file() and y_path.is_file()):
        return None
    n = sum(_N.values())
    try:
        X = np.load(X_path, allow_pickle=False)
        y = np.load(y_path, allow_pickle=False)
        if (X.shape == (n, 784) and X.dtype == np.float32 and y.shape == (n,)
                and y.dtype == np.int64 and _digest(y) == _DECODED_SHA256["y"]
                and _digest(X) == _DECODED_SHA256["X"]):
            return X, y
    except (OSError, ValueError):
        pass
    warnings.warn(f"The decoded Fashion-MNIST cache {X_path} is damaged (its SHA-256 is not "
                  "that of the verified data); it is removed and rebuilt from the IDX files.",
                  RuntimeWarning, stacklevel=5)
    for path in (X_path, y_path):
        try:
            path.unlink()
        except OSError:
            pass
    return None


def _write_cache(cache_paths, X, y):
    """Write the decoded arrays (labels first) and return them."""
    if _digest(y) != _DECODED_SHA256["y"] or _digest(X) != _DECODED_SHA256["X"]:
        warnings.warn(
            "The decoded Fashion-MNIST arrays do not hash to the recorded SHA-256 (numpy "
            f"{np.__version__} scales pixels differently?), so no decoded cache is written "
            "and each load decodes the verified IDX files again.", RuntimeWarning, stacklevel=4)
        return X, y
    errors = []
    for X_path, y_path in cache_paths:
        try:
            _fetch.atomic_save_npy(y_path, y)
            _fetch.atomic_save_npy(X_path, X)
        except OSError as exc:
            errors.append(f"{X_path.parent}: {exc}")
            continue
        return X, y
    warnings.warn(
        f"Could not write the decoded Fashion-MNIST cache ({'; '.join(errors)}); each load "
        "will decode the IDX files again (a few seconds). Make one of these folders "
        "writable, or set SCIKIT_LEARN_DATA to a writable folder.", RuntimeWarning,
        stacklevel=4)
    return X, y
