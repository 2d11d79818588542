"""Choose the members of the house-price blend by nested cross-validation.

Selection and evaluation never see the same rows:

* outer loop: ``KFold(5, shuffle=True, random_state=0)`` over the 1460
  training houses (the folds whose mean ``make_model`` reports);
* inner loop, inside each outer training set only: ``KFold(5, shuffle=True,
  random_state=1)``; every candidate member's out-of-fold log predictions
  are computed there, and every subset of at least two members (equal
  weights in log price) is scored on them;
* the subset with the lowest inner log-RMSE is refitted on the outer
  training set and scored once on the outer validation fold;
* as in ``make_model('best')``, a blend's predictions for the houses over
  4000 sq ft that have comparables among the fold's training houses are
  their comparables' mean log price (``LargeHouseComparables``), in the
  inner scores and the outer ones alike.

The mean of the outer scores is the honest estimate of "select a blend, then
fit it"; the subset that the same procedure picks on all 1460 houses (inner
folds over all rows) is the one ``make_model('best')`` uses. Out-of-fold
predictions are cached per member in ``--cache`` (a folder of ``.npz``
files), so adding a candidate costs only that candidate's fits::

    OMP_NUM_THREADS=1 SKLEARN_DL_DATA=../shared/data .venv/bin/python \\
        benchmarks/house_prices_select.py --out benchmarks/RESULTS_house_prices_select.md

The candidates' own settings (alpha, trees, kernel widths) are fixed here
and not searched: widely used settings for this competition (see
``sklearn_dl.house_prices`` for their sources), not tuned on these folds.
"""

from __future__ import annotations

import argparse
import itertools
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.base import clone
from sklearn.model_selection import KFold

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sklearn.dummy import DummyRegressor  # noqa: E402

from sklearn_dl.house_prices import (  # noqa: E402
    BLEND_CANDIDATES, LargeHouseComparables, load_frames, make_member, split_target)


def oof_log_predictions(member, X, logy, splitter):
    """Out-of-fold log-price predictions of one member over ``splitter``'s folds."""
    pred = np.empty(len(logy))
    seconds = []
    for tr, va in splitter.split(X):
        t0 = time.perf_counter()
        est = clone(member).fit(X.iloc[tr], logy[tr])
        seconds.append(time.perf_counter() - t0)
        pred[va] = est.predict(X.iloc[va])
    return pred, seconds


def with_comparables(pred, X, logy, splitter):
    """Out-of-fold ``pred`` after make_model('best')'s LargeHouseComparables step.

    In each fold of ``splitter`` the validation rows' large houses get the
    mean log price of their comparables among that fold's training rows.
    """
    pred = np.array(pred, dtype=np.float64)
    for tr, va in splitter.split(X):
        step = LargeHouseComparables(DummyRegressor()).fit(X.iloc[tr], logy[tr])
        pred[va] = step.price_from_comparables(X.iloc[va], pred[va])
    return pred


def rmse(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2)))


def best_subset(preds, logy, names, min_size=2, adjust=lambda p: p):
    """The subset (equal log-space weights) with the lowest log-RMSE, and every score.

    ``adjust`` turns a subset's averaged predictions into the blend's
    (:func:`with_comparables`).
    """
    scores = {}
    for k in range(min_size, len(names) + 1):
        for subset in itertools.combinations(names, k):
            scores[subset] = rmse(adjust(np.mean([preds[n] for n in subset], axis=0)), logy)
    choice = min(scores, key=scores.get)
    return choice, scores


