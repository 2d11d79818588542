"""How long loading Fashion-MNIST takes: first read vs. cached, and the alternatives.

Each measurement runs in a fresh Python process (so nothing is already in
memory from an earlier step; the operating system's page cache is warm, as
it is for a user loading twice in a row) and reports the median of
``--repeat`` runs. Every process gets ``SCIKIT_LEARN_DATA`` pointing at a
temporary folder, so a cache in the user's ``~/scikit_learn_data`` is never
found: the cold runs each start from an empty folder.

* cold: an empty cache; decode the four IDX ``.gz`` files, verify their
  sha256, scale to float32 and write the decoded cache.
* warm: ``load_fashion_mnist('all')`` with the decoded cache present
  (read and checked against its SHA-256), and the same followed by a pass over every pixel (what
  the first epoch of training pays).
* baselines: decoding the ``.gz`` files without a cache, and reading a
  float32 ``.npy`` of the same data fully into memory.

Usage::

    python benchmarks/load_speed.py [--repeat 3]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap

SNIPPETS = {
    "cold: decode, verify, write cache": """
        import time
        from sklearn_dl.datasets import load_fashion_mnist
        t = time.perf_counter()
        X, y = load_fashion_mnist('all', data_home={home!r}, return_X_y=True)
        print(time.perf_counter() - t)
    """,
    "warm: load_fashion_mnist('all')": """
        import time
        from sklearn_dl.datasets import load_fashion_mnist
        t = time.perf_counter()
        X, y = load_fashion_mnist('all', data_home={home!r}, return_X_y=True)
        print(time.perf_counter() - t)
    """,
    "warm: load 'all' + touch every pixel": """
        import time
        from sklearn_dl.datasets import load_fashion_mnist
        t = time.perf_counter()
        X, y = load_fashion_mnist('all', data_home={home!r}, return_X_y=True)
        X.sum()
        print(time.perf_counter() - t)
    """,
    "warm: load 'train' + touch every pixel": """
        import time
        from sklearn_dl.datasets import load_fashion_mnist
        t = time.perf_counter()
        X, y = load_fashion_mnist('train', data_home={home!r}, return_X_y=True)
        X.sum()
        print(time.perf_counter() - t)
    """,
    "baseline: gzip IDX decode only, no checks": """
        import gzip, os, time, numpy as np
        from sklearn_dl.datasets._fashion_mnist import DEBIAN_DIR  # apt's copy
        t = time.perf_counter()
        parts = []
        for n in ('train-images-idx3-ubyte', 't10k-images-idx3-ubyte'):
            raw = gzip.open(os.path.join(DEBIAN_DIR, n + '.gz')).read()
            parts.append(np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 784))
        X = np.concatenate(parts).astype(np.float32) / 255
        print(time.perf_counter() - t)
    """,
    "baseline: np.load of the float32 .npy into memory": """
        import glob, time, numpy as np
        path = glob.glob({home!r} + '/fashion-mnist/*-X.npy')[0]
        t = time.perf_counter()
        X = np.load(path)
        print(time.perf_counter() - t)
    """,
}


def _run(code, home):
    env = {**os.environ, "SCIKIT_LEARN_DATA": home}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code.format(home=home))],
                         capture_output=True, text=True, check=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])


def _time(code, repeat, home):
    runs = []
    for _ in range(repeat):
        if home is None:  # a cold run: a new, empty data folder each time
            with tempfile.TemporaryDirectory() as fresh:
                runs.append(_run(code, fresh))
        else:
            runs.append(_run(code, home))
    return statistics.median(runs), runs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as home:
        # build the cache once for the warm measurements
        subprocess.run([sys.executable, "-c", "from sklearn_dl.datasets import "
                        f"load_fashion_mnist as f; f('all', data_home={home!r})"], check=True,
                       env={**os.environ, "SCIKIT_LEARN_DATA": home})
        print("| step | median s | runs (s) |\n| --- | ---: | --- |")
        for name, code in SNIPPETS.items():
            cold = name.startswith("cold")
            median, runs = _time(code, args.repeat, None if cold else home)
            print(f"| {name} | {median:.3f} | {', '.join(f'{r:.3f}' for r in runs)} |")


if __name__ == "__main__":
    main()
