"""Issue 3's Fashion-MNIST acceptance runs for MLPClassifier (full data, not in the tests).

Two runs on the 60,000 training images, scored on the 10,000 test images:

1. ``MLPClassifier(hidden_layer_sizes=(256,), max_iter=10, random_state=0)``,
   scikit-learn's Adam defaults otherwise. Bar: >= 0.875 test accuracy (the
   same architecture and Adam defaults in a plain torch loop measured 0.879;
   scikit-learn's MLPClassifier in the Fashion-MNIST benchmark about 0.87).
2. The seed's dropout network (Days 7-8, d2l 4.6): 784-256-256-10, ReLU,
   dropout 0.2 then 0.5, weights N(0, 0.01^2), SGD without momentum at
   lr 0.5, batch 256, 10 epochs, no weight decay. Bar: the seed's result,
   "d2l's runs reach about 0.85-0.87".

Why run 2 is judged over many seeds
-----------------------------------
At lr 0.5 the test accuracy swings by several points from one epoch to the
next, even late in training (see ``--epochs-table``), so the accuracy after
epoch 10 of any single run is a draw from a distribution with a standard
deviation of about 0.012; it even changes with the number of torch threads.
d2l's own loop, run here beside the estimator on the same data in the same
process, ends below 0.85 for 13 of 32 seeds on two threads. The
test suite shows the estimator takes *exactly* d2l's steps from the same
weights and RNG state
(``tests/test_neural_network.py::test_seeds_dropout_setting_is_d2ls_training_loop_exactly``),
so run 2 compares the two distributions: its bar is the **median** final test
accuracy over the seeds (>= 0.85), reported beside the d2l loop's median.

Usage::

    python benchmarks/fashion_mnist_mlp.py [--threads N] [--seeds 0 1 ... 15]
        [--sklearn] [--no-d2l] [--epochs-table] [--out FILE.md]

Run 1 always uses ``random_state=0``; run 2 uses every seed in ``--seeds``
(default 0-31; each seed costs about 17 s for the estimator and 18 s for the
d2l loop on one core). Exits with status 1 when a bar is missed.
"""

import argparse
import os
import platform
import statistics
import sys
import time
import warnings

import numpy as np
import sklearn
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback
from torch import nn

from sklearn_dl import MLPClassifier
from sklearn_dl.datasets import load_fashion_mnist

RUN1 = dict(hidden_layer_sizes=(256,), max_iter=10)  # scikit-learn's MLPClassifier takes these too
RUN1_BAR = 0.875
SEED_DROPOUT = dict(hidden_layer_sizes=(256, 256), dropout=(0.2, 0.5), solver="sgd",
                    learning_rate_init=0.5, momentum=0.0, batch_size=256, alpha=0.0,
                    init="normal", max_iter=10,
                    device="cpu")  # as d2l's loop here: the fit times are compared
SEED_DROPOUT_BAR = 0.85


