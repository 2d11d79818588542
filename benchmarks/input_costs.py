"""What sparse X, sample_weight and float64 input cost, side by side in one process.

Issue 14's benchmarks for three input features of the estimators:

1. **Sparse X vs densified.** A TF-IDF-like CSR matrix (``scipy.sparse.random``
   with a seeded generator, non-negative values, float32; default 20,000 x
   20,000 at density 0.2 %, 5 classes planted by a random linear rule) is fed to
   ``MLPClassifier`` as CSR (densified one batch at a time, ``_sparse.py``) and
   as the same matrix densified with ``toarray()``. Reported per contender:
   fit time, predict time, the peak resident memory *growth* during fit and
   during predict, the training accuracy (both sides train the same model), and
   the size of the input itself (input + fit growth: what training needs). Memory: tracemalloc does not see torch's
   allocations, so every run of a contender is a fresh ``spawn`` child process
   (forked from a forkserver that has imported torch, else spawned)
   that builds the data, warms torch up on a tiny unrelated fit, resets the
   kernel's peak-RSS mark (``/proc/self/clear_refs``, Linux; elsewhere
   ``ru_maxrss``, whose mark cannot be reset, so growth is measured from the
   peak so far), and reports ``VmHWM - VmRSS`` around fit and around predict.
2. **sample_weight overhead.** ``MLPClassifier`` and ``SoftmaxClassifier`` fit
   with ``sample_weight=np.ones(n)`` and without, on the same dense float32
   data (default 20,000 x 100, 5 classes). Ones give the same objective, so the
   ratio is the pure cost of the weighted path; the share of equal predictions
   is shown as a check.
3. **float64 vs float32 input.** ``MLPClassifier`` fit on the data of 2. as
   float64 and as float32: float64 X trains in float64 (issue 14), so the
   ratio is the cost of double precision.

Every MLP fit runs a fixed number of epochs (``--epochs``; ``n_iter_no_change``
above it, so the stopping rule never ends a fit early and both sides do the
same work); the estimators are otherwise at their defaults. Fairness: both
sides of every comparison use the same data and the same thread count
(``--threads``: torch and BLAS via threadpoolctl, in the parent and in every
child), in a rotating order (repeat r starts with contender r mod k); times
are medians over ``--repeats``. The markdown table is written by this script.

    python benchmarks/input_costs.py                  # RESULTS_input_costs.md
    python benchmarks/input_costs.py --quick --out -  # tiny sizes, stdout only
"""

from __future__ import annotations

import argparse
import datetime
import gc
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

SPARSE_CONTENDERS = ("MLPClassifier, CSR X", "MLPClassifier, dense X")
WEIGHT_CONTENDERS = ("MLPClassifier", "MLPClassifier, sample_weight=ones",
                     "SoftmaxClassifier", "SoftmaxClassifier, sample_weight=ones")
DTYPE_CONTENDERS = ("MLPClassifier, float32 X", "MLPClassifier, float64 X")
RATIOS = (
    "sparse / dense: fit time",
    "sparse / dense: predict time",
    "sparse / dense: fit peak RSS growth",
    "sparse / dense: predict peak RSS growth",
    "sparse / dense: input size",
    "sparse / dense: input + fit peak RSS growth",
    "MLPClassifier: sample_weight / none, fit time",
    "SoftmaxClassifier: sample_weight / none, fit time",
    "MLPClassifier: float64 / float32, fit time",
)

MiB = 2.0**20
# what a first fit imports (skorch, and torch's lazy sympy/dynamo parts via the
# optimizers): imported once in the forkserver, not in every child's timings
PRELOAD = ["numpy", "scipy.sparse", "scipy.optimize", "pandas", "sympy", "torch",
           "torch._dynamo", "skorch", "sklearn.neural_network", "sklearn_dl"]


# ---------------------------------------------------------------- helpers