def member_predictions(name, X, logy, seed, cache, outer, inner_seed, outer_only=False):
    """Outer OOF, inner OOF per outer fold, and all-rows inner OOF of one member (cached).

    ``outer_only``: only the outer folds' predictions (for other seeds' CV scores).
    """
    path = cache / f"{name}_seed{seed}.npz"
    paths = [path, cache / f"{name}_seed{seed}_outer.npz"] if outer_only else [path]
    for p in paths:
        if p.exists():
            data = np.load(p)
            return {k: data[k] for k in data.files}
    member = make_member(name, random_state=seed)
    out = {}
    t0 = time.perf_counter()
    out["outer"], secs = oof_log_predictions(member, X, logy, outer)
    out["fit_seconds"] = np.array(secs)
    if outer_only:
        np.savez(paths[-1], **out)
        return out
    inner = KFold(5, shuffle=True, random_state=inner_seed)
    for i, (tr, _) in enumerate(outer.split(X)):
        out[f"inner{i}"], _ = oof_log_predictions(member, X.iloc[tr], logy[tr], inner)
    out["all_rows"], _ = oof_log_predictions(member, X, logy, inner)
    print(f"  {name} seed {seed}: {time.perf_counter() - t0:.0f} s "
          f"(median fold fit {np.median(secs):.1f} s)", flush=True)
    np.savez(path, **out)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", nargs="+", default=list(BLEND_CANDIDATES),
                        choices=list(BLEND_CANDIDATES))
    parser.add_argument("--random-state", type=int, default=0,
                        help="seed of the members' random parts (folds are fixed)")
    parser.add_argument("--cache", default=str(HERE / ".cache_house_select"))
    parser.add_argument("--out", default=None, help="also write the report to this file")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--cv-seeds", nargs="*", type=int, default=[],
                        help="also score the chosen blend (make_model('best')'s members) on "
                             "the outer folds with these members' random_state values")
    args = parser.parse_args(argv)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)

    X, y = split_target(load_frames(args.data_home)[0])
    logy = np.log(y)
    outer = KFold(5, shuffle=True, random_state=0)
    inner_seed = 1
    preds = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in args.members:
            preds[name] = member_predictions(name, X, logy, args.random_state, cache, outer,
                                             inner_seed)

    names = list(args.members)
    lines = [
        "# House prices: blend members chosen by nested cross-validation", "",
        "Generated by `benchmarks/house_prices_select.py " + " ".join(
            argv if argv is not None else sys.argv[1:]) + "`.", "",
        f"python {platform.python_version()}, torch {torch.__version__}, scikit-learn "
        f"{sklearn.__version__}, torch threads {torch.get_num_threads()}; members' "
        f"random_state {args.random_state}. Outer folds `KFold(5, shuffle=True, "
        f"random_state=0)`; inner folds `KFold(5, shuffle=True, random_state={inner_seed})` "
        "inside each outer training set.", "",
        "## Each candidate alone (outer folds)", "",
        "| member | outer log-RMSE (all 1460 houses) | median fit seconds per fold |",
        "| --- | --- | --- |",
    ]
    for n in names:
        lines.append(f"| {n} | {rmse(preds[n]['outer'], logy):.4f} | "
                     f"{np.median(preds[n]['fit_seconds']):.1f} |")
    lines += ["", "## Nested selection", "",
              "| outer fold | subset chosen on the inner folds | inner log-RMSE | "
              "outer fold log-RMSE |", "| --- | --- | --- | --- |"]
    outer_pred = np.empty(len(logy))
    fold_scores = []
    inner = KFold(5, shuffle=True, random_state=inner_seed)
    for i, (tr, va) in enumerate(outer.split(X)):
        inner_preds = {n: preds[n][f"inner{i}"] for n in names}
        choice, scores = best_subset(
            inner_preds, logy[tr], names,
            adjust=lambda p, tr=tr: with_comparables(p, X.iloc[tr], logy[tr], inner))
        # the chosen members' outer predictions are fits on this outer training set;
        # the large houses' comparables come from it too
        blend = np.mean([preds[n]["outer"][va] for n in choice], axis=0)
        step = LargeHouseComparables(DummyRegressor()).fit(X.iloc[tr], logy[tr])
        outer_pred[va] = step.price_from_comparables(X.iloc[va], blend)
        fold_scores.append(rmse(outer_pred[va], logy[va]))
        lines.append(f"| {i} | {' + '.join(choice)} | {scores[choice]:.4f} | "
                     f"{fold_scores[-1]:.4f} |")
    nested = rmse(outer_pred, logy)
    lines += ["", f"Nested estimate (out-of-fold log-RMSE over all 1460 houses): "
              f"**{nested:.4f}**; mean of the five fold scores {np.mean(fold_scores):.4f}.", ""]
    choice, scores = best_subset({n: preds[n]["all_rows"] for n in names}, logy, names,
                                 adjust=lambda p: with_comparables(p, X, logy, inner))
    ranked = sorted(scores, key=scores.get)[:8]
    lines += ["## The choice on all 1460 houses (inner folds over all rows)", "",
              "| subset | log-RMSE (inner folds, all rows) |", "| --- | --- |"]
    lines += [f"| {' + '.join(s)} | {scores[s]:.4f} |" for s in ranked]
    lines += ["", f"Chosen: `{', '.join(choice)}`.", ""]
    # make_model('best') with these members, scored as cross_validate_model does: the
    # mean over the outer folds of each fold's log-RMSE (the members' log predictions
    # averaged, as VotingRegressor does)
    lines += ["## `make_model('best')` with the chosen members: 5-fold CV", "",
              "Mean of the five outer folds' log-RMSE (`cross_validate_model`'s number), "
              "per members' random_state.", "",
              "The comparables step (`LargeHouseComparables`) changes only the houses over "
              "4000 sq ft that have comparables among the fold's training houses; the last "
              "two columns are the blend without it, and the score of the 1456 houses of at "
              "most 4000 sq ft (the same with or without it).", "",
              "| random_state | mean | per fold | mean without comparables | "
              "mean, houses <= 4000 sq ft |", "| --- | --- | --- | --- | --- |"]
    small = ~(X["GrLivArea"].to_numpy() > 4000)
    for seed in dict.fromkeys([args.random_state, *args.cv_seeds]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sp = {n: (preds[n] if seed == args.random_state else member_predictions(
                n, X, logy, seed, cache, outer, inner_seed, outer_only=True)) for n in choice}
        plain = np.mean([sp[n]["outer"] for n in choice], axis=0)
        blend = with_comparables(plain, X, logy, outer)
        folds = [rmse(blend[va], logy[va]) for _, va in outer.split(X)]
        typical = [rmse(blend[va][small[va]], logy[va][small[va]]) for _, va in outer.split(X)]
        without = [rmse(plain[va], logy[va]) for _, va in outer.split(X)]
        lines.append(f"| {seed} | **{np.mean(folds):.4f}** | "
                     + " ".join(f"{f:.3f}" for f in folds)
                     + f" | {np.mean(without):.4f} | {np.mean(typical):.4f} |")
    lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return choice, nested


if __name__ == "__main__":
    main()