class TestAccuracyPerEpoch(Callback):
    """Records the test accuracy (dropout off) in the history, for ``--epochs-table``."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def on_epoch_end(self, net, **kwargs):
        net.history.record("test_acc", _accuracy(net.module_, self.X, self.y))


def _accuracy(module, X, y):
    was_training = module.training
    module.eval()
    with torch.no_grad():
        acc = (module(X).argmax(1) == y).float().mean().item()
    module.train(was_training)
    return acc


def d2l_dropout_loop(X, y, X_test, y_test, seed, epochs=10):
    """d2l 4.6's concise dropout model and ``train_ch3`` loop, as the book writes them.

    ``nn.init.normal_(weight, std=0.01)`` with torch's default biases, a
    shuffling ``DataLoader``, ``CrossEntropyLoss(reduction='none')`` and
    ``l.mean().backward()``, ``torch.optim.SGD(lr=0.5)``.
    """
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
                        nn.Linear(256, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10))
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.01)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y),
                                         batch_size=256, shuffle=True)
    loss = nn.CrossEntropyLoss(reduction="none")
    trainer = torch.optim.SGD(net.parameters(), lr=0.5)
    accs = []
    for _ in range(epochs):
        net.train()
        for Xb, yb in loader:
            l = loss(net(Xb), yb)
            trainer.zero_grad()
            l.mean().backward()
            trainer.step()
        accs.append(_accuracy(net, X_test, y_test))
    return accs


def _summary(values):
    return (f"median {statistics.median(values):.4f}, mean {statistics.mean(values):.4f}, "
            f"sd {statistics.stdev(values):.4f}, min {min(values):.4f}, max {max(values):.4f}, "
            f">= 0.85 in {sum(v >= SEED_DROPOUT_BAR for v in values)}/{len(values)}"
            if len(values) > 1 else f"{values[0]:.4f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(32)),
                        help="random_state values for run 2 (default 0-31)")
    parser.add_argument("--sklearn", action="store_true",
                        help="also fit scikit-learn's MLPClassifier with run 1's settings")
    parser.add_argument("--no-d2l", action="store_true",
                        help="skip d2l's reference loop in run 2")
    parser.add_argument("--epochs-table", action="store_true",
                        help="print the test accuracy after every epoch of run 2")
    parser.add_argument("--out", default=None, help="also write the report to this file")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore", ConvergenceWarning)  # 10 epochs on purpose

    X_train, y_train = load_fashion_mnist("train", return_X_y=True)
    X_test, y_test = load_fashion_mnist("test", return_X_y=True)
    Xt, yt = torch.as_tensor(X_train), torch.as_tensor(y_train.astype(np.int64))
    Xv, yv = torch.as_tensor(X_test), torch.as_tensor(y_test.astype(np.int64))
    machine = (f"python {platform.python_version()}, torch {torch.__version__}, "
               f"scikit-learn {sklearn.__version__}, {torch.get_num_threads()} torch "
               f"thread(s), {os.cpu_count()} CPU(s), train {X_train.shape}, test {X_test.shape}")
    argv_text = " ".join(sys.argv[1:] if argv is None else argv)
    lines = ["# Fashion-MNIST MLPs (issue 3): the acceptance runs", "",
             f"Written by `python benchmarks/fashion_mnist_mlp.py {argv_text}`".rstrip()
             + f" on {time.strftime('%Y-%m-%d')}; {machine}. Why run 2 is judged by a "
             "median over seeds: the docstring of `benchmarks/fashion_mnist_mlp.py`.", ""]
    print(machine, flush=True)

    # -- run 1 ---------------------------------------------------------------------
    t = time.perf_counter()
    clf = MLPClassifier(**RUN1, random_state=0, device="cpu").fit(X_train, y_train)
    run1 = (clf.score(X_test, y_test), time.perf_counter() - t, clf.loss_curve_[-1])
    print("run 1:", run1, flush=True)
    lines += ["## Run 1: MLPClassifier((256,), max_iter=10, random_state=0), Adam defaults", "",
              "| model | test accuracy | bar | met | fit seconds | final train loss |",
              "| --- | --- | --- | --- | --- | --- |",
              f"| sklearn_dl MLPClassifier | {run1[0]:.4f} | >= {RUN1_BAR} | "
              f"{'yes' if run1[0] >= RUN1_BAR else 'NO'} | {run1[1]:.1f} | {run1[2]:.4f} |"]
    ok = run1[0] >= RUN1_BAR
    if args.sklearn:
        from sklearn.neural_network import MLPClassifier as SkMLP

        t = time.perf_counter()
        ref = SkMLP(**RUN1, random_state=0).fit(X_train, y_train)
        lines.append(f"| scikit-learn MLPClassifier | {ref.score(X_test, y_test):.4f} | | | "
                     f"{time.perf_counter() - t:.1f} | {ref.loss_curve_[-1]:.4f} |")

    # -- run 2 ---------------------------------------------------------------------
    ours, d2l, ours_s, d2l_s, per_epoch = [], [], [], [], []
    for seed in args.seeds:
        callbacks = [("test_acc", TestAccuracyPerEpoch(Xv, yv))] if args.epochs_table else None
        t = time.perf_counter()
        clf = MLPClassifier(**SEED_DROPOUT, random_state=seed, callbacks=callbacks)
        clf.fit(X_train, y_train)
        ours_s.append(time.perf_counter() - t)
        ours.append(clf.score(X_test, y_test))
        if args.epochs_table:
            per_epoch.append(("sklearn_dl", seed, clf.history_[:, "test_acc"]))
        if not args.no_d2l:
            t = time.perf_counter()
            curve = d2l_dropout_loop(Xt, yt, Xv, yv, seed)
            d2l_s.append(time.perf_counter() - t)
            d2l.append(curve[-1])
            per_epoch.append(("d2l loop", seed, curve))
        print(f"run 2 seed {seed}: sklearn_dl {ours[-1]:.4f} ({ours_s[-1]:.1f} s)"
              + ("" if args.no_d2l else f", d2l loop {d2l[-1]:.4f} ({d2l_s[-1]:.1f} s)"),
              flush=True)

    median = statistics.median(ours)
    ok &= median >= SEED_DROPOUT_BAR
    lines += ["", "## Run 2: the seed's dropout network (256-256, dropout 0.2/0.5, "
              "SGD lr 0.5, batch 256, 10 epochs)", "",
              f"Final test accuracy over random seeds {args.seeds[0]}-{args.seeds[-1]} "
              f"({len(args.seeds)} runs per model); bar: median >= {SEED_DROPOUT_BAR}.", "",
              "| seed | sklearn_dl MLPClassifier | d2l loop |", "| --- | --- | --- |"]
    for i, seed in enumerate(args.seeds):
        lines.append(f"| {seed} | {ours[i]:.4f} | {'' if args.no_d2l else f'{d2l[i]:.4f}'} |")
    lines += ["", f"- sklearn_dl: {_summary(ours)}; median fit {statistics.median(ours_s):.1f} s; "
              f"bar {'met' if median >= SEED_DROPOUT_BAR else 'NOT met'}"]
    if not args.no_d2l:
        lines += [f"- d2l loop: {_summary(d2l)}; median fit {statistics.median(d2l_s):.1f} s",
                  f"- median accuracy, sklearn_dl / d2l loop: {median / statistics.median(d2l):.4f}; "
                  f"median fit time, d2l loop / sklearn_dl: "
                  f"{statistics.median(d2l_s) / statistics.median(ours_s):.2f}x"]
    if args.epochs_table:
        lines += ["", "Test accuracy after each epoch:", "",
                  "| model | seed | " + " | ".join(f"ep {e + 1}" for e in range(10)) + " |",
                  "| --- | --- |" + " --- |" * 10]
        lines += [f"| {name} | {seed} | " + " | ".join(f"{a:.3f}" for a in curve) + " |"
                  for name, seed, curve in per_epoch]
    report = "\n".join(lines) + "\n"
    print("\n" + report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