def set_threads(n):
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(n)
    return threadpool_limits(n)


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _status_kib(field):
    """``VmRSS``/``VmHWM`` of this process in KiB (Linux), or None."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


class PeakRSS:
    """Peak resident-memory growth of this process over a block of code."""

    def __enter__(self):
        gc.collect()
        self.resettable = False
        try:  # "5" resets the peak RSS mark (Linux >= 4.0)
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self.resettable = _status_kib("VmHWM") is not None
        except OSError:
            pass
        if self.resettable:
            self.start = _status_kib("VmRSS")
        else:  # ru_maxrss: KiB on Linux, bytes on macOS
            self.start = self._maxrss()
        return self

    @staticmethod
    def _maxrss():
        r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return r // 1024 if sys.platform == "darwin" else r

    def __exit__(self, *exc):
        end = _status_kib("VmHWM") if self.resettable else self._maxrss()
        self.growth_bytes = max(0, end - self.start) * 1024
        return False


def planted_labels(X, n_classes, rng):
    """Labels from a random linear rule, so the models have something to learn."""
    W = rng.standard_normal((X.shape[1], n_classes)).astype(np.float32)
    scores = np.asarray(X @ W)
    scores -= scores.mean(axis=0)
    return scores.argmax(axis=1)


def fixed_epochs(epochs):
    """Parameters that make an MLP run exactly ``epochs`` epochs."""
    return dict(max_iter=epochs, n_iter_no_change=epochs + 1, random_state=0)


def sparse_data(cfg):
    import scipy.sparse as sp

    rng = np.random.default_rng(cfg["seed"])
    X = sp.random(cfg["rows"], cfg["features"], density=cfg["density"], format="csr",
                  dtype=np.float32, random_state=rng)
    y = planted_labels(X, cfg["classes"], rng)
    return X, y


# ---------------------------------------------------------------- part 1: one child per run

def sparse_child(kind, cfg, threads):
    """Run one contender of part 1 in this (fresh) process; return its numbers."""
    with set_threads(threads):
        from sklearn.exceptions import ConvergenceWarning

        from sklearn_dl import MLPClassifier

        warnings.simplefilter("ignore", ConvergenceWarning)
        X, y = sparse_data(cfg)
        if kind == "sparse":
            nbytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
        else:
            X = X.toarray()
            nbytes = X.nbytes
        gc.collect()
        # warm torch up (first-call costs) on a tiny unrelated problem
        warm = np.random.default_rng(1).standard_normal((64, 8)).astype(np.float32)
        MLPClassifier(hidden_layer_sizes=(4,), **fixed_epochs(1)).fit(warm, np.arange(64) % 2)
        clf = MLPClassifier(**fixed_epochs(cfg["epochs"]))
        with PeakRSS() as fit_mem:
            t0 = time.perf_counter()
            clf.fit(X, y)
            fit_s = time.perf_counter() - t0
        with PeakRSS() as pred_mem:
            t0 = time.perf_counter()
            pred = clf.predict(X)
            predict_s = time.perf_counter() - t0
        return dict(fit_s=fit_s, predict_s=predict_s, fit_mem=fit_mem.growth_bytes,
                    predict_mem=pred_mem.growth_bytes, input_bytes=nbytes,
                    accuracy=float(np.mean(pred == y)), resettable=fit_mem.resettable)


def child_context():
    """Fresh processes for part 1: forked from a server that has torch imported.

    A forkserver child is a new process (its own memory and peak-RSS mark)
    without the seconds of importing torch; where there is no forkserver,
    'spawn'.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


def run_sparse(cfg, threads, repeats):
    from concurrent.futures import ProcessPoolExecutor

    ctx = child_context()
    kinds = ("sparse", "dense")
    runs = {k: [] for k in kinds}
    for r in range(repeats):
        for i in range(len(kinds)):
            kind = kinds[(r + i) % len(kinds)]
            with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
                runs[kind].append(pool.submit(sparse_child, kind, cfg, threads).result())
    med = {}
    for kind, name in zip(kinds, SPARSE_CONTENDERS):
        rs = runs[kind]
        med[name] = {key: statistics.median(r[key] for r in rs)
                     for key in ("fit_s", "predict_s", "fit_mem", "predict_mem",
                                 "input_bytes", "accuracy")}
        med[name]["resettable"] = all(r["resettable"] for r in rs)
    return med


# ---------------------------------------------------------------- parts 2 and 3: in process

