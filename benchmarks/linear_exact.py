"""Exact linear models against scikit-learn, at the defaults, side by side in one process.

Regression (the issue's designs): the house-price training set through
SimpleImputer + StandardScaler (numeric columns) and OneHotEncoder (the
others), ``y = log(SalePrice)``; a wide problem (50 x 200); the house design
with two outputs. Penalties: Ridge (ElasticNet-alpha 1e-3, i.e. scikit-learn
``Ridge(alpha=1e-3 * n)``), Lasso(5e-4), ElasticNet(1e-3, l1_ratio=0.5).
Contenders, each at its defaults apart from the penalty:

- ``sklearn``: ``sklearn.linear_model.Ridge`` / ``Lasso`` / ``ElasticNet``;
- ``LinearRegressorNN``: ours, ``solver='auto'`` (closed form / coordinate descent);
- ``sklearn_dl.<same name>``: our scikit-learn-named class;
- ``LinearRegressorNN(solver='lbfgs')``: torch's L-BFGS through skorch (the
  previous default; with an L1 part it runs the same coordinate descent, so it
  is shown for Ridge only).

Reported: the objective's relative gap to a reference optimum (Ridge: the SVD
solution; L1: coordinate descent at ``tol=1e-12``), whether the zero pattern
equals scikit-learn's, the number of non-zero weights, the median time and
the time ratio to scikit-learn.

Classification: ``SoftmaxClassifier(solver='lbfgs', alpha=1/(C*n))`` and our
``LogisticRegression(C)`` against scikit-learn's ``LogisticRegression(C)`` (C=1,
defaults otherwise: L-BFGS, tol 1e-4, max_iter 100) on Fashion-MNIST (pixels
in [0, 1], a leading subset of the training set, ``--fashion-rows``) and on
a standardised tabular set (the house design with the price quartile as a
4-class label), and the first 2000 images with standardised pixels. Reported:
the relative difference of the coefficient matrix
to scikit-learn's, iterations, median time and ratio.

Fairness: every contender runs on the same arrays in this process with the
same thread count (``--threads``, torch and BLAS via threadpoolctl), in a
rotating order (repeat r starts with contender r mod k, so each holds each
position equally often when ``--repeats`` is a multiple of the count); times
are medians. The markdown table is written by this script (``--out``).

    python benchmarks/linear_exact.py                 # RESULTS_linear_exact.md
    python benchmarks/linear_exact.py --quick --out -  # small data, stdout
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

# the bounds
OBJ_RTOL, REG_TIME_RATIO = 1e-6, 3.0
COEF_RTOL, CLF_TIME_RATIO = 1e-4, 2.0


def house_design():
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from sklearn_dl.datasets import load_house_prices

    frame = load_house_prices()
    y = np.log(frame.pop("SalePrice").to_numpy())
    design = make_column_transformer(
        (make_pipeline(SimpleImputer(), StandardScaler()),
         make_column_selector(dtype_include="number")),
        (OneHotEncoder(handle_unknown="ignore", sparse_output=False),
         make_column_selector(dtype_exclude="number")))
    return design.fit_transform(frame.drop(columns="Id")), y


def wide_problem():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 200))
    w = np.zeros(200)
    w[:10] = rng.normal(size=10)
    return X, X @ w + 0.1 * rng.normal(size=50)


def objective(X, Y, coef, intercept, alpha, l1_ratio):
    """ElasticNet's objective (half mean squared error + penalty), summed over outputs."""
    Y = Y.reshape(len(Y), -1)
    coef = np.atleast_2d(coef)
    resid = Y - X @ coef.T - intercept
    return (0.5 * (resid ** 2).mean(0).sum() + alpha * l1_ratio * np.abs(coef).sum()
            + 0.5 * alpha * (1 - l1_ratio) * (coef ** 2).sum())


def timed_rotating(contenders, repeats):
    """Fit each ``(name, make)`` ``repeats`` times in rotating order; medians and last models.

    One untimed fit of each contender first: one-time costs (imports, torch's
    first linear-algebra call, BLAS buffers) are not what a fit costs. When
    one round of all contenders takes under a second, every contender runs 20
    times as often: a millisecond fit on a shared machine needs many samples
    for a stable median.
    """
    times = {name: [] for name, _ in contenders}
    models = {}
    k = len(contenders)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm = []
        for _, make in contenders:
            start = time.perf_counter()
            make()
            warm.append(time.perf_counter() - start)
    if sum(warm) < 1.0:
        repeats *= 20
    for r in range(repeats):
        for i in range(k):
            name, make = contenders[(r + i) % k]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start = time.perf_counter()
                models[name] = make()
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}, models


