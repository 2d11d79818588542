"""Finding, verifying and downloading data files.

Every data file has a published checksum (see :class:`RemoteFile`). A file is
looked for in a fixed list of folders (:func:`search_dirs`), verified each
time it is read, and downloaded only when it is found nowhere. Downloads go
to a temporary file in the destination folder and are moved into place with
:func:`os.replace` only after their checksum matched, so an interrupted or
corrupt download never leaves a file under the final name, and an existing
file is never overwritten.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import secrets
import time
import zlib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ChecksumError",
    "DatasetNotFoundError",
    "RemoteFile",
    "get_cache_dir",
]

#: Environment variable naming a folder of data (``<it>/fashion-mnist/...``,
#: ``<it>/house-prices/...``), searched right after ``data_home``.
ENV_VAR = "SKLEARN_DL_DATA"

#: Attempts per download (each tries every mirror), and the base of the
#: exponential back-off between attempts, in seconds.
N_RETRIES = 3
RETRY_DELAY = 1.0
#: Seconds without a byte from the server before an attempt is abandoned.
TIMEOUT = 30.0

_CHUNK = 1 << 20


class ChecksumError(OSError):
    """A data file's content does not match its published checksum."""


class DatasetNotFoundError(FileNotFoundError):
    """A data file was found in no searched folder and could not be downloaded."""


@dataclass(frozen=True)
class RemoteFile:
    """One published data file.

    Parameters
    ----------
    name : str
        Name of the payload, e.g. ``'train-images-idx3-ubyte'``.
    checksum : str
        Hex digest of the payload (of the decompressed bytes for ``gzip``).
    algorithm : str
        ``hashlib`` name of the digest: ``'sha256'`` or ``'sha1'``.
    urls : tuple of str
        Mirrors, tried in order.
    gzip : bool
        Whether the published file is gzip-compressed (``name + '.gz'``).
    """

    name: str
    checksum: str
    algorithm: str
    urls: tuple = field(default_factory=tuple)
    gzip: bool = False

    @property
    def filename(self):
        """Name of the downloaded file."""
        return self.name + ".gz" if self.gzip else self.name

    def candidates(self):
        """File names accepted on disk: compressed first, then uncompressed."""
        return (self.name + ".gz", self.name) if self.gzip else (self.name,)


def get_cache_dir(data_home=None):
    """Folder where downloads and decoded caches are written.

    ``data_home`` when given, else ``sklearn_dl`` inside scikit-learn's data
    home (``$SCIKIT_LEARN_DATA`` or ``~/scikit_learn_data``). Not created here.

    Parameters
    ----------
    data_home : str or path-like, default=None

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> from sklearn_dl.datasets import get_cache_dir
    >>> str(get_cache_dir("/tmp/my-data"))
    '/tmp/my-data'
    """
    if data_home is not None:
        return Path(data_home).expanduser()
    # sklearn.datasets.get_data_home's rule, without its side effect of creating
    # the folder: loading from a system copy must work with a read-only home.
    base = os.environ.get("SCIKIT_LEARN_DATA", os.path.join("~", "scikit_learn_data"))
    return Path(base).expanduser() / "sklearn_dl"


def search_dirs(subdir, data_home=None, system_dirs=()):
    """Folders searched for a data set, in order, as ``(label, path)`` pairs.

    ``data_home/subdir``, ``$SKLEARN_DL_DATA/subdir``, the ``system_dirs``,
    then the per-user cache ``get_cache_dir()/subdir`` (which is
    ``data_home/subdir`` again when ``data_home`` is given, so it is listed
    once).
    """
    dirs = []
    if data_home is not None:
        dirs.append(("data_home", Path(data_home).expanduser() / subdir))
    env = os.environ.get(ENV_VAR)
    if env:
        dirs.append((f"${ENV_VAR}", Path(env).expanduser() / subdir))
    dirs += [("system", Path(d)) for d in system_dirs]
    dirs.append(("cache", get_cache_dir(data_home) / subdir))
    seen, unique = set(), []
    for label, path in dirs:
        key = os.path.abspath(path)
        if key not in seen:
            seen.add(key)
            unique.append((label, path))
    return unique


