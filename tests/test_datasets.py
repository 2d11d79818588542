"""Data loaders (search order, checksums, downloads, decode cache) and generators.

Real data: Fashion-MNIST (Debian's /usr/share/datasets/fashion-mnist) and the
house-price CSVs (../shared/data, SKLEARN_DL_DATA), through the fixtures of
tests/_data.py: without them these tests skip, in CI they fail. Downloads are
served by a local HTTP server on 127.0.0.1; the real URLs are never used.
"""

import gzip
import hashlib
import http.server
import shutil
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

from sklearn_dl.datasets import (
    FASHION_MNIST_CLASSES,
    ChecksumError,
    DatasetNotFoundError,
    get_cache_dir,
    load_fashion_mnist,
    load_house_prices,
    make_linear_regression,
    make_polynomial_regression,
    make_weight_decay_regression,
)
from sklearn_dl.datasets import _fashion_mnist, _fetch, _house_prices

# The real files come from the house_prices_dir and fashion_mnist_dir fixtures
# (conftest.py, tests/_data.py): a skip where they are missing, except in CI.
TRAIN_CSV = "kaggle_house_pred_train.csv"


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Empty cache, no $SKLEARN_DL_DATA, no Debian folder, instant retries."""
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "skl"))
    monkeypatch.delenv("SKLEARN_DL_DATA", raising=False)
    monkeypatch.setattr(_fashion_mnist, "DEBIAN_DIR", str(tmp_path / "no-debian"))
    monkeypatch.setattr(_fetch, "RETRY_DELAY", 0.0)
    monkeypatch.setattr(_fetch, "TIMEOUT", 5.0)
    return tmp_path


def _put(folder, name, data):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(data, Path):
        path.write_bytes(data.read_bytes())
    else:
        path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------
# A local HTTP server standing in for the mirrors
# ---------------------------------------------------------------------------
class _Server:
    def __init__(self):
        self.files = {}          # url path -> bytes
        self.requests = []       # url paths asked for
        self.fail_first = 0      # answer 500 to this many requests first
        self.truncate = False    # promise more bytes than sent, then close
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                if server.fail_first > 0:
                    server.fail_first -= 1
                    self.send_error(500, "flaky")
                    return
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body) + 100 * server.truncate))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(isolated, monkeypatch):
    srv = _Server()
    monkeypatch.setattr(_house_prices, "MIRRORS", (srv.url,))
    monkeypatch.setattr(_fashion_mnist, "MIRRORS", (srv.url,))
    yield srv
    srv.close()


def _leftovers(folder):
    return sorted(p.name for p in Path(folder).rglob("*.part"))


# ---------------------------------------------------------------------------
# House prices
# ---------------------------------------------------------------------------
@pytest.mark.usefixtures("house_prices_dir")
def test_house_prices_shapes_and_columns():
    train = load_house_prices("train")
    test = load_house_prices("test")
    assert train.shape == (1460, 81) and test.shape == (1459, 80)
    assert train.columns[-1] == "SalePrice" and "SalePrice" not in test.columns
    assert list(train.columns[:-1]) == list(test.columns)
    assert train["Id"].tolist() == list(range(1, 1461))
    assert test["Id"].tolist() == list(range(1461, 2920))
    # Kaggle's "NA" (no pool) is read as missing, as d2l's pandas read does
    assert train["PoolQC"].isna().sum() > 1400


def test_house_prices_search_order(isolated, monkeypatch, house_prices_dir):
    good = house_prices_dir / TRAIN_CSV
    home, env, cache = isolated / "home", isolated / "env", get_cache_dir() / "house-prices"
    # A corrupt copy is how we see which folder was read: it names itself.
    _put(home / "house-prices", TRAIN_CSV, b"Id,SalePrice\n1,2\n")
    _put(env / "house-prices", TRAIN_CSV, good)
    monkeypatch.setenv("SKLEARN_DL_DATA", str(env))
    with pytest.raises(ChecksumError, match=str(home)):
        load_house_prices(data_home=home)           # data_home before $SKLEARN_DL_DATA
    assert load_house_prices().shape == (1460, 81)  # without data_home: the env copy
    _put(cache, TRAIN_CSV, b"corrupt")
    assert load_house_prices().shape == (1460, 81)  # $SKLEARN_DL_DATA before the cache
    monkeypatch.delenv("SKLEARN_DL_DATA")
    with pytest.raises(ChecksumError, match=str(cache)):
        load_house_prices(download=True)            # found in the cache: never re-downloaded


def test_house_prices_checksum_error_names_file_expected_got_and_fix(isolated, house_prices_dir):
    bad = house_prices_dir.joinpath(TRAIN_CSV).read_bytes().replace(b"208500", b"208501", 1)
    path = _put(isolated / "home" / "house-prices", TRAIN_CSV, bad)
    with pytest.raises(ChecksumError) as info:
        load_house_prices(data_home=isolated / "home")
    msg = str(info.value)
    assert str(path) in msg
    assert "585e9cc93e70b39160e7921475f9bcd7d31219ce" in msg      # expected (README)
    assert hashlib.sha1(bad).hexdigest() in msg                   # got
    assert "Delete" in msg and "download=True" in msg
    assert path.read_bytes() == bad                               # the user's file is untouched


def test_house_prices_missing_error_lists_folders_and_three_ways(isolated):
    with pytest.raises(DatasetNotFoundError) as info:
        load_house_prices("test", data_home=isolated / "home", download=False)
    msg = str(info.value)
    assert str(isolated / "home" / "house-prices") in msg
    assert "$SKLEARN_DL_DATA: not set" in msg
    assert "data_home=" in msg and "SKLEARN_DL_DATA=" in msg and "download=True" in msg


def test_house_prices_download_is_verified_atomic_and_done_once(server, house_prices_dir):
    server.files["/" + TRAIN_CSV] = house_prices_dir.joinpath(TRAIN_CSV).read_bytes()
    server.fail_first = 2                       # two 500s, then success (retries)
    frame = load_house_prices("train")
    assert frame.shape == (1460, 81)
    dest = get_cache_dir() / "house-prices" / TRAIN_CSV
    assert dest.read_bytes() == server.files["/" + TRAIN_CSV]
    assert _leftovers(dest.parent) == []
    n = len(server.requests)
    load_house_prices("train")
    assert len(server.requests) == n            # the second load reads the cache


@pytest.mark.parametrize("fault", ["corrupt", "truncated", "offline"])
def test_house_prices_failed_download_leaves_no_file(server, fault, monkeypatch,
                                                    house_prices_dir):
    body = house_prices_dir.joinpath(TRAIN_CSV).read_bytes()
    if fault == "corrupt":
        server.files["/" + TRAIN_CSV] = body[:-10] + b"0000000000"
    elif fault == "truncated":
        server.files["/" + TRAIN_CSV] = body
        server.truncate = True
    else:
        server.close()
    with pytest.raises(DatasetNotFoundError) as info:
        load_house_prices("train")
    msg = str(info.value)
    assert "could not be downloaded" in msg and "three ways" in msg
    if fault == "corrupt":
        assert "Checksum mismatch" in msg
    folder = get_cache_dir() / "house-prices"
    assert not (folder / TRAIN_CSV).exists()
    assert not folder.exists() or list(folder.iterdir()) == []


def test_house_prices_bad_subset():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_house_prices("valid")


# ---------------------------------------------------------------------------
# Fashion-MNIST: real data through the Debian folder
# ---------------------------------------------------------------------------
def _cache_stem(home):
    checksums = "".join(_fashion_mnist._SHA256[n] for part in _fashion_mnist.PARTS.values()
                        for n in part)
    key = hashlib.sha256(checksums.encode()).hexdigest()[:16]
    return Path(home) / "fashion-mnist" / f"fashion-mnist-{key}"


@pytest.fixture(scope="module")
def fashion_train(fashion_mnist_dir):
    """The training set through the user's default search path and cache.

    The decoded cache is built once per machine (by whichever test or doctest
    comes first) and shared by the tests and workers after it: they read it
    read and verified against its SHA-256 in about a second.
    """
    return load_fashion_mnist("train", download=False)


def test_fashion_mnist_train_matches_day3(fashion_train):
    train = fashion_train
    assert train.data.shape == (60000, 784) and train.images.shape == (60000, 28, 28)
    assert train.data.dtype == np.float32 and train.target.dtype == np.int64
    assert list(train.target_names) == list(FASHION_MNIST_CLASSES)
    assert train.target_names[train.target[0]] == "Ankle boot"    # the seed's Day 3
    assert np.bincount(train.target).tolist() == [6000] * 10
    # pixels scaled to [0, 1]; images is a view of data, not a copy
    assert train.data.min() == 0.0 and train.data.max() == 1.0
    assert np.shares_memory(train.images, train.data)
    assert np.array_equal(train.images[0].ravel(), train.data[0])
    assert "Fashion-MNIST" in train.DESCR and "[0, 1]" in train.DESCR


def test_fashion_mnist_cache_serves_test_and_all_without_idx(fashion_train, monkeypatch):
    stem = _cache_stem(get_cache_dir())
    assert Path(f"{stem}-X.npy").is_file() and Path(f"{stem}-y.npy").is_file()
    # With the decoded cache present the IDX files are not needed at all.
    monkeypatch.setattr(_fashion_mnist, "DEBIAN_DIR", "/nonexistent")
    monkeypatch.delenv("SKLEARN_DL_DATA", raising=False)
    test = load_fashion_mnist("test", download=False)
    X, y = load_fashion_mnist("all", download=False, return_X_y=True)
    assert test.data.shape == (10000, 784) and np.bincount(test.target).tolist() == [1000] * 10
    assert X.shape == (70000, 784) and y.shape == (70000,)
    rows = np.arange(0, 60000, 997)     # a sample of rows keeps the test fast
    np.testing.assert_array_equal(X[rows], fashion_train.data[rows])
    np.testing.assert_array_equal(X[60000 + rows[:11]], test.data[rows[:11]])
    np.testing.assert_array_equal(y, np.r_[fashion_train.target, test.target])
    # in-memory arrays: writing into a loaded array never changes the cache
    assert X.flags.writeable
    X[0, 0] = 42.0
    assert load_fashion_mnist("train", download=False).data[0, 0] == 0.0


def test_fashion_mnist_damaged_cache_is_rebuilt_and_read_only_home_falls_back(
        isolated, monkeypatch, fashion_mnist_dir):
    monkeypatch.setattr(_fashion_mnist, "DEBIAN_DIR", str(fashion_mnist_dir))
    home = isolated / "home"
    stem = _cache_stem(home)
    stem.parent.mkdir(parents=True)
    # e.g. left by an older version: the right name, the wrong content
    np.save(f"{stem}-X.npy", np.zeros((3, 784), np.float32))
    np.save(f"{stem}-y.npy", np.zeros(3, np.int64))
    # ... in a data_home that cannot be written to
    save = _fetch.atomic_save_npy

    def read_only_home(path, array):
        if home in Path(path).parents:
            raise PermissionError(13, "Permission denied", str(path))
        return save(path, array)

    monkeypatch.setattr(_fetch, "atomic_save_npy", read_only_home)
    with pytest.warns(RuntimeWarning, match="damaged"):
        test = load_fashion_mnist("test", data_home=home, download=False)
    assert test.data.shape == (10000, 784)
    assert test.target_names[test.target[0]] == "Ankle boot"     # so is the first test image
    assert list(stem.parent.iterdir()) == []                     # the damaged cache is gone
    user = _cache_stem(get_cache_dir())                          # rebuilt in the user's cache
    assert np.load(f"{user}-X.npy", mmap_mode="r").shape == (70000, 784)
    assert sorted(p.name for p in user.parent.iterdir()) == [
        f"{user.name}-X.npy", f"{user.name}-y.npy"]             # no temporary file left
    with warnings.catch_warnings():
        warnings.simplefilter("error")                           # and it is used from now on
        assert load_fashion_mnist("test", data_home=home).data.shape == (10000, 784)


# ---------------------------------------------------------------------------
# Fashion-MNIST: search order, checksums, missing data, download
# ---------------------------------------------------------------------------
def test_fashion_mnist_search_order(isolated, monkeypatch, fashion_mnist_dir):
    """data_home, then $SKLEARN_DL_DATA, then Debian, then the cache.

    A corrupt train-images file placed in one folder shows whether that
    folder was read (the error names it) or passed over.
    """
    monkeypatch.setattr(_fashion_mnist, "DEBIAN_DIR", str(fashion_mnist_dir))
    name = "train-images-idx3-ubyte.gz"
    home, env = isolated / "home", isolated / "env"
    bad_home = _put(home / "fashion-mnist", name, gzip.compress(b"not the images"))
    bad_env = _put(env / "fashion-mnist", name, gzip.compress(b"not the images either"))
    monkeypatch.setenv("SKLEARN_DL_DATA", str(env))
    with pytest.raises(ChecksumError, match=str(bad_home)):
        load_fashion_mnist(data_home=home)
    with pytest.raises(ChecksumError, match=str(bad_env)):
        load_fashion_mnist()                       # $SKLEARN_DL_DATA before Debian
    # uncompressed files are accepted too
    bad_raw = _put(isolated / "raw" / "fashion-mnist", name[:-3], b"raw but wrong")
    with pytest.raises(ChecksumError, match=str(bad_raw)):
        load_fashion_mnist(data_home=isolated / "raw")


def test_fashion_mnist_checksum_error_names_file_expected_got_and_fix(isolated):
    payload = b"\x00\x00\x08\x01\x00\x00\x00\x02\x01\x02"
    home = isolated / "home"
    for part in ("train", "test"):
        for name in _fashion_mnist.PARTS[part]:
            _put(home / "fashion-mnist", name + ".gz", gzip.compress(payload))
    with pytest.raises(ChecksumError) as info:
        load_fashion_mnist("test", data_home=home, download=True)
    msg = str(info.value)
    assert str(home / "fashion-mnist" / "t10k-images-idx3-ubyte.gz") in msg
    assert _fashion_mnist._SHA256["t10k-images-idx3-ubyte"] in msg
    assert hashlib.sha256(payload).hexdigest() in msg
    assert "decompressed" in msg and "Delete" in msg and "dataset-fashion-mnist" in msg


def test_fashion_mnist_not_a_gzip_file(isolated, fashion_mnist_dir):
    path = _put(isolated / "home" / "fashion-mnist", "t10k-labels-idx1-ubyte.gz", b"plain text")
    for name in ("t10k-images-idx3-ubyte.gz",):
        shutil.copy(fashion_mnist_dir / name, isolated / "home" / "fashion-mnist" / name)
    with pytest.raises(ChecksumError, match="not a valid gzip file"):
        load_fashion_mnist("test", data_home=isolated / "home", download=False)
    assert path.read_bytes() == b"plain text"


def test_fashion_mnist_missing_error_lists_folders_and_three_ways(isolated, monkeypatch):
    env = isolated / "env"
    monkeypatch.setenv("SKLEARN_DL_DATA", str(env))
    with pytest.raises(DatasetNotFoundError) as info:
        load_fashion_mnist("train", data_home=isolated / "home", download=False)
    msg = str(info.value)
    searched = [isolated / "home" / "fashion-mnist", env / "fashion-mnist",
                isolated / "no-debian"]
    positions = [msg.index(str(p)) for p in searched]
    assert positions == sorted(positions)                 # listed in search order
    assert "apt-get install dataset-fashion-mnist" in msg
    assert "SKLEARN_DL_DATA" in msg and "download=True" in msg
    assert isinstance(info.value, FileNotFoundError)


def test_fashion_mnist_download_test_part_only(server, fashion_mnist_dir):
    # The mirror has only the test files: the test part is downloaded and
    # loaded; the train part's failure does not matter for subset='test'.
    for name in _fashion_mnist.PARTS["test"]:
        server.files[f"/{name}.gz"] = (fashion_mnist_dir / f"{name}.gz").read_bytes()
    test = load_fashion_mnist("test")
    assert test.data.shape == (10000, 784)
    assert test.target_names[test.target[0]] == "Ankle boot"   # first test image, too
    folder = get_cache_dir() / "fashion-mnist"
    assert sorted(p.name for p in folder.iterdir()) == [
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    # without the train part no decoded cache is written; nothing half-done either
    with pytest.raises(DatasetNotFoundError, match="train-images-idx3-ubyte.gz"):
        load_fashion_mnist("train")


def _test_part_only(home, source):
    for name in _fashion_mnist.PARTS["test"]:
        shutil.copy(source / f"{name}.gz", _put(home / "fashion-mnist", f"{name}.gz", b""))


def test_fashion_mnist_other_part_is_never_downloaded(server, tmp_path, fashion_mnist_dir):
    # Only the test files are on disk: loading them with the default
    # download=True asks the mirror for nothing (the train files would only
    # complete the decoded cache; offline, each attempt cost seconds of retries).
    home = tmp_path / "home"
    _test_part_only(home, fashion_mnist_dir)
    for _ in range(2):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            test = load_fashion_mnist("test", data_home=home)
        assert test.data.shape == (10000, 784)
    assert server.requests == []
    # no decoded cache without all four files, and nothing else written
    assert sorted(p.name for p in (home / "fashion-mnist").iterdir()) == [
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def test_fashion_mnist_damaged_other_part_warns_and_the_asked_part_loads(isolated,
                                                                         fashion_mnist_dir):
    home = isolated / "home"
    _test_part_only(home, fashion_mnist_dir)
    bad = _put(home / "fashion-mnist", "train-images-idx3-ubyte.gz", gzip.compress(b"junk"))
    _put(home / "fashion-mnist", "train-labels-idx1-ubyte.gz", gzip.compress(b"junk"))
    with pytest.warns(RuntimeWarning, match="decodes the IDX files again") as record:
        test = load_fashion_mnist("test", data_home=home, download=False)
    assert len(record) == 1 and str(bad) in str(record[0].message)  # one warning, naming a file
    assert test.data.shape == (10000, 784)
    assert test.target_names[test.target[0]] == "Ankle boot"
    assert not list(home.rglob("*.npy"))                       # no cache from damaged files
    # The part asked for is never tolerated when damaged.
    with pytest.raises(ChecksumError, match=str(bad)):
        load_fashion_mnist("train", data_home=home, download=False)


def test_fashion_mnist_bad_subset():
    with pytest.raises(ValueError, match="'train', 'test' or 'all'"):
        load_fashion_mnist("valid")


# ---------------------------------------------------------------------------
# Synthetic generators
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("make", [make_linear_regression, make_polynomial_regression,
                                  make_weight_decay_regression])
def test_generators_are_reproducible(make):
    a, b, c = make(random_state=3), make(random_state=3), make(random_state=4)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])


def test_make_linear_regression_day1():
    X, y = make_linear_regression(random_state=0)
    assert X.shape == (1000, 2) and y.shape == (1000,)
    A = np.column_stack([X, np.ones(len(X))])
    w = np.linalg.lstsq(A, y, rcond=None)[0]
    # noise std 0.01 over 1000 rows: least-squares error about 0.01/sqrt(1000)
    np.testing.assert_allclose(w, [2.0, -3.4, 4.2], atol=2e-3)
    resid = y - A @ w
    assert 0.009 < resid.std() < 0.011


def test_make_polynomial_regression_day9():
    X, y, x = make_polynomial_regression(n_samples=200, random_state=0)
    assert X.shape == (200, 20) and y.shape == x.shape == (200,)
    np.testing.assert_allclose(X[:, 0], 1.0)
    np.testing.assert_allclose(X[:, 3], x ** 3 / 6)
    np.testing.assert_allclose(X[:, 19], x ** 19 / 121645100408832000)
    w = np.linalg.lstsq(X[:, :4], y, rcond=None)[0]
    # noise std 0.1 over 200 rows; d2l's degree-3 SGD fit got [5.001, 1.208, -3.408, 5.570]
    np.testing.assert_allclose(w, [5.0, 1.2, -3.4, 5.6], atol=0.1)
    # the data do not depend on how many features are returned
    X4, y4, x4 = make_polynomial_regression(n_samples=200, n_features=4, random_state=0)
    np.testing.assert_array_equal(X4, X[:, :4])
    np.testing.assert_array_equal(y4, y)


def test_make_weight_decay_regression_day10():
    X_train, X_test, y_train, y_test = make_weight_decay_regression(random_state=0)
    assert X_train.shape == (20, 200) and X_test.shape == (100, 200)
    assert y_train.shape == (20,) and y_test.shape == (100,)
    # with the noise and every weight at zero, y is the bias 0.05
    X, _, y, _ = make_weight_decay_regression(n_train=5000, n_test=0, coef=0.0, noise=0.0,
                                              random_state=0)
    np.testing.assert_allclose(y, 0.05)
    # the defaults are the seed's Day 10-11 setting: w = 0.01 each, b = 0.05, noise
    # N(0, 0.01^2); least squares on 5000 rows recovers them (the standard error of
    # each weight is about 0.01 / sqrt(5000) = 1.4e-4, of the noise std about 1e-4)
    X, _, y, _ = make_weight_decay_regression(n_train=5000, n_test=0, random_state=0)
    A = np.column_stack([X, np.ones(len(X))])
    coef, rss, *_ = np.linalg.lstsq(A, y, rcond=None)
    np.testing.assert_allclose(coef[:-1], 0.01, atol=1e-3)
    assert abs(coef[-1] - 0.05) < 1e-3
    noise_std = np.sqrt(rss[0] / (len(y) - A.shape[1]))
    assert 0.009 < noise_std < 0.011, noise_std
    assert 0.9 < X.std() < 1.1 and abs(X.mean()) < 0.01  # x ~ N(0, 1)
    with pytest.raises(ValueError, match="n_features=200"):
        make_weight_decay_regression(coef=[0.01, 0.02])


def test_generators_reject_bad_input():
    with pytest.raises(ValueError, match="n_samples"):
        make_linear_regression(n_samples=0)
    with pytest.raises(ValueError, match="noise"):
        make_polynomial_regression(noise=-1)
    with pytest.raises(ValueError, match="finite"):
        make_linear_regression(coef=[1.0, np.nan])


@pytest.mark.usefixtures("house_prices_dir")
def test_no_warnings_on_clean_load(fashion_train):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_fashion_mnist("test")
        load_house_prices("test")
