"""Side-by-side benchmarks: sklearn_dl against skorch, scikit-learn and a hand loop.

One command runs every case with every contender in this process, on the
same arrays, interleaving the contenders in a balanced order (a Williams
Latin square: over one square of repeats each contender runs once in each
position and right after each other contender once), so that a noisy
machine and what ran just before slow all of them alike. Every contender of
a case runs on the same number of threads (the number sklearn_dl picks for
that model and batch) and torch contenders use the fused optimizer kernels.
It writes ``RESULTS.md`` (tables, ratios,
targets met or missed) and ``results.json`` next to this file::

    python benchmarks/run.py                  # every case (about 10 minutes)
    python benchmarks/run.py --quick          # tiny data, seconds
    python benchmarks/run.py --cases 1,3 --repeats 5 --threads 1

Contenders (see ``--help`` and RESULTS.md for each case's exact recipe):

- ``sklearn_dl``: this package's estimator;
- ``skorch``: ``NeuralNetClassifier``/``NeuralNetRegressor`` with the same
  module, optimizer, learning rate, batch size and loss, skorch's default
  ``DataLoader`` path, ``train_split=None`` (no internal validation split,
  which our estimators do not make either) and ``iterator_train__shuffle=True``;
- ``scikit-learn``: the estimator that fits the same model (MLPClassifier,
  LogisticRegression, Ridge);
- ``hand loop``: the plain torch loop a user writes (``X[perm[i:i+bs]]``,
  ``zero_grad/backward/step``) with the best settings a user could pick: the
  fused SGD/Adam kernel (as sklearn_dl uses) and the same thread count as
  sklearn_dl: the floor our overhead is measured against;
- the machine's matrix-multiply rate (the ceiling): the fraction of it the
  MLP epochs reach.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime
import io
import json
import math
import os
import platform
import pstats
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

TARGETS_DOC = {
    1: "seconds per epoch <= 1.15x the hand loop and <= 0.7x skorch",
    2: "at its defaults: >= 0.845 test accuracy, fit in <= 0.25x LogisticRegression(max_iter=200)'s time",
    3: "whole fit <= 0.4x skorch",
    4: "slope of log(time per epoch) on log(rows) in [0.9, 1.1]; peak memory <= 2x the data",
    5: "1-row predict median <= 0.3 ms",
    6: ">= 0.895 test accuracy",
    7: "cases 1, 4 and 6 on a CUDA GPU",
}


# --------------------------------------------------------------------------
# Settings and timing
# --------------------------------------------------------------------------
class Settings:
    """What a run does: sizes (full or quick), repeats, device (threads: see main)."""

    def __init__(self, quick=False, repeats=None, heavy_repeats=None, device="cpu",
                 profile=False):
        self.quick = quick
        # None: one balanced square (as many repeats as the case has contenders,
        # twice that for an odd number); --quick: one run, which checks the harness only
        self.repeats = repeats or (1 if quick else None)
        self.heavy_repeats = heavy_repeats or (1 if quick else None)
        self.device = device
        self.profile = profile


def _sync(device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def interleave(contenders, repeats, device="cpu", threads=None):
    """Time each contender ``repeats`` times in a balanced order.

    ``contenders`` maps a name to a function returning a dict of extra
    measurements (accuracy, ...) or None; a callable value is called after
    the clock stops (scoring on the test set is not part of the fit time).
    ``repeats`` None means one full balanced square (:func:`balanced_orders`).
    ``threads``: torch and BLAS threads for every contender (None: as set), or
    a dict name -> threads.
    Returns, per name, the wall and process-CPU seconds of every run and the
    extras of the last run, and under the key ``None`` nothing: the orders
    used are in each record's ``orders``.
    """
    names = list(contenders)
    square = balanced_orders(len(names))
    repeats = len(square) if repeats is None else repeats
    orders = [[names[i] for i in square[r % len(square)]] for r in range(repeats)]
    out = {name: {"wall": [], "cpu": [], "extra": {}} for name in contenders}
    per_name = threads if isinstance(threads, dict) else dict.fromkeys(names, threads)
    for order in orders:
        for name in order:
            with limited_threads(per_name.get(name)):
                _sync(device)
                c0, t0 = time.process_time(), time.perf_counter()
                extra = contenders[name]()
                _sync(device)
                t1, c1 = time.perf_counter(), time.process_time()
                out[name]["extra"] = {k: v() if callable(v) else v
                                      for k, v in (extra or {}).items()}
            out[name]["wall"].append(t1 - t0)
            out[name]["cpu"].append(c1 - c0)
    for name, rec in out.items():
        _summarise(rec)
        rec["orders"] = orders
        rec["threads"] = per_name.get(name) or torch.get_num_threads()
    return out


def balanced_orders(n):
    """Rows of a Williams Latin square over ``n`` contenders (indices).

    Over the rows, each contender runs once in every position and runs
    right after every other contender once (``n`` rows for even ``n``,
    ``2n`` for odd ``n``): what runs just before matters (scikit-learn's
    OpenBLAS threads keep spinning after a call and slow the next one), so
    no contender is always behind the same one.
    """
    if n == 1:
        return [[0]]
    first, lo, hi = [0], 1, n - 1
    while len(first) < n:
        first.append(lo)
        lo += 1
        if len(first) < n:
            first.append(hi)
            hi -= 1
    rows = [[(c + r) % n for c in first] for r in range(n)]
    if n % 2:
        rows += [row[::-1] for row in rows]
    return rows


@contextlib.contextmanager
def limited_threads(n):
    """Run with ``n`` torch intra-op threads and ``n`` BLAS/OpenMP threads (None: unchanged)."""
    if not n:
        yield
        return
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(n):
            yield
    finally:
        torch.set_num_threads(before)


def threads_of_ours(module, rows, device="cpu"):
    """The torch thread count sklearn_dl runs ``module`` with for batches of ``rows``.

    sklearn_dl drops to one thread for small all-Linear modules (see
    ``sklearn_dl._base._few_threads_if_small``); every other contender of the
    case gets the same count, so that no one is timed with a handicap.
    """
    from sklearn_dl._base import _few_threads_if_small

    with _few_threads_if_small(module, rows, device):
        return torch.get_num_threads()


def fused(optimizer_cls):
    """``optimizer_cls`` with torch's fused kernel (as sklearn_dl uses), for the hand loop."""
    return lambda params, **kw: optimizer_cls(params, fused=True, **kw)


def _threads_text(results):
    counts = sorted({rec.get("threads") for rec in results.values()} - {None})
    return "every contender on " + "/".join(map(str, counts)) + " thread(s)"


def _summarise(rec):
    wall = rec["wall"]
    rec["median"] = statistics.median(wall)
    rec["min"], rec["max"] = min(wall), max(wall)
    rec["cpu_median"] = statistics.median(rec["cpu"]) if rec["cpu"] else None
    return rec