def rotated(contenders, repeats):
    """Call every contender ``repeats`` times, rotating the start; median seconds."""
    times = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(repeats):
        for i in range(len(names)):
            name = names[(r + i) % len(names)]
            t0 = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def run_dense_parts(cfg, repeats):
    from sklearn.exceptions import ConvergenceWarning

    from sklearn_dl import MLPClassifier, SoftmaxClassifier

    warnings.simplefilter("ignore", ConvergenceWarning)
    rng = np.random.default_rng(cfg["seed"])
    X32 = rng.standard_normal((cfg["dense_rows"], cfg["dense_features"])).astype(np.float32)
    y = planted_labels(X32, cfg["classes"], rng)
    X64 = X32.astype(np.float64)
    ones = np.ones(len(y))
    epochs = cfg["epochs"]

    def mlp():
        return MLPClassifier(**fixed_epochs(epochs))

    def softmax():  # its default is 10 epochs; keep them fixed as well
        se = cfg["softmax_epochs"]
        return SoftmaxClassifier(max_iter=se, n_iter_no_change=se + 1, random_state=0)

    # warm-up: first-call costs out of the timings
    mlp().fit(X32[:256], y[:256])
    softmax().fit(X32[:256], y[:256], sample_weight=ones[:256])

    fitted = {}

    def fit(name, make, X, **kw):
        def call():
            fitted[name] = make().fit(X, y, **kw)
        return call

    weights = rotated({
        WEIGHT_CONTENDERS[0]: fit(WEIGHT_CONTENDERS[0], mlp, X32),
        WEIGHT_CONTENDERS[1]: fit(WEIGHT_CONTENDERS[1], mlp, X32, sample_weight=ones),
        WEIGHT_CONTENDERS[2]: fit(WEIGHT_CONTENDERS[2], softmax, X32),
        WEIGHT_CONTENDERS[3]: fit(WEIGHT_CONTENDERS[3], softmax, X32, sample_weight=ones),
    }, repeats)
    agree = {
        WEIGHT_CONTENDERS[1]: float(np.mean(fitted[WEIGHT_CONTENDERS[0]].predict(X32)
                                            == fitted[WEIGHT_CONTENDERS[1]].predict(X32))),
        WEIGHT_CONTENDERS[3]: float(np.mean(fitted[WEIGHT_CONTENDERS[2]].predict(X32)
                                            == fitted[WEIGHT_CONTENDERS[3]].predict(X32))),
    }
    dtypes = rotated({
        DTYPE_CONTENDERS[0]: fit(DTYPE_CONTENDERS[0], mlp, X32),
        DTYPE_CONTENDERS[1]: fit(DTYPE_CONTENDERS[1], mlp, X64),
    }, repeats)
    coef_dtypes = {name: str(fitted[name].coefs_[0].dtype) for name in DTYPE_CONTENDERS}
    return weights, agree, dtypes, coef_dtypes


# ---------------------------------------------------------------- report