def regression_rows(datasets, repeats):
    from sklearn import linear_model as sk

    from sklearn_dl import LinearRegressorNN
    from sklearn_dl import linear_model as ours

    rows = []
    for data_name, (X, y) in datasets.items():
        n = len(X)
        for label, alpha, l1_ratio in (("Ridge", 1e-3, 0.0), ("Lasso", 5e-4, 1.0),
                                       ("ElasticNet", 1e-3, 0.5)):
            if label == "Ridge":
                sk_params = dict(alpha=alpha * n)
                reference = sk.Ridge(solver="svd", **sk_params).fit(X, y)
            else:
                sk_params = dict(alpha=alpha) if label == "Lasso" else dict(
                    alpha=alpha, l1_ratio=l1_ratio)
                reference = getattr(sk, label)(tol=1e-12, max_iter=1_000_000,
                                               **sk_params).fit(X, y)
            f_star = objective(X, y, reference.coef_, reference.intercept_, alpha, l1_ratio)
            contenders = [
                ("sklearn", lambda: getattr(sk, label)(**sk_params).fit(X, y)),
                ("LinearRegressorNN", lambda: LinearRegressorNN(
                    alpha=alpha, l1_ratio=l1_ratio).fit(X, y)),
                (f"sklearn_dl.{label}", lambda: getattr(ours, label)(**sk_params).fit(X, y)),
            ]
            if label == "Ridge":
                contenders.append(("LinearRegressorNN(solver='lbfgs')", lambda: LinearRegressorNN(
                    alpha=alpha, l1_ratio=l1_ratio, solver="lbfgs").fit(X, y)))
            medians, models = timed_rotating(contenders, repeats)
            sk_zero = np.asarray(models["sklearn"].coef_) == 0
            f_sk = objective(X, y, models["sklearn"].coef_, models["sklearn"].intercept_,
                             alpha, l1_ratio)
            for name, model in models.items():
                f = objective(X, y, model.coef_, model.intercept_, alpha, l1_ratio)
                vs_sklearn = (f - f_sk) / abs(f_sk)
                gap = (f - f_star) / abs(f_star)
                same_zeros = bool(np.array_equal(np.asarray(model.coef_) == 0, sk_zero))
                ratio = medians[name] / medians["sklearn"]
                holds = (name == "sklearn" or (vs_sklearn <= OBJ_RTOL and same_zeros
                                               and ratio <= REG_TIME_RATIO))
                rows.append(dict(
                    data=data_name, model=label, contender=name, vs_sklearn=vs_sklearn, gap=gap,
                    same_zeros=same_zeros, nonzero=int(np.count_nonzero(model.coef_)),
                    seconds=medians[name], ratio=ratio, holds=holds))
    return rows


def logistic_objective(model, X, y, C):
    """Mean cross-entropy + ||W||^2 / (2 C n): LogisticRegression's objective / n."""
    proba = model.predict_proba(X)
    rows = np.searchsorted(model.classes_, y)
    ce = -np.mean(np.log(np.clip(proba[np.arange(len(y)), rows], 1e-300, None)))
    return ce + 0.5 / (C * len(X)) * float((np.asarray(model.coef_) ** 2).sum())


def classification_rows(datasets, repeats, C=1.0):
    from sklearn import linear_model as sk

    from sklearn_dl import SoftmaxClassifier
    from sklearn_dl import linear_model as ours

    rows = []
    for data_name, (X, y) in datasets.items():
        n = len(X)
        contenders = [
            ("sklearn LogisticRegression", lambda: sk.LogisticRegression(C=C).fit(X, y)),
            ("SoftmaxClassifier(solver='lbfgs')", lambda: SoftmaxClassifier(
                solver="lbfgs", alpha=1 / (C * n)).fit(X, y)),
            ("sklearn_dl.LogisticRegression", lambda: ours.LogisticRegression(C=C).fit(X, y)),
        ]
        medians, models = timed_rotating(contenders, repeats)
        ref = models["sklearn LogisticRegression"]
        base = medians["sklearn LogisticRegression"]
        f_ref = logistic_objective(ref, X, y, C)
        for name, model in models.items():
            rel = float(np.linalg.norm(model.coef_ - ref.coef_) / np.linalg.norm(ref.coef_))
            ratio = medians[name] / base
            rows.append(dict(
                data=data_name, contender=name, rel=rel,
                vs_sklearn=(logistic_objective(model, X, y, C) - f_ref) / f_ref,
                n_iter=int(np.max(model.n_iter_)), seconds=medians[name], ratio=ratio,
                holds=name.startswith("sklearn ") or (rel <= COEF_RTOL
                                                      and ratio <= CLF_TIME_RATIO)))
    return rows


