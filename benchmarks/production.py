"""Production costs side by side: single-row latency and per-fit generators (issue 16).

One process, the same arrays for every contender, contenders interleaved
call by call in balanced (Williams-square) orders, medians::

    python benchmarks/production.py            # full (a few minutes)
    python benchmarks/production.py --quick    # tiny data: checks the harness

Part 1, prediction latency of an MLP 784-256-10 (fitted one epoch on
Fashion-MNIST): ``predict``, ``predict_proba`` and ``decision_function`` of
``MLPClassifier`` on one numpy row against a plain ``torch.no_grad()``
forward of the same ``module_`` on the same row (``torch.from_numpy``, then
``.numpy()``), and ``predict`` on 10,000 rows against the plain forward plus
``argmax``. Run twice: at torch's default thread count and at one thread,
so the plain forward gets its best setting; the ratio is taken against the
faster plain forward. Targets: 1 row <= 2x, 10,000 rows <= 1.1x.

Part 2, the cost of per-fit generators: ``MLPClassifier((256,),
dropout=0.2)`` fits as shipped, against the same fits with the generator
machinery switched off (initialisation and dropout then draw from torch's
global generator, what fits did before; not thread-safe). Target: <= 1.05x.

Writes ``RESULTS_production.md`` and ``results_production.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent


def _run_module():
    """benchmarks/run.py's helpers (data loading, shuffled orders, machine info)."""
    spec = importlib.util.spec_from_file_location("benchmarks_run", HERE / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _time_calls(contenders, calls, arg, orders):
    """Median seconds per call of each contender, interleaved call by call.

    Call ``i`` runs the contenders in row ``i % len(rows)`` of ``orders(n)``
    (benchmarks/run.py's balanced Williams rows), so each holds every position
    and follows every other contender equally often.
    """
    for fn in contenders.values():  # warm every path up
        fn(arg)
    items = list(contenders.items())
    rows = orders(len(items))
    times = {name: [] for name in contenders}
    for i in range(calls):
        for name, fn in (items[k] for k in rows[i % len(rows)]):
            t0 = time.perf_counter()
            fn(arg)
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


@contextlib.contextmanager
def _threads(n):
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def latency(run, settings, quiet):
    from sklearn_dl import MLPClassifier

    X, y, Xt, _ = run.fashion(settings)
    with quiet():
        clf = MLPClassifier((256,), max_iter=1, random_state=0, device="cpu").fit(
            X[:5000], y[:5000])
    module = clf.module_

    def plain(A):
        with torch.no_grad():
            return module(torch.from_numpy(A)).numpy()

    def plain_argmax(A):
        with torch.no_grad():
            return module(torch.from_numpy(A)).argmax(1).numpy()

    one = np.ascontiguousarray(Xt[:1])
    n_big = 1_000 if settings.quick else 10_000
    big = np.ascontiguousarray(np.resize(Xt, (n_big, 784)))
    calls_1 = 300 if settings.quick else 4000
    calls_big = 5 if settings.quick else 40
    blocks = {}
    for label, threads in (("default threads", torch.get_num_threads()), ("1 thread", 1)):
        with _threads(threads):
            one_row = _time_calls({"plain forward": plain, "predict": clf.predict,
                                   "predict_proba": clf.predict_proba,
                                   "decision_function": clf.decision_function},
                                  calls_1, one, run.balanced_orders)
            many = _time_calls({"plain forward + argmax": plain_argmax,
                                "predict": clf.predict}, calls_big, big, run.balanced_orders)
        blocks[label] = {"threads": threads, "1 row": one_row, f"{n_big:,} rows": many}
    best_1 = min(b["1 row"]["plain forward"] for b in blocks.values())
    best_big = min(b[f"{n_big:,} rows"]["plain forward + argmax"] for b in blocks.values())
    ours_1 = {m: min(b["1 row"][m] for b in blocks.values())
              for m in ("predict", "predict_proba", "decision_function")}
    ours_big = min(b[f"{n_big:,} rows"]["predict"] for b in blocks.values())
    targets = [dict(name=f"1-row {m} / plain forward", value=v / best_1, limit=2.0,
                    met=v / best_1 <= 2.0) for m, v in ours_1.items()]
    targets.append(dict(name=f"{n_big:,}-row predict / plain forward + argmax",
                        value=ours_big / best_big, limit=1.1, met=ours_big / best_big <= 1.1))
    return dict(blocks=blocks, calls={"1 row": calls_1, f"{n_big:,} rows": calls_big},
                targets=targets)


@contextlib.contextmanager
def _global_rng_fits():
    """Fits with the generator machinery off: draws go to torch's global generator."""
    from sklearn_dl import _rng

    @contextlib.contextmanager
    def off(*args, **kwargs):
        yield None

    saved = _rng.drawing_from, _rng.dropout_from
    _rng.drawing_from, _rng.dropout_from = off, off
    try:
        yield
    finally:
        _rng.drawing_from, _rng.dropout_from = saved


def generator_cost(run, settings, quiet):
    from sklearn_dl import MLPClassifier

    X, y, _, _ = run.fashion(settings)
    n = 2000 if settings.quick else 10_000
    epochs = 2 if settings.quick else 5
    Xs, ys = X[:n], y[:n]
    repeats = 2 if settings.quick else 7

    def fit():
        with quiet():
            MLPClassifier((256,), dropout=0.2, max_iter=epochs, random_state=0,
                          device="cpu").fit(Xs, ys)

    def fit_global():
        with _global_rng_fits():
            fit()

    timed = run.interleave({"per-fit generators": fit, "global generator": fit_global},
                           repeats)
    med = {name: rec["median"] for name, rec in timed.items()}
    ratio = med["per-fit generators"] / med["global generator"]
    return dict(rows=n, epochs=epochs, repeats=repeats, median_s=med,
                walls={name: rec["wall"] for name, rec in timed.items()},
                targets=[dict(name="fit with per-fit generators / global generator",
                              value=ratio, limit=1.05, met=ratio <= 1.05)])


def _markdown(report):
    lines = ["# Production costs (benchmarks/production.py)", "",
             f"Command: `python benchmarks/production.py {' '.join(report['argv'])}`. "
             f"Machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, "
             f"torch {report['machine']['torch']}; load average at start "
             f"{report['machine']['load_average']}, at end {report['load_at_end']}. "
             "Medians of interleaved calls in balanced (Williams-square) orders.", "",
             "| target | value | limit | met |", "| --- | --- | --- | --- |"]
    for part in ("latency", "generators"):
        for t in report[part]["targets"]:
            lines.append(f"| {t['name']} | {t['value']:.3f} | <= {t['limit']} | "
                         f"{'yes' if t['met'] else '**no**'} |")
    lines += ["", "## Latency, MLP 784-256-10 (ms per call, median)", "",
              "| threads | rows | contender | ms |", "| --- | --- | --- | --- |"]
    for label, block in report["latency"]["blocks"].items():
        for rows, rec in block.items():
            if rows == "threads":
                continue
            for name, s in rec.items():
                lines.append(f"| {label} ({block['threads']}) | {rows} | {name} | "
                             f"{s * 1e3:.4f} |")
    g = report["generators"]
    lines += ["", f"## Per-fit generators: MLPClassifier((256,), dropout=0.2), {g['rows']:,} "
              f"Fashion-MNIST rows, {g['epochs']} epochs, {g['repeats']} fits each", "",
              "| contender | median s | every run (s) |", "| --- | --- | --- |"]
    for name, s in g["median_s"].items():
        lines.append(f"| {name} | {s:.3f} | {', '.join(f'{w:.3f}' for w in g['walls'][name])} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny data: checks the harness")
    parser.add_argument("--out", default=str(HERE), help="folder for the report")
    args = parser.parse_args(argv)
    run = _run_module()
    shared = HERE.parent.parent / "shared" / "data"
    if "SKLEARN_DL_DATA" not in os.environ and shared.is_dir():
        os.environ["SKLEARN_DL_DATA"] = str(shared)
    settings = run.Settings(quick=args.quick)
    report = {"argv": list(argv if argv is not None else sys.argv[1:]),
              "machine": run.machine_info(settings)}
    report["latency"] = latency(run, settings, run._quiet)
    report["generators"] = generator_cost(run, settings, run._quiet)
    report["load_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results_production.json").write_text(json.dumps(report, indent=1, default=str))
    text = _markdown(report)
    (out / "RESULTS_production.md").write_text(text)
    print(text)
    return report


if __name__ == "__main__":
    main()