def find_file(remote, dirs):
    """First existing file for ``remote`` in ``dirs`` (``(label, path)`` pairs), or None."""
    for _, folder in dirs:
        for name in remote.candidates():
            path = Path(folder) / name
            if path.is_file():
                return path
    return None


def read_verified(path, remote, *, fix, compressed=None):
    """Bytes of the payload in ``path`` (decompressed if ``.gz``), checked.

    ``compressed`` overrides the guess from the file name's suffix.

    Raises
    ------
    ChecksumError
        When the digest differs from ``remote.checksum``; ``fix`` is appended
        to the message.
    """
    path = Path(path)
    if compressed is None:
        compressed = path.suffix == ".gz"
    with open(path, "rb") as f:
        raw = f.read()
    try:
        payload = gzip.decompress(raw) if compressed else raw
    except (OSError, EOFError, zlib.error) as exc:
        raise ChecksumError(
            f"{path} is not a valid gzip file ({exc}); expected the gzip-compressed "
            f"{remote.name}. {fix}") from None
    got = hashlib.new(remote.algorithm, payload).hexdigest()
    if got != remote.checksum:
        what = "decompressed content" if compressed else "content"
        raise ChecksumError(
            f"Checksum mismatch for {path}: expected {remote.algorithm} "
            f"{remote.checksum} of its {what}, got {got}. The file is corrupt, "
            f"truncated or a different version of {remote.name}. {fix}")
    return payload


def download(remote, folder):
    """Download ``remote`` into ``folder`` and return the new file's path.

    Tries every mirror ``N_RETRIES`` times with exponential back-off. The
    bytes go to a hidden ``.part`` file in ``folder`` and must match the
    published checksum before they are moved to their final name with
    :func:`os.replace`. An existing file of that name is never replaced.

    Raises
    ------
    OSError
        With every attempt's error, when no mirror gave a verified file.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / remote.filename
    errors = []
    for attempt in range(N_RETRIES):
        if attempt:
            time.sleep(RETRY_DELAY * 2 ** (attempt - 1))
        for url in remote.urls:
            tmp = None
            try:
                tmp = _fetch_to_temp(url, folder, remote.filename)
                read_verified(tmp, remote, compressed=remote.gzip,
                              fix="The download was discarded.")
                if dest.exists():
                    # Appeared meanwhile (another process): keep theirs.
                    return dest
                os.replace(tmp, dest)
                tmp = None
                return dest
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                errors.append(f"{url}: {exc}")
            finally:
                if tmp is not None:
                    Path(tmp).unlink(missing_ok=True)
    raise OSError(
        f"Could not download {remote.filename} after {N_RETRIES} attempts:\n  "
        + "\n  ".join(errors))


def _fetch_to_temp(url, folder, filename):
    """Stream ``url`` into a temporary file in ``folder``; return its path."""
    from tqdm.auto import tqdm

    request = urllib.request.Request(url, headers={"User-Agent": "sklearn-dl"})
    fd, tmp = _temp_file(folder, filename)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=TIMEOUT) as resp:
            total = resp.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            got = 0
            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                      desc=f"Downloading {filename}", leave=False) as bar:
                while chunk := resp.read(_CHUNK):
                    out.write(chunk)
                    got += len(chunk)
                    bar.update(len(chunk))
            if total is not None and got != total:
                raise OSError(f"connection closed after {got} of {total} bytes")
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _temp_file(folder, name):
    """A new hidden ``.part`` file next to its final name: ``(fd, path)``.

    Unlike :func:`tempfile.mkstemp` (mode 0600) it gets the permissions the
    user's umask gives any new file, as the final file should.
    """
    while True:
        path = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.part")
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                           0o666), path
        except FileExistsError:
            continue


def format_searched(dirs):
    """The searched folders, one per line, for error messages."""
    lines = [f"  - {label}: {path}" for label, path in dirs]
    if not os.environ.get(ENV_VAR):
        lines.insert(int(dirs[0][0] == "data_home"), f"  - ${ENV_VAR}: not set")
    return "\n".join(lines)


def atomic_save_npy(path, array):
    """``np.save`` to ``path`` through a temporary file and ``os.replace``."""
    import numpy as np

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_file(path.parent, path.name)
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, array, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
