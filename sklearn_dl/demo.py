"""The demo: train on Fashion-MNIST, print test accuracy and time per model.

Run it as ``sklearn-dl demo`` (or ``python -m sklearn_dl.demo``). It loads
Fashion-MNIST (see :func:`~sklearn_dl.datasets.load_fashion_mnist` for where
the data come from), trains the seed's two models with per-epoch progress, and, when matplotlib is installed, saves a grid of test
predictions, titled true over predicted with the mistakes in red.

* :class:`~sklearn_dl.SoftmaxClassifier`: the seed's Day 4 softmax
  regression;
* :class:`~sklearn_dl.MLPClassifier`: d2l's MLP, one hidden layer of 256
  ReLU units;

both with their default optimiser (Adam, scikit-learn's defaults), for a
fixed number of epochs. The Fashion-MNIST benchmark's scikit-learn
references are about 0.84 (LogisticRegression) and 0.87 (MLPClassifier).

About a minute for 10 epochs of both on 2 CPU cores; ``SKLEARN_DL_QUICK=1``
(or ``--quick``) trains 2 epochs on 6,000 images instead.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
import warnings

__all__ = ["main"]

#: Test accuracies of scikit-learn's LogisticRegression and MLPClassifier in
#: the Fashion-MNIST benchmark (../shared/data/README.md).
REFERENCE = {"SoftmaxClassifier": 0.842, "MLPClassifier": 0.87}


def _parser():
    parser = argparse.ArgumentParser(
        prog="sklearn-dl demo",
        description="Train SoftmaxClassifier and MLPClassifier on Fashion-MNIST and "
                    "report test accuracy and training time.")
    parser.add_argument("--epochs", type=int, default=10, help="epochs per model (default 10)")
    parser.add_argument("--n-train", type=int, default=None,
                        help="train on the first N of the 60,000 training images (default all)")
    parser.add_argument("--quick", action="store_true",
                        help="2 epochs on 6,000 images (also set by SKLEARN_DL_QUICK=1)")
    parser.add_argument("--output", default="fashion_mnist_predictions.png",
                        help="PNG of test predictions ('' to skip; needs matplotlib)")
    parser.add_argument("--data-home", default=None,
                        help="folder searched first for the data (see load_fashion_mnist)")
    parser.add_argument("--no-download", action="store_true",
                        help="fail instead of downloading missing data")
    parser.add_argument("--device", default="auto", help="'auto', 'cpu' or 'cuda'")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("-q", "--quiet", action="store_true", help="no per-epoch progress")
    return parser


def _models(epochs, device, seed, verbose):
    from sklearn_dl import MLPClassifier, SoftmaxClassifier

    common = dict(max_iter=epochs, random_state=seed, verbose=verbose, device=device)
    return [("SoftmaxClassifier", SoftmaxClassifier(**common)),
            ("MLPClassifier", MLPClassifier(hidden_layer_sizes=(256,), **common))]


def main(argv=None):
    """Run the demo; returns the exit status (0 on success).

    Parameters
    ----------
    argv : list of str, default=None
        Command-line arguments (``sys.argv[1:]`` when None); ``--help``
        lists them.

    Returns
    -------
    status : int
    """
    args = _parser().parse_args(argv)
    from sklearn.exceptions import ConvergenceWarning

    from sklearn_dl.datasets import load_fashion_mnist

    quick = args.quick or os.environ.get("SKLEARN_DL_QUICK") == "1"
    epochs = 2 if quick else args.epochs
    n_train = 6000 if quick and args.n_train is None else args.n_train
    if epochs < 1:
        raise SystemExit("--epochs must be at least 1")

    start = time.perf_counter()
    load = dict(data_home=args.data_home, download=not args.no_download)
    train = load_fashion_mnist("train", **load)
    test = load_fashion_mnist("test", **load)
    X, y = train.data[:n_train], train.target[:n_train]
    print(f"Fashion-MNIST: {len(X)} training and {len(test.data)} test images "
          f"({time.perf_counter() - start:.2f} s to load)")

    results = []
    for name, model in _models(epochs, args.device, args.random_state, int(not args.quiet)):
        print(f"\n== {name}: {epochs} epochs ==")
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            # a fixed, small epoch budget is the point of a demo
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        fit_s = time.perf_counter() - t0
        acc = model.score(test.data, test.target)
        print(f"{name}: test accuracy {acc:.4f} (trained in {fit_s:.1f} s)")
        results.append((name, model, acc, fit_s))

    print("\n| model | epochs | test accuracy | scikit-learn reference | train time (s) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, _, acc, fit_s in results:
        print(f"| {name} | {epochs} | {acc:.4f} | {REFERENCE.get(name, float('nan')):.3f} "
              f"| {fit_s:.1f} |")
    print(f"total time {time.perf_counter() - start:.1f} s")

    if args.output:
        _save_predictions(args.output, results, test)
    return 0


def _save_predictions(path, results, test, n=18):
    if importlib.util.find_spec("matplotlib") is None:
        print("(matplotlib is not installed: no prediction picture; "
              "pip install 'sklearn-dl[plot]')")
        return
    import matplotlib.pyplot as plt

    from sklearn_dl.plotting import show_images

    name, model, acc, _ = max(results, key=lambda r: r[2])
    fig = show_images(test.images[:n], test.target[:n], model.predict(test.data[:n]),
                      class_names=test.target_names, ncols=9)
    fig.suptitle(f"{name}, test accuracy {acc:.3f}: true / predicted (mistakes in red)",
                 fontsize=10)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"saved {n} test predictions of {name} to {os.path.abspath(path)}")


if __name__ == "__main__":
    sys.exit(main())