def report(args, cfg, header, sparse, weights, agree, dtypes, coef_dtypes):
    s, d = (sparse[n] for n in SPARSE_CONTENDERS)

    def ratio(a, b):
        return a / b if b > 0 else float("nan")

    ratios = {
        RATIOS[0]: ratio(s["fit_s"], d["fit_s"]),
        RATIOS[1]: ratio(s["predict_s"], d["predict_s"]),
        RATIOS[2]: ratio(s["fit_mem"], d["fit_mem"]),
        RATIOS[3]: ratio(s["predict_mem"], d["predict_mem"]),
        RATIOS[4]: ratio(s["input_bytes"], d["input_bytes"]),
        RATIOS[5]: ratio(s["input_bytes"] + s["fit_mem"], d["input_bytes"] + d["fit_mem"]),
        RATIOS[6]: ratio(weights[WEIGHT_CONTENDERS[1]], weights[WEIGHT_CONTENDERS[0]]),
        RATIOS[7]: ratio(weights[WEIGHT_CONTENDERS[3]], weights[WEIGHT_CONTENDERS[2]]),
        RATIOS[8]: ratio(dtypes[DTYPE_CONTENDERS[1]], dtypes[DTYPE_CONTENDERS[0]]),
    }
    mem_note = ("`/proc/self/clear_refs` + `VmHWM - VmRSS`" if s["resettable"] and d["resettable"]
                else "`ru_maxrss` growth (peak mark not resettable here)")
    lines = [*header, "",
             f"## 1. Sparse X vs densified: MLPClassifier, {cfg['rows']:,} x {cfg['features']:,} CSR "
             f"float32 at density {cfg['density']:g}, {cfg['classes']} classes, {cfg['epochs']} epochs",
             "",
             f"Medians of {args.repeats} runs per contender, each in a fresh child process; "
             f"memory: peak resident growth over the call ({mem_note}).",
             "",
             "| contender | input size (MiB) | fit (s) | predict (s) | fit peak RSS growth (MiB) "
             "| predict peak RSS growth (MiB) | training accuracy |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name in SPARSE_CONTENDERS:
        r = sparse[name]
        lines.append(f"| {name} | {r['input_bytes'] / MiB:.1f} | {r['fit_s']:.3f} | {r['predict_s']:.3f} "
                     f"| {r['fit_mem'] / MiB:.1f} | {r['predict_mem'] / MiB:.1f} | {r['accuracy']:.4f} |")
    lines += ["",
              f"## 2. sample_weight=ones vs none, and 3. float64 vs float32 X: "
              f"{cfg['dense_rows']:,} x {cfg['dense_features']} dense, {cfg['classes']} classes",
              "",
              f"In this process, medians of {args.repeats} fits, rotated order. MLPClassifier: "
              f"{cfg['epochs']} epochs; SoftmaxClassifier: {cfg['softmax_epochs']} epochs "
              "(10 is its default), solver 'adam'.",
              "",
              "| contender | fit (s) | predictions equal to the unweighted fit's | coefs_ dtype |",
              "|---|---:|---:|---|"]
    for name in WEIGHT_CONTENDERS:
        eq = f"{agree[name]:.4f}" if name in agree else ""
        lines.append(f"| {name} | {weights[name]:.3f} | {eq} | |")
    for name in DTYPE_CONTENDERS:
        lines.append(f"| {name} | {dtypes[name]:.3f} | | {coef_dtypes[name]} |")
    lines += ["", "## Ratios", "", "| ratio | value |", "|---|---:|"]
    for name in RATIOS:
        lines.append(f"| {name} | {ratios[name]:.3f} |")
    return "\n".join(lines) + "\n", ratios


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes (seconds), for the smoke test")
    p.add_argument("--repeats", type=int, default=None, help="runs per contender (default 3; quick 2)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch/BLAS threads for every contender (default 1: shared cores)")
    p.add_argument("--rows", type=int, default=None)
    p.add_argument("--features", type=int, default=None)
    p.add_argument("--density", type=float, default=None)
    p.add_argument("--classes", type=int, default=5)
    p.add_argument("--epochs", type=int, default=None, help="MLP epochs per fit (default 2; quick 1)")
    p.add_argument("--out", default=str(HERE / "RESULTS_input_costs.md"),
                   help="markdown file to write ('-': print only)")
    args = p.parse_args(argv)
    if args.repeats is None:
        args.repeats = 2 if args.quick else 3
    cfg = dict(
        seed=0, classes=args.classes,
        rows=args.rows or (2_000 if args.quick else 20_000),
        features=args.features or (2_000 if args.quick else 20_000),
        density=args.density or (0.01 if args.quick else 0.002),
        dense_rows=1_000 if args.quick else 20_000,
        dense_features=100,
        epochs=args.epochs or (1 if args.quick else 2),
        softmax_epochs=2 if args.quick else 10,
    )
    for key in ("rows", "features", "classes", "epochs"):
        if cfg[key] < (2 if key == "classes" else 1):
            p.error(f"--{key} must be positive (classes at least 2), got {cfg[key]}")
    if not 0 < cfg["density"] <= 1:
        p.error(f"--density must be in (0, 1], got {cfg['density']}")
    if args.repeats < 1 or args.threads < 1:
        p.error("--repeats and --threads must be at least 1")

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    import sklearn
    import torch

    header = [
        "# Input costs: sparse X, sample_weight, float64 (generated by benchmarks/input_costs.py)",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
        f"- CPU: {cpu_model()} ({os.cpu_count()} logical cores); threads per contender: {args.threads}",
        f"- load average at start (1, 5, 15 min): {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}"
        " (the cores are shared: timings under load are noisy)",
        f"- Python {platform.python_version()}, torch {torch.__version__}, scikit-learn {sklearn.__version__}",
        f"- command: `python benchmarks/input_costs.py {' '.join(argv if argv is not None else sys.argv[1:])}`",
    ]
    sparse = run_sparse(cfg, args.threads, args.repeats)
    with set_threads(args.threads):
        weights, agree, dtypes, coef_dtypes = run_dense_parts(cfg, args.repeats)
    text, ratios = report(args, cfg, header, sparse, weights, agree, dtypes, coef_dtypes)
    print(text)
    if args.out != "-":
        Path(args.out).write_text(text)
    return ratios


if __name__ == "__main__":
    main()