def markdown(reg_rows, clf_rows, header):
    yes = {True: "yes", False: "**no**"}
    lines = [
        "# Exact linear models against scikit-learn",
        "",
        "Generated by `benchmarks/linear_exact.py`; do not edit by hand.",
        "",
        *header,
        "",
        "## Regression at the defaults",
        "",
        f"Holds: objective at most {OBJ_RTOL:g} (relative) above scikit-learn's, the zero "
        f"pattern of scikit-learn's fit, and time <= {REG_TIME_RATIO:g}x scikit-learn's (the "
        "issue's bounds). 'vs sklearn': (objective - sklearn's objective) / sklearn's, "
        "negative when lower. 'gap to optimum': (objective - optimum) / optimum, the "
        "optimum from the SVD (Ridge) or coordinate descent at tol=1e-12: scikit-learn's "
        "default stopping rule (duality gap below 1e-4 times the variance of y) leaves "
        "this gap, and the same solver and rule leave it for ours.",
        "",
        "| data | model | contender | vs sklearn | gap to optimum | zeros as sklearn "
        "| non-zeros | median s | x sklearn | holds |",
        "| --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for r in reg_rows:
        lines.append(
            f"| {r['data']} | {r['model']} | {r['contender']} | {r['vs_sklearn']:.1e} "
            f"| {r['gap']:.1e} "
            f"| {yes[r['same_zeros']]} | {r['nonzero']} | {r['seconds']:.4f} "
            f"| {r['ratio']:.2f} | {'-' if r['contender'] == 'sklearn' else yes[r['holds']]} |")
    lines += [
        "",
        "## Classification at the defaults (C = 1, alpha = 1 / (C n))",
        "",
        f"Holds: coefficients within {COEF_RTOL:g} (relative Frobenius norm) of "
        f"scikit-learn's and time <= {CLF_TIME_RATIO:g}x LogisticRegression's.",
        "",
        "'objective vs sklearn': (objective - sklearn's) / sklearn's, negative when lower. "
        "Both run L-BFGS-B with the same options from zero weights. On the CPU ours "
        "evaluates the objective with scikit-learn's own loss code in X's precision, so "
        "the two paths agree also where both stop at max_iter=100 before converging "
        "(raw pixels, the house design); the torch objective (GPU) agrees only up to "
        "rounding there.",
        "",
        "| data | contender | coef rel. diff | objective vs sklearn | iterations | median s "
        "| x sklearn | holds |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in clf_rows:
        lines.append(
            f"| {r['data']} | {r['contender']} | {r['rel']:.1e} | {r['vs_sklearn']:.1e} "
            f"| {r['n_iter']} "
            f"| {r['seconds']:.3f} | {r['ratio']:.2f} "
            f"| {'-' if r['contender'].startswith('sklearn ') else yes[r['holds']]} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="the wide problem and 1000 Fashion-MNIST images, 2 repeats")
    parser.add_argument("--repeats", type=int, default=None,
                        help="fits per contender (default 3, quick 2)")
    parser.add_argument("--fashion-rows", type=int, default=10000,
                        help="leading Fashion-MNIST training images (default 10000)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch and BLAS threads for every contender (default 1)")
    parser.add_argument("--out", default=str(HERE / "RESULTS_linear_exact.md"),
                        help="markdown file to write, '-' for stdout")
    args = parser.parse_args(argv)

    import torch
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    from sklearn_dl.datasets import load_fashion_mnist

    repeats = args.repeats or (2 if args.quick else 3)
    fashion_rows = 1000 if args.quick else args.fashion_rows
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    with threadpool_limits(args.threads):
        reg_data = {"wide 50x200": wide_problem()}
        X_house, y_house = house_design()
        clf_data = {}
        if not args.quick:
            reg_data = {f"house {X_house.shape[0]}x{X_house.shape[1]}": (X_house, y_house),
                        **reg_data,
                        "house, 2 outputs": (X_house, np.column_stack(
                            [y_house, y_house + np.random.RandomState(1).normal(
                                scale=0.1, size=len(y_house))]))}
            quartile = np.searchsorted(np.quantile(y_house, [0.25, 0.5, 0.75]), y_house)
            clf_data["house design, price quartile"] = (X_house, quartile)
        Xf, yf = load_fashion_mnist("train", return_X_y=True)
        Xf = np.asarray(Xf[:fashion_rows], dtype=np.float64).reshape(fashion_rows, -1)
        n_std = min(2000, fashion_rows)
        clf_data = {f"Fashion-MNIST, first {fashion_rows} images": (Xf, yf[:fashion_rows]),
                    f"Fashion-MNIST, first {n_std} images, standardised": (
                        StandardScaler().fit_transform(Xf[:n_std]), yf[:n_std]),
                    **clf_data}
        start = time.perf_counter()
        reg_rows = regression_rows(reg_data, repeats)
        clf_rows = classification_rows(clf_data, repeats)
        elapsed = time.perf_counter() - start
    load_after = os.getloadavg()
    import sklearn

    header = [
        f"- {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{'quick' if args.quick else 'full'} mode, {repeats} repeats per contender "
        f"(20x that where one round takes under 1 s) in rotating order, medians; {args.threads} torch/BLAS thread(s) for every contender; "
        f"{elapsed:.0f} s in all.",
        f"- Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after (other jobs "
        "share the machine when this is above the thread count: times are noisy, ratios "
        "less so).",
        f"- torch {torch.__version__}, scikit-learn {sklearn.__version__}, numpy "
        f"{np.__version__}.",
    ]
    text = markdown(reg_rows, clf_rows, header)
    if args.out == "-":
        print(text)
    else:
        Path(args.out).write_text(text)
        print(text)
    return reg_rows, clf_rows


if __name__ == "__main__":
    main()