def per_unit(rec, units):
    """Rescale a timing record to seconds per unit (epochs, calls)."""
    rec = dict(rec)
    rec["wall"] = [w / units for w in rec["wall"]]
    rec["cpu"] = [c / units for c in rec["cpu"]]
    return _summarise(rec)


def profile_call(fn, top=15):
    """Top functions by own time of one call of ``fn`` (cProfile)."""
    prof = cProfile.Profile()
    prof.runcall(fn)
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls")), 0)
    return "\n".join(lines[start:start + top + 1])


def peak_memory_during(fn, device="cpu"):
    """``(result, extra bytes)``: peak memory above the level before ``fn``.

    CUDA: torch's peak allocated bytes. CPU, Linux only: resets the kernel's
    resident-memory high-water mark (``/proc/self/clear_refs``) and reads
    ``VmHWM`` afterwards; None elsewhere.
    """
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        result = fn()
        torch.cuda.synchronize()
        return result, max(0, torch.cuda.max_memory_allocated() - before)
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return fn(), None
    before = _proc_status("VmRSS")
    result = fn()
    return result, max(0, _proc_status("VmHWM") - before)


def _proc_status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------
_CACHE = {}


def fashion(settings):
    """Fashion-MNIST as float32 pixels in [0, 1], labels int64; a subset with --quick."""
    if "fashion" not in _CACHE:
        from sklearn_dl.datasets import load_fashion_mnist

        X, y = load_fashion_mnist("train", return_X_y=True)
        Xt, yt = load_fashion_mnist("test", return_X_y=True)
        # Real in-memory arrays (contiguous copies of what the loader gives),
        # the same objects for every contender.
        _CACHE["fashion"] = tuple(np.ascontiguousarray(a) for a in (X, y, Xt, yt))
    X, y, Xt, yt = _CACHE["fashion"]
    if settings.quick:
        return X[:2000], y[:2000], Xt[:1000], yt[:1000]
    return X, y, Xt, yt


def house_features():
    """The seed's Day-12 features of the 1460 training houses and their prices.

    Numeric columns standardised with NaN as 0, the others one-hot with NaN
    as a category (pandas ``get_dummies``): 1460 x 330 float32.
    """
    if "house" not in _CACHE:
        from sklearn_dl.datasets import load_house_prices

        df = load_house_prices("train").drop(columns="Id")
        y = df.pop("SalePrice").to_numpy(np.float32)
        num = df.select_dtypes("number").columns
        df[num] = ((df[num] - df[num].mean()) / df[num].std()).fillna(0)
        X = np.ascontiguousarray(__import__("pandas").get_dummies(df, dummy_na=True)
                                 .to_numpy(np.float32))
        _CACHE["house"] = (X, y)
    return _CACHE["house"]


