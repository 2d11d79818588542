"""Cross-validated log-RMSE of every named house-price model.

Usage (from the repository root, data in ``$SKLEARN_DL_DATA/house-prices``)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/house_prices_cv.py
    .venv/bin/python benchmarks/house_prices_cv.py --models best --random-states 0 1 2

Prints a markdown table: one row per model and ``random_state`` (which seeds
the models' random parts; the folds are ``KFold(--cv, shuffle=True,
random_state=0)``, by default 5 folds, issue 6's protocol, every one of the
1460 houses scored once). Reference points measured with scikit-learn on the same folds (issue
6): ``Ridge`` on the seed's features 0.144, Ridge/Lasso with ``log1p`` of
skewed features 0.125-0.129, a Lasso + gradient-boosting blend 0.119.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import sklearn
import torch

from sklearn_dl.house_prices import MODEL_NAMES, cross_validate_model, load_frames, make_model
from sklearn_dl.house_prices import split_target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODEL_NAMES),
                        choices=list(MODEL_NAMES))
    parser.add_argument("--random-states", nargs="+", type=int, default=[0])
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--data-home", default=None)
    args = parser.parse_args(argv)

    X, y = split_target(load_frames(args.data_home)[0])
    print(f"python {platform.python_version()}, torch {torch.__version__}, "
          f"scikit-learn {sklearn.__version__}, torch threads {torch.get_num_threads()}\n")
    print("| model | random_state | valid log-RMSE mean | std | per fold | train log-RMSE "
          "| seconds (all folds) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in args.models:
        for seed in args.random_states:
            start = time.perf_counter()
            with warnings.catch_warnings():
                # 'd2l' trains a fixed 100 epochs: each fit warns that it stopped there
                warnings.simplefilter("ignore")
                r = cross_validate_model(make_model(name, random_state=seed), X, y, cv=args.cv)
            seconds = time.perf_counter() - start
            folds = " ".join(f"{v:.3f}" for v in r["valid"])
            print(f"| {name} | {seed} | {r['valid'].mean():.4f} | {r['valid'].std():.4f} "
                  f"| {folds} | {r['train'].mean():.4f} | {seconds:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