def synthetic_classification(n, d=100, k=10, seed=0):
    """``n`` rows of ``d`` float32 Gaussian features, ``k`` classes from a noisy linear map."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((d, k)).astype(np.float32)
    X = rng.standard_normal((n, d), dtype=np.float32)
    y = np.empty(n, dtype=np.int64)
    for s in range(0, n, 100_000):  # chunks keep the logits' memory small
        logits = X[s:s + 100_000] @ W
        logits += rng.standard_normal(logits.shape, dtype=np.float32)
        y[s:s + 100_000] = logits.argmax(1)
    return X, y


# --------------------------------------------------------------------------
# Contenders: the hand loop and skorch
# --------------------------------------------------------------------------
def mlp_module(n_in, hidden, n_out, dropout=0.0, seed=0):
    """``nn.Sequential`` Linear-ReLU(-Dropout)...-Linear, torch's default init."""
    torch.manual_seed(seed)
    layers, fan_in = [], n_in
    for units in hidden:
        layers += [nn.Linear(fan_in, units), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        fan_in = units
    layers.append(nn.Linear(fan_in, n_out))
    return nn.Sequential(*layers)


def hand_loop(module, X, y, *, loss_fn, make_optimizer, batch_size, epochs, seed=0,
              make_scheduler=None, device="cpu", epoch_times=None):
    """The plain torch training loop: shuffle, slice, forward, backward, step.

    ``epoch_times``, a list, receives the seconds of each epoch.
    """
    torch.manual_seed(seed)
    module = module.to(device)
    Xt = torch.from_numpy(X).to(device)
    yt = torch.from_numpy(y).to(device)
    optimizer = make_optimizer(module.parameters())
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    n = len(Xt)
    module.train()
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n, device=device)
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(module(Xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
        if epoch_times is not None:
            _sync(device)
            epoch_times.append(time.perf_counter() - t0)
    return module


def torch_accuracy(module, X, y, device="cpu"):
    module.eval()
    with torch.inference_mode():
        pred = module(torch.from_numpy(X).to(device)).argmax(1).cpu().numpy()
    return float((pred == y).mean())


def skorch_classifier(module, *, optimizer, lr, batch_size, epochs, device="cpu",
                      callbacks=(), **kwargs):
    """skorch's classifier with the same recipe, and the fused optimizer kernel."""
    from skorch import NeuralNetClassifier

    return NeuralNetClassifier(
        module, criterion=nn.CrossEntropyLoss, optimizer=optimizer, lr=lr,
        batch_size=batch_size, max_epochs=epochs, train_split=None,
        iterator_train__shuffle=True, device=device, verbose=0,
        callbacks=list(callbacks), optimizer__fused=True, **kwargs)


def one_cycle_callback(max_lr, total_steps):
    from skorch.callbacks import LRScheduler

    return LRScheduler(torch.optim.lr_scheduler.OneCycleLR, max_lr=max_lr,
                       total_steps=total_steps, step_every="batch")


# --------------------------------------------------------------------------
# The ceiling: measured matrix-multiply rate
# --------------------------------------------------------------------------
def matmul_flops(device="cpu", quick=False):
    """Best measured float32 matmul rate (FLOP/s) over the MLP's shapes and a square one."""
    shapes = [(256, 784, 256), (256, 256, 784), (784, 256, 256), (256, 784, 512),
              (2048, 2048, 2048)]
    if quick:
        shapes = shapes[:1] + [(512, 512, 512)]
    best = {}
    for m, k, n in shapes:
        a = torch.randn(m, k, device=device)
        b = torch.randn(k, n, device=device)
        for _ in range(3):
            a @ b
        reps = max(3, int(2e9 / (2 * m * k * n))) if not quick else 3
        _sync(device)
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(reps):
                a @ b
            _sync(device)
            times.append((time.perf_counter() - t0) / reps)
        best[f"{m}x{k}@{k}x{n}"] = 2 * m * k * n / min(times)
    return max(best.values()), best


def mlp_train_flops(n_rows, sizes):
    """FLOPs of one epoch of an MLP: forward, weight gradients, input gradients
    of every layer but the first (2 FLOPs per multiply-add)."""
    fwd = sum(2 * a * b for a, b in zip(sizes[:-1], sizes[1:]))
    bwd_input = sum(2 * a * b for a, b in zip(sizes[1:-1], sizes[2:]))
    return n_rows * (2 * fwd + bwd_input)


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------
def case1(settings, device=None):
    """Fashion-MNIST MLP 784-256-10, SGD lr 0.1 (no momentum), batch 256."""
    from sklearn.neural_network import MLPClassifier as SkMLP
    from sklearn_dl import MLPClassifier

    device = device or settings.device
    X, y, Xt, yt = fashion(settings)
    epochs = 1 if settings.quick else 10
    bs, lr = 256, 0.1

    def ours():
        clf = MLPClassifier((256,), solver="sgd", learning_rate_init=lr, momentum=0.0,
                            batch_size=bs, alpha=0.0, max_iter=epochs, n_iter_no_change=np.inf,
                            random_state=0, device=device)
        with _quiet():
            clf.fit(X, y)
        return {"test_accuracy": lambda: clf.score(Xt, yt)}

    def hand():
        module = hand_loop(mlp_module(784, (256,), 10), X, y, loss_fn=nn.CrossEntropyLoss(),
                           make_optimizer=lambda p: torch.optim.SGD(p, lr=lr, fused=True),
                           batch_size=bs, epochs=epochs, device=device)
        return {"test_accuracy": lambda: torch_accuracy(module, Xt, yt, device)}

    def skorch():
        net = skorch_classifier(mlp_module(784, (256,), 10), optimizer=torch.optim.SGD, lr=lr,
                                batch_size=bs, epochs=epochs, device=device)
        net.fit(X, y)
        return {"test_accuracy": lambda: net.score(Xt, yt)}

    def sklearn():
        clf = SkMLP((256,), solver="sgd", learning_rate_init=lr, momentum=0.0, batch_size=bs,
                    alpha=0.0, max_iter=epochs, n_iter_no_change=epochs + 1, tol=0.0,
                    random_state=0)
        with _quiet():
            clf.fit(X, y)
        return {"test_accuracy": lambda: clf.score(Xt, yt)}

    contenders = {"sklearn_dl": ours, "hand loop": hand, "skorch": skorch}
    if not str(device).startswith("cuda"):
        contenders["scikit-learn"] = sklearn
    threads = threads_of_ours(mlp_module(784, (256,), 10), bs, device)
    raw = interleave(contenders, settings.repeats, device, threads=threads)
    results = {name: per_unit(rec, epochs) for name, rec in raw.items()}
    peak, rates = matmul_flops(device, settings.quick)
    flops = mlp_train_flops(len(X), (784, 256, 10))
    ceiling = {"matmul_flops_per_s": peak, "matmul_rates": rates, "epoch_flops": flops,
               "ceiling_s_per_epoch": flops / peak}
    for rec in results.values():
        rec["extra"]["fraction_of_matmul_peak"] = flops / rec["median"] / peak
    ours_s, hand_s, sk_s = (results[k]["median"] for k in ("sklearn_dl", "hand loop", "skorch"))
    return dict(
        title="Fashion-MNIST MLP 784-256-10, SGD lr 0.1, batch 256",
        unit="s per epoch",
        recipe=(f"{epochs} epochs on {len(X)} rows, momentum 0, alpha 0, CrossEntropyLoss, "
                "torch default init; fused SGD for every torch contender; "
                f"{_threads_text(results)}; time = whole fit / epochs; accuracy on the test set"),
        results=results, ceiling=ceiling,
        targets=[
            _target("s/epoch vs hand loop", ours_s / hand_s, 1.15),
            _target("s/epoch vs skorch", ours_s / sk_s, 0.7),
        ],
        profile=profile_call(ours) if settings.profile else None,
    )


def _softmax_recipe():
    """The SoftmaxClassifier defaults that case 2 measures (read from the estimator)."""
    from sklearn_dl import SoftmaxClassifier

    est = SoftmaxClassifier()
    params = est.get_params()
    recipe = {k: params[k] for k in ("solver", "learning_rate", "learning_rate_init",
                                     "batch_size", "max_iter", "alpha", "n_iter_no_change")}
    recipe["max_iter"] = est._param("max_iter")  # max_iter=None: the default solver's epochs
    return recipe


def case2(settings):
    """Fashion-MNIST softmax regression at its defaults: fit time and test accuracy."""
    from sklearn.linear_model import LogisticRegression
    from sklearn_dl import SoftmaxClassifier

    X, y, Xt, yt = fashion(settings)
    recipe = _softmax_recipe()
    epochs = recipe["max_iter"]
    bs = recipe["batch_size"]
    if bs == "auto":  # the hand loop uses the batch size the estimator picks
        bs = min(len(X), SoftmaxClassifier()._auto_batch_size(len(X)))
    lr = recipe["learning_rate_init"]
    one_cycle = recipe["learning_rate"] == "one_cycle"
    lr_max_iter = 20 if settings.quick else 200

    def ours():
        with _quiet():
            clf = SoftmaxClassifier(random_state=0, device="cpu").fit(X, y)
        return {"test_accuracy": lambda: clf.score(Xt, yt), "epochs": clf.n_iter_}

    def sched(opt):
        steps = math.ceil(len(X) / bs) * epochs
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)

    def hand():
        module = hand_loop(mlp_module(784, (), 10), X, y, loss_fn=nn.CrossEntropyLoss(),
                           make_optimizer=lambda p: torch.optim.Adam(p, lr=lr, fused=True),
                           make_scheduler=sched if one_cycle else None,
                           batch_size=bs, epochs=epochs)
        return {"test_accuracy": lambda: torch_accuracy(module, Xt, yt)}

    def skorch():
        callbacks = [one_cycle_callback(lr, math.ceil(len(X) / bs) * epochs)] if one_cycle else []
        net = skorch_classifier(mlp_module(784, (), 10), optimizer=torch.optim.Adam, lr=lr,
                                batch_size=bs, epochs=epochs, callbacks=callbacks)
        net.fit(X, y)
        return {"test_accuracy": lambda: net.score(Xt, yt)}

    def sklearn():
        with _quiet():
            clf = LogisticRegression(max_iter=lr_max_iter).fit(X, y)
        return {"test_accuracy": lambda: clf.score(Xt, yt), "iterations": int(clf.n_iter_.max())}

    reps = settings.heavy_repeats
    threads = threads_of_ours(mlp_module(784, (), 10), bs)
    results = interleave({"sklearn_dl": ours, "hand loop": hand, "skorch": skorch,
                          "scikit-learn": sklearn}, reps, threads=threads)
    ours_rec, sk_rec = results["sklearn_dl"], results["scikit-learn"]
    acc = ours_rec["extra"]["test_accuracy"]
    ratio = ours_rec["median"] / sk_rec["median"]
    return dict(
        title="Fashion-MNIST softmax regression at its defaults: fit time and test accuracy",
        unit="s per fit",
        recipe=(f"SoftmaxClassifier() with its defaults {recipe} (chosen on a validation "
                "split of the training data: benchmarks/softmax_defaults.py); the hand loop "
                f"and skorch run the same optimizer (fused Adam), schedule, batch size ({bs}) "
                "and epochs, without the L2 penalty; against "
                f"LogisticRegression(max_iter={lr_max_iter}) (lbfgs), whatever accuracy it "
                f"reaches; {_threads_text(results)}; {len(X)} training rows. Each contender's "
                "fit is timed whole, not to a target accuracy"),
        results=results,
        targets=[_target("test accuracy", acc, 0.845, higher=True),
                 _target("fit time vs LogisticRegression", ratio, 0.25)],
        profile=profile_call(ours) if settings.profile else None,
    )


def case3(settings):
    """House-price features, linear model, Adam, batch 64: whole-fit time."""
    from sklearn.linear_model import Ridge
    from skorch import NeuralNetRegressor
    from sklearn_dl import LinearRegressorNN
    from sklearn_dl.metrics import log_rmse as _log_rmse

    X, y = house_features()
    epochs = 10 if settings.quick else 100
    bs, lr = 64, 5.0  # the seed's Day 12 recipe: Adam lr 5 on raw prices

    def log_rmse(pred):
        return _log_rmse(y, np.asarray(pred, dtype=np.float64).ravel())

    def ours():
        reg = LinearRegressorNN(solver="adam", learning_rate_init=lr, batch_size=bs,
                                max_iter=epochs, n_iter_no_change=np.inf, random_state=0,
                                device="cpu")
        with _quiet():
            reg.fit(X, y)
        return {"train_log_rmse": lambda: log_rmse(reg.predict(X))}

    def hand():
        module = hand_loop(nn.Linear(X.shape[1], 1), X, y.reshape(-1, 1), loss_fn=nn.MSELoss(),
                           make_optimizer=lambda p: torch.optim.Adam(p, lr=lr, fused=True),
                           batch_size=bs, epochs=epochs)

        def score():
            with torch.inference_mode():
                return log_rmse(module(torch.from_numpy(X)).numpy())
        return {"train_log_rmse": score}

    def skorch():
        torch.manual_seed(0)
        net = NeuralNetRegressor(nn.Linear(X.shape[1], 1), optimizer=torch.optim.Adam, lr=lr,
                                 batch_size=bs, max_epochs=epochs, train_split=None,
                                 iterator_train__shuffle=True, verbose=0,
                                 optimizer__fused=True)
        net.fit(X, y.reshape(-1, 1))
        return {"train_log_rmse": lambda: log_rmse(net.predict(X))}

    def sklearn():
        reg = Ridge(alpha=1.0).fit(X, y)
        return {"train_log_rmse": lambda: log_rmse(reg.predict(X))}

    threads = threads_of_ours(nn.Linear(X.shape[1], 1), bs)
    results = interleave({"sklearn_dl": ours, "hand loop": hand, "skorch": skorch,
                          "scikit-learn": sklearn}, settings.repeats, threads=threads)
    ratio = results["sklearn_dl"]["median"] / results["skorch"]["median"]
    hand_ratio = results["sklearn_dl"]["median"] / results["hand loop"]["median"]
    return dict(
        title="House prices (1460 x %d one-hot), linear model, Adam, batch 64" % X.shape[1],
        unit="s per fit",
        recipe=(f"{epochs} epochs, Adam lr {lr} on raw prices (the seed's Day 12), MSE "
                "(ours: half MSE, the same Adam steps), fused Adam for every torch contender; "
                "scikit-learn: Ridge(alpha=1), the closed-form fit of the same linear model "
                f"(a different, exact method: faster and a better fit); {_threads_text(results)}"),
        results=results,
        targets=[_target("fit time vs skorch", ratio, 0.4),
                 _target("fit time vs hand loop", hand_ratio, 1.15)],
        profile=profile_call(ours) if settings.profile else None,
    )


def case4(settings, device=None):
    """Scaling: synthetic classification from 10^4 to 10^6 rows."""
    from sklearn_dl import MLPClassifier, SoftmaxClassifier

    device = device or settings.device
    sizes = [1_000, 2_000, 4_000] if settings.quick else [
        10_000, 30_000, 100_000, 300_000, 1_000_000]
    skorch_max = 4_000 if settings.quick else 100_000
    epochs, bs = 3, 256
    makers = {
        "sklearn_dl SoftmaxClassifier": lambda: SoftmaxClassifier(
            solver="adam", learning_rate="constant", learning_rate_init=1e-3, batch_size=bs,
            max_iter=epochs, n_iter_no_change=np.inf, random_state=0, device=device),
        "sklearn_dl MLPClassifier(256,)": lambda: MLPClassifier(
            (256,), batch_size=bs, max_iter=epochs, n_iter_no_change=np.inf, random_state=0,
            device=device),
    }
    rows = []
    for n in sizes:
        X, y = synthetic_classification(n)
        data_bytes = X.nbytes + y.nbytes
        row = {"rows": n, "data_bytes": data_bytes, "epoch_s": {}, "fit": {}, "peak_over_data": {}}
        for name, make in makers.items():
            with _quiet():
                _, extra = peak_memory_during(lambda: make().fit(X, y), device)
            row["peak_over_data"][name] = (
                None if extra is None else (data_bytes + extra) / data_bytes)

        # Per-epoch seconds as each contender's own clock sees them: skorch's
        # EpochTimer for the nets, the loop's for the hand loop. The fit's
        # one-off setup (validation, building the net) is not an epoch's cost.
        def ours(name):
            def fit():
                with _quiet():
                    clf = makers[name]().fit(X, y)
                return {"epoch_s": [float(d) for d in clf.history_[:, "dur"]]}
            return fit

        def hand():
            times = []
            hand_loop(mlp_module(X.shape[1], (), 10), X, y, loss_fn=nn.CrossEntropyLoss(),
                      make_optimizer=lambda p: torch.optim.Adam(p, lr=1e-3, fused=True),
                      batch_size=bs, epochs=epochs, device=device, epoch_times=times)
            return {"epoch_s": times}

        def skorch():
            net = skorch_classifier(mlp_module(X.shape[1], (), 10), optimizer=torch.optim.Adam,
                                    lr=1e-3, batch_size=bs, epochs=epochs, device=device)
            net.fit(X, y)
            return {"epoch_s": [float(d) for d in net.history[:, "dur"]]}

        contenders = {name: ours(name) for name in makers}
        contenders["hand loop (softmax)"] = hand
        if n <= skorch_max:
            contenders["skorch (softmax)"] = skorch
        softmax_threads = threads_of_ours(nn.Linear(X.shape[1], 10), bs, device)
        threads = {name: (threads_of_ours(mlp_module(X.shape[1], (256,), 10), bs, device)
                          if "MLP" in name else softmax_threads) for name in contenders}
        timed = interleave(contenders, settings.repeats, device, threads=threads)
        for name, rec in timed.items():
            row["fit"][name] = rec["median"]
            # median over the epochs of the last repeat, first epoch dropped
            # (page faults of the first pass over fresh data)
            row["epoch_s"][name] = float(np.median(rec["extra"]["epoch_s"][1:]))
        rows.append(row)
        del X, y

    names = list(rows[0]["epoch_s"])
    slopes = {}
    for name in names:
        pts = [(r["rows"], r["epoch_s"][name]) for r in rows if name in r["epoch_s"]]
        slopes[name] = float(np.polyfit(np.log([p[0] for p in pts]),
                                        np.log([p[1] for p in pts]), 1)[0])
    targets = [_target(f"slope {name}", slopes[name], (0.9, 1.1))
               for name in names if name.startswith("sklearn_dl")]
    peaks = [v for v in rows[-1]["peak_over_data"].values() if v is not None]
    if peaks:
        targets.append(_target(f"peak memory / data at {sizes[-1]:,} rows", max(peaks), 2.0))
    return dict(
        title="Scaling: synthetic classification, 100 features, 10 classes",
        unit="s per epoch",
        recipe=(f"Adam, batch {bs}, {epochs} epochs per fit, sizes {sizes}; s per epoch = "
                "median of epochs 2..3 by the contender's own clock (skorch's EpochTimer, "
                "the loop's timer), so the one-off fit setup is not counted as epoch time; "
                f"skorch up to {skorch_max:,} rows (its per-sample DataLoader takes minutes "
                "beyond); peak memory = (data + peak growth during fit) / data: resident memory "
                "from the kernel's high-water mark (VmHWM) on the CPU, torch's peak "
                "allocation on a GPU (where the data are copied to the device)"),
        scaling=rows, slopes=slopes, targets=targets,
    )


def case5(settings):
    """Prediction latency: 1 row and 10,000 rows."""
    from sklearn.neural_network import MLPClassifier as SkMLP
    from sklearn_dl import MLPClassifier

    X, y, Xt, yt = fashion(settings)
    Xfit, yfit = X[:5000], y[:5000]
    with _quiet():
        ours = MLPClassifier((256,), max_iter=1, random_state=0, device="cpu").fit(Xfit, yfit)
        sk = SkMLP((256,), max_iter=1, random_state=0).fit(Xfit, yfit)
    net = skorch_classifier(mlp_module(784, (256,), 10), optimizer=torch.optim.Adam, lr=1e-3,
                            batch_size=200, epochs=1).fit(Xfit, yfit)
    module = ours.module_

    def hand_predict(A):
        module.eval()
        with torch.inference_mode():
            return module(torch.from_numpy(A)).argmax(1).numpy()

    predictors = {"sklearn_dl": ours.predict, "hand loop": hand_predict,
                  "skorch": net.predict, "scikit-learn": sk.predict}
    one = Xt[:1]
    n_big = 1_000 if settings.quick else 10_000
    big = np.ascontiguousarray(np.resize(Xt, (n_big, 784)))
    calls_1 = 200 if settings.quick else 3000
    calls_big = 5 if settings.quick else 30
    results = {}
    names = list(predictors)
    square = balanced_orders(len(names))
    for label, A, calls in (("1 row", one, calls_1), (f"{n_big:,} rows", big, calls_big)):
        threads = threads_of_ours(module, len(A))
        times = {name: [] for name in predictors}
        with limited_threads(threads):
            for fn in predictors.values():  # warm up every path once
                fn(A)
            for i in range(calls):  # interleaved call by call, in balanced orders
                for j in square[i % len(square)]:
                    t0 = time.perf_counter()
                    predictors[names[j]](A)
                    times[names[j]].append(time.perf_counter() - t0)
        for name, ts in times.items():
            rec = {"wall": ts, "cpu": [], "extra": {}, "threads": threads}
            _summarise(rec)
            rec["p10"], rec["p90"] = (float(np.percentile(ts, q)) for q in (10, 90))
            rec["calls"], rec["wall"] = len(ts), []  # thousands of calls: keep the summary
            results[f"{name} ({label})"] = rec
    med_1 = results["sklearn_dl (1 row)"]["median"]
    return dict(
        title="Prediction latency, MLP 784-256-10 (predict)",
        unit="s per call",
        recipe=(f"median of {calls_1} single-row and {calls_big} {n_big:,}-row predict calls "
                "per contender, interleaved call by call in balanced orders (Williams square); "
                "every contender on the thread count sklearn_dl picks for that many rows ("
                + ", ".join(f"{lab}: {results[f'sklearn_dl ({lab})']['threads']}"
                            for lab in ("1 row", f"{n_big:,} rows"))
                + "); the hand loop is the plain forward of the same module; "
                "spread = 10th-90th percentile"),
        labels=["1 row", f"{n_big:,} rows"],
        results=results,
        targets=[_target("1-row median (ms)", med_1 * 1e3, 0.3)],
        profile=profile_call(lambda: [ours.predict(one) for _ in range(300)])
        if settings.profile else None,
    )


def case6(settings, device=None):
    """Best accuracy for time: MLPClassifier (512, 256), dropout, Adam, one-cycle."""
    from sklearn.neural_network import MLPClassifier as SkMLP
    from sklearn_dl import MLPClassifier

    device = device or settings.device
    X, y, Xt, yt = fashion(settings)
    epochs = 1 if settings.quick else 20
    bs, lr = 256, 2e-3

    def ours():
        clf = MLPClassifier(hidden_layer_sizes=(512, 256), dropout=0.2, solver="adam",
                            learning_rate="one_cycle", learning_rate_init=lr, batch_size=bs,
                            max_iter=epochs, random_state=0, device=device)
        with _quiet():
            clf.fit(X, y)
        return {"test_accuracy": lambda: clf.score(Xt, yt), "epochs": clf.n_iter_}

    steps = math.ceil(len(X) / bs) * epochs

    def hand():
        module = hand_loop(
            mlp_module(784, (512, 256), 10, dropout=0.2), X, y, loss_fn=nn.CrossEntropyLoss(),
            make_optimizer=lambda p: torch.optim.Adam(p, lr=lr, fused=True),
            make_scheduler=lambda o: torch.optim.lr_scheduler.OneCycleLR(
                o, max_lr=lr, total_steps=steps),
            batch_size=bs, epochs=epochs, device=device)
        return {"test_accuracy": lambda: torch_accuracy(module, Xt, yt, device)}

    def skorch():
        net = skorch_classifier(mlp_module(784, (512, 256), 10, dropout=0.2),
                                optimizer=torch.optim.Adam, lr=lr, batch_size=bs,
                                epochs=epochs, device=device,
                                callbacks=[one_cycle_callback(lr, steps)])
        net.fit(X, y)
        return {"test_accuracy": lambda: net.score(Xt, yt)}

    def sklearn():
        clf = SkMLP((512, 256), solver="adam", learning_rate_init=lr, batch_size=bs,
                    max_iter=epochs, random_state=0)
        with _quiet():
            clf.fit(X, y)
        return {"test_accuracy": lambda: clf.score(Xt, yt)}

    contenders = {"sklearn_dl": ours, "hand loop": hand, "skorch": skorch}
    if not str(device).startswith("cuda"):
        contenders["scikit-learn"] = sklearn
    threads = threads_of_ours(mlp_module(784, (512, 256), 10), bs, device)
    results = interleave(contenders, settings.heavy_repeats, device, threads=threads)
    acc = results["sklearn_dl"]["extra"]["test_accuracy"]
    return dict(
        title="Best accuracy for time: MLP (512, 256), dropout 0.2, Adam one-cycle 2e-3",
        unit="s per fit",
        recipe=(f"{epochs} epochs, batch {bs}; hand loop and skorch: the same module, fused "
                "Adam, OneCycleLR per batch; scikit-learn: MLPClassifier((512, 256), adam, lr "
                f"2e-3, batch 256) (no dropout or one-cycle there); {_threads_text(results)}"),
        results=results,
        targets=[_target("test accuracy", acc, 0.895, higher=True)],
    )


def case7(settings, device=None):
    """Cases 1, 4 and 6 on a CUDA GPU.

    ``device`` other than CUDA is for the smoke test, which checks on the
    CPU that this case assembles and reports its sub-cases.
    """
    if device is None:
        if not torch.cuda.is_available():
            return dict(
                title="GPU: cases 1, 4 and 6 on CUDA",
                skipped=(f"no CUDA GPU: torch {torch.__version__} reports "
                         "torch.cuda.is_available() == False on this machine"),
            )
        device = "cuda"
    name = torch.cuda.get_device_name(0) if str(device).startswith("cuda") else str(device)
    out = {"title": f"GPU ({name}): cases 1, 4 and 6", "sub": {}}
    for k, fn in ((1, case1), (4, case4), (6, case6)):
        out["sub"][k] = fn(settings, device=device)
    out["targets"] = [dict(t, name=f"case {k} {t['name']}")
                      for k, sub in out["sub"].items() for t in sub.get("targets", [])]
    return out


def warm_up():
    """Fit every kind of contender once on a few rows, untimed.

    The first fit in a process pays for imports, lazy module loading and
    torch's kernel initialisation; without this, the first contender of the
    first case would carry all of it.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier as SkMLP
    from sklearn_dl import LinearRegressorNN, MLPClassifier, SoftmaxClassifier

    X, y = synthetic_classification(512, d=20, k=3)
    with _quiet():
        for est in (MLPClassifier((16,), max_iter=2, batch_size=64, device="cpu"),
                    SoftmaxClassifier(max_iter=2, device="cpu"), SkMLP((16,), max_iter=2),
                    LogisticRegression(max_iter=5)):
            est.fit(X, y).predict(X[:1])
        LinearRegressorNN(solver="adam", max_iter=2, device="cpu").fit(X, y.astype(np.float32))
        skorch_classifier(mlp_module(20, (16,), 3), optimizer=torch.optim.SGD, lr=0.1,
                          batch_size=64, epochs=2).fit(X, y).predict(X[:1])
        hand_loop(mlp_module(20, (16,), 3), X, y, loss_fn=nn.CrossEntropyLoss(),
                  make_optimizer=lambda p: torch.optim.Adam(p, fused=True), batch_size=64, epochs=2)


CASES = {1: case1, 2: case2, 3: case3, 4: case4, 5: case5, 6: case6, 7: case7}


def _target(name, value, limit, higher=False):
    if value is None:
        return {"name": name, "value": None, "limit": limit, "higher": higher, "met": False}
    if isinstance(limit, tuple):
        met = limit[0] <= value <= limit[1]
    else:
        met = value >= limit if higher else value <= limit
    return {"name": name, "value": float(value), "limit": limit, "higher": higher,
            "met": bool(met)}


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------
def _fmt_s(s):
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e3:.3f} ms"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def _fmt_extra(extra):
    parts = []
    for k, v in extra.items():
        if isinstance(v, float):
            v = f"{v:.1%}" if k.startswith("fraction") else f"{v:.4f}"
        parts.append(f"{k.replace('_', ' ')} {v}")
    return "; ".join(parts)


def _fmt_limit(t):
    lim = t["limit"]
    if isinstance(lim, (tuple, list)):
        return f"in [{lim[0]}, {lim[1]}]"
    return f"{'>=' if t['higher'] else '<='} {lim}"


def _results_table(results, ref="sklearn_dl"):
    spread = ("p10 - p90" if any("p10" in rec for rec in results.values())
              else "min - max")
    lines = [f"| contender | median | spread ({spread}) | CPU median | sklearn_dl / this | "
             "other |", "|---|---|---|---|---|---|"]
    ref_rec = results.get(ref)
    for name, rec in results.items():
        ratio = "" if ref_rec is None or name == ref else \
            f"{ref_rec['median'] / rec['median']:.2f}x"
        lo, hi = rec.get("p10", rec["min"]), rec.get("p90", rec["max"])
        lines.append(f"| {name} | {_fmt_s(rec['median'])} | {_fmt_s(lo)} - {_fmt_s(hi)} | "
                     f"{_fmt_s(rec.get('cpu_median'))} | {ratio} | {_fmt_extra(rec['extra'])} |")
    return lines


def _case_markdown(k, case):
    out = [f"## Case {k}: {case['title']}", ""]
    if case.get("skipped"):
        return out + [f"Skipped: {case['skipped']}.", ""]
    if case.get("recipe"):
        out += [f"Recipe: {case['recipe']}. Unit: {case.get('unit', '')}.", ""]
    if "results" in case:
        if "labels" in case:  # one table per label (case 5: 1 row, 10,000 rows)
            for label in case["labels"]:
                sub = {n.replace(f" ({label})", ""): r for n, r in case["results"].items()
                       if n.endswith(f"({label})")}
                out += [f"**{label}**", ""] + _results_table(sub) + [""]
        else:
            out += _results_table(case["results"]) + [""]
    if "ceiling" in case:
        c = case["ceiling"]
        out += [f"Ceiling: best measured float32 matmul {c['matmul_flops_per_s'] / 1e9:.1f} "
                f"GFLOP/s; one epoch is {c['epoch_flops'] / 1e9:.1f} GFLOP, so "
                f"{_fmt_s(c['ceiling_s_per_epoch'])} per epoch at the ceiling. Per-shape rates: "
                + ", ".join(f"{s} {r / 1e9:.1f}" for s, r in c["matmul_rates"].items())
                + " GFLOP/s.", ""]
    if "scaling" in case:
        names = list(case["scaling"][0]["epoch_s"])
        peak_names = list(case["scaling"][0]["peak_over_data"])
        out += ["| rows | " + " | ".join(f"{n} s/epoch" for n in names) + " | " +
                " | ".join(f"{n} peak/data" for n in peak_names) + " |",
                "|---" * (1 + len(names) + len(peak_names)) + "|"]
        for r in case["scaling"]:
            cells = [_fmt_s(r["epoch_s"].get(n)) for n in names]
            peaks = [f"{r['peak_over_data'][n]:.2f}" if r["peak_over_data"].get(n) else "-"
                     for n in peak_names]
            out.append(f"| {r['rows']:,} | " + " | ".join(cells) + " | " + " | ".join(peaks)
                       + " |")
        out += ["", "Slope of log(s per epoch) on log(rows): " + ", ".join(
            f"{n} {s:.3f}" for n, s in case["slopes"].items()) + ".", ""]
    for k2, sub in case.get("sub", {}).items():
        out += [f"### GPU: case {k2}", ""] + _case_markdown(k2, sub)[2:]
    if case.get("targets"):
        out += ["| target | measured | limit | met |", "|---|---|---|---|"]
        for t in case["targets"]:
            v = "-" if t["value"] is None else f"{t['value']:.3f}"
            out.append(f"| {t['name']} | {v} | {_fmt_limit(t)} | "
                       f"{'yes' if t['met'] else '**no**'} |")
        out.append("")
    if case.get("profile"):
        out += ["Profile of the sklearn_dl contender (cProfile, top functions by own time):",
                "", "```", case["profile"], "```", ""]
    return out


def machine_info(settings):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import sklearn
    import skorch

    return {
        "cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__, "skorch": skorch.__version__,
        "scikit-learn": sklearn.__version__, "numpy": np.__version__,
        "python": platform.python_version(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "quick": settings.quick, "repeats": settings.repeats,
        "heavy_repeats": settings.heavy_repeats,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **git_state(),
    }


def git_state():
    """The commit the benchmark code is at, and whether tracked code differs from it.

    RESULTS files describe the commit they were generated at; the generated
    files themselves (RESULTS*.md, results.json) are left out of "dirty".
    """
    import subprocess

    root = HERE.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                cwd=root, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    changed = [ln[3:] for ln in status.splitlines()
               if not (Path(ln[3:]).name.startswith("RESULTS") or ln[3:].endswith("results.json")
                       or ln[3:] == "README.md")]
    return {"commit": commit, "dirty": bool(changed)}


def _commit_text(m):
    if not m.get("commit"):
        return "commit unknown"
    return f"commit {m['commit'][:12]}" + (" with uncommitted changes" if m.get("dirty") else "")


def write_report(report, out_dir):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(report, indent=1, default=float) + "\n")
    m = report["machine"]
    lines = [
        "# Benchmarks: sklearn_dl side by side", "",
        "Generated by `python benchmarks/run.py " + " ".join(report["argv"]) + "`; the numbers "
        "are from one run on the machine below (machine-readable: `results.json`). "
        f"Code at {_commit_text(m)}. "
        "Timings are wall-clock medians of interleaved repeats in a balanced order (a "
        "Williams Latin square: each contender runs in every position and after every "
        "other contender equally often); every contender of a case runs on the same "
        "thread count, and torch contenders use the fused optimizer kernels; the CPU "
        "column is the process's CPU time. The hand-written analysis and profiles follow the "
        "tables (`benchmarks/NOTES.md`).", "",
        f"Machine: {m['cpu']}, {m['cores']} cores, torch {m['torch']} with "
        f"{m['torch_threads']} threads, skorch {m['skorch']}, scikit-learn {m['scikit-learn']}, "
        f"numpy {m['numpy']}, Python {m['python']}, GPU: {m['cuda'] or 'none'}. Load average "
        f"at start {_fmt_load(m['load_average'])}, at end {_fmt_load(report['load_at_end'])} "
        "(the run's own threads count in it; above the core count, other jobs shared "
        f"the cores). Repeats: {_repeats_text(m['repeats'])} (minute-long cases "
        f"{_repeats_text(m['heavy_repeats'])}). {m['date']}." + (
            " **--quick: tiny data, not results.**" if m["quick"] else ""), "",
        "## Targets", "", "| case | target | measured | limit | met |", "|---|---|---|---|---|",
    ]
    for k, case in report["cases"].items():
        if case.get("skipped"):
            lines.append(f"| {k} | {TARGETS_DOC[int(k)]} | skipped: {case['skipped']} | | - |")
        for t in case.get("targets", []):
            v = "-" if t["value"] is None else f"{t['value']:.3f}"
            lines.append(f"| {k} | {t['name']} | {v} | {_fmt_limit(t)} | "
                         f"{'yes' if t['met'] else '**no**'} |")
    lines.append("")
    lines += ["## Every contender", ""] + summary_table(report) + [""]
    for k, case in report["cases"].items():
        lines += _case_markdown(k, case)
    notes = HERE / "NOTES.md"
    if notes.exists():
        lines += [notes.read_text()]
    lines += _accuracy_reports()
    (out_dir / "RESULTS.md").write_text("\n".join(lines).rstrip() + "\n")


def summary_table(report):
    """One row per case: sklearn_dl and every other contender, time and accuracy.

    The README's benchmark table is this table (``--readme``), so that it
    shows every contender, including those faster than sklearn_dl.
    """
    lines = ["| case | unit | sklearn_dl | other contenders (sklearn_dl / other time) |",
             "| --- | --- | --- | --- |"]

    def cell(rec, ref=None):
        text = _fmt_s(rec["median"])
        acc = rec["extra"].get("test_accuracy", rec["extra"].get("train_log_rmse"))
        if acc is not None:
            key = "test acc" if "test_accuracy" in rec["extra"] else "train log-RMSE"
            text += f", {key} {acc:.4f}"
        if ref is not None:
            text += f" ({ref['median'] / rec['median']:.2f}x)"
        return text

    for k, case in report["cases"].items():
        if case.get("skipped") or "results" not in case:
            continue
        groups = ([(lab, {n.replace(f" ({lab})", ""): r for n, r in case["results"].items()
                          if n.endswith(f"({lab})")}) for lab in case["labels"]]
                  if "labels" in case else [("", case["results"])])
        for label, results in groups:
            ours = results.get("sklearn_dl")
            if ours is None:
                continue
            others = "; ".join(f"{n} {cell(r, ours)}" for n, r in results.items()
                               if n != "sklearn_dl")
            title = case["title"] + (f", {label}" if label else "")
            lines.append(f"| {k}: {title} | {case.get('unit', '')} | {cell(ours)} | {others} |")
    return lines


README_START = "<!-- benchmarks/run.py --readme: start -->"
README_END = "<!-- benchmarks/run.py --readme: end -->"


def update_readme(report, path):
    """Replace the README's generated benchmark table (between the two markers)."""
    path = Path(path)
    text = path.read_text()
    if README_START not in text or README_END not in text:
        raise SystemExit(f"{path} lacks the markers {README_START!r} ... {README_END!r}")
    m = report["machine"]
    block = [README_START, "",
             f"Generated by `benchmarks/run.py {' '.join(report['argv'])}` at "
             f"{_commit_text(m)}, {m['date']}: {m['cpu']}, {m['cores']} cores, "
             f"load average at start {_fmt_load(m['load_average'])}"
             + (" (**--quick: tiny data, not results**)" if m["quick"] else "") + ".", "",
             *summary_table(report), "", README_END]
    head, rest = text.split(README_START, 1)
    tail = rest.split(README_END, 1)[1]
    path.write_text(head + "\n".join(block) + tail)


# Acceptance runs with scripts of their own (accuracy over seeds, exactness, latency, CNN);
# their generated reports are copied in, one heading level down, so RESULTS.md keeps them.
ACCURACY_REPORTS = {
    "RESULTS_fashion_mnist_mlp.md": "benchmarks/fashion_mnist_mlp.py --out "
                                    "benchmarks/RESULTS_fashion_mnist_mlp.md",
    "RESULTS_house_prices.md": "benchmarks/house_prices_cv.py --out "
                               "benchmarks/RESULTS_house_prices.md",
    "RESULTS_house_prices_select.md": "benchmarks/house_prices_select.py --out "
                                      "benchmarks/RESULTS_house_prices_select.md",
    "RESULTS_softmax_defaults.md": "benchmarks/softmax_defaults.py --out "
                                   "benchmarks/RESULTS_softmax_defaults.md",
    "RESULTS_examples_full.md": "benchmarks/examples_full.py --out "
                                "benchmarks/RESULTS_examples_full.md",
    "RESULTS_linear_exact.md": "benchmarks/linear_exact.py --out "
                               "benchmarks/RESULTS_linear_exact.md",
    "RESULTS_cnn_fashion_mnist.md": "benchmarks/cnn_fashion_mnist.py --threads 2 "
                                    "--accuracy --select --out "
                                    "benchmarks/RESULTS_cnn_fashion_mnist.md",
    "RESULTS_production.md": "benchmarks/production.py --out benchmarks",
    "RESULTS_input_costs.md": "benchmarks/input_costs.py --out "
                              "benchmarks/RESULTS_input_costs.md",
}


def _accuracy_reports():
    lines = []
    for name, command in ACCURACY_REPORTS.items():
        path = HERE / name
        if not path.exists():
            continue
        lines += ["", f"<!-- copied from {name}, written by {command} -->", ""]
        for line in path.read_text().splitlines():
            lines.append("#" + line if line.startswith("#") else line)
    return lines


@contextlib.contextmanager
def _restore_threads(n):
    try:
        yield
    finally:
        torch.set_num_threads(n)


def _repeats_text(n):
    return "one balanced square" if n is None else str(n)


def _fmt_load(load):
    return "-" if not load else " ".join(f"{v:.1f}" for v in load)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny data and one repeat: checks the harness, not the speed")
    parser.add_argument("--cases", default="1,2,3,4,5,6,7",
                        help="comma-separated case numbers (default: all)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed repeats per contender (default: one balanced square, "
                             "as many as the case has contenders; 1 with --quick)")
    parser.add_argument("--heavy-repeats", type=int, default=None,
                        help="repeats of the minute-long cases 2 and 6 (default: one "
                             "balanced square; 1 with --quick)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch and BLAS threads for every contender (default: torch's)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the sklearn_dl contender (cProfile) per case")
    parser.add_argument("--out", default=str(HERE),
                        help="folder for RESULTS.md and results.json (default: benchmarks/)")
    parser.add_argument("--render", action="store_true",
                        help="only rewrite RESULTS.md from the results.json in --out "
                             "(after editing NOTES.md)")
    parser.add_argument("--readme", default=None, metavar="PATH",
                        help="also rewrite the generated benchmark table in this README "
                             "(between its benchmarks/run.py --readme markers)")
    args = parser.parse_args(argv)
    if args.render:
        report = json.loads((Path(args.out) / "results.json").read_text())
        write_report(report, args.out)
        if args.readme:
            update_readme(report, args.readme)
        return report
    cases = [int(c) for c in args.cases.split(",") if c.strip()]
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose from {sorted(CASES)}")
    shared = HERE.parent.parent / "shared" / "data"  # the checkout's data (scripts/test.sh)
    if "SKLEARN_DL_DATA" not in os.environ and shared.is_dir():
        os.environ["SKLEARN_DL_DATA"] = str(shared)
    settings = Settings(quick=args.quick, repeats=args.repeats, heavy_repeats=args.heavy_repeats,
                        profile=args.profile)
    threads_before = torch.get_num_threads()
    limits = contextlib.nullcontext()
    if args.threads:
        from threadpoolctl import threadpool_limits

        # threadpool_limits only limits the libraries already loaded: load
        # scipy's own OpenBLAS (LogisticRegression, Ridge) first, or it runs
        # on every core and its spinning threads tax the other contenders
        import scipy.linalg  # noqa: F401
        import scipy.optimize  # noqa: F401
        import sklearn.linear_model  # noqa: F401
        import sklearn.neural_network  # noqa: F401

        # BLAS and OpenMP (scikit-learn, numpy); applied as soon as constructed
        limits = threadpool_limits(args.threads)
    report = {"argv": list(argv if argv is not None else sys.argv[1:]), "cases": {}}
    with _restore_threads(threads_before), limits:
        if args.threads:
            torch.set_num_threads(args.threads)
        report["machine"] = machine_info(settings)
        warm_up()
        for k in cases:
            t0 = time.perf_counter()
            print(f"case {k}: {CASES[k].__doc__.splitlines()[0]}", flush=True)
            report["cases"][str(k)] = CASES[k](settings)
            print(f"  done in {time.perf_counter() - t0:.1f} s", flush=True)
            for t in report["cases"][str(k)].get("targets", []):
                print(f"  {t['name']}: {t['value']} (limit {t['limit']}) "
                      f"{'met' if t['met'] else 'MISSED'}", flush=True)
    report["load_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    write_report(report, args.out)
    if args.readme:
        update_readme(report, args.readme)
    print(f"wrote {Path(args.out) / 'RESULTS.md'} and results.json")
    return report


if __name__ == "__main__":
    main()
