"""The ``sklearn-dl`` command.

``sklearn-dl house-prices``
    The Kaggle house-price task end to end: load the data, K-fold
    cross-validate the chosen models with a progress bar, print a table of
    validation log-RMSE, fit the best of them on all training houses and
    write Kaggle's ``submission.csv``.
``sklearn-dl predict``
    Load a model saved with ``house-prices --save-model`` (no pickle: see
    :func:`sklearn_dl.load`) and write its predictions for the test houses.
``sklearn-dl demo``
    Fashion-MNIST training demo (:mod:`sklearn_dl.demo`); its own options
    follow (``sklearn-dl demo --help``).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

__all__ = ["main"]


def _parser():
    from .house_prices import MODEL_NAMES

    parser = argparse.ArgumentParser(
        prog="sklearn-dl",
        description="scikit-learn estimators whose models are PyTorch modules.")
    sub = parser.add_subparsers(dest="command", metavar="{house-prices,predict,demo}", required=True)
    models = "\n".join(f"  {name}: {text}" for name, text in MODEL_NAMES.items())
    hp = sub.add_parser(
        "house-prices", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="Kaggle house prices: cross-validate models, write submission.csv",
        description="Cross-validate house-price models on Kaggle's log-RMSE (shuffled "
                    "K-fold), print the table, fit the best one on all training houses "
                    "and write Kaggle's submission file.\n\nModels:\n" + models)
    hp.add_argument("--model", action="append", choices=[*MODEL_NAMES, "all"], default=None,
                    metavar="NAME",
                    help="model to evaluate; repeat for several, 'all' for every one "
                         "(default: best)")
    hp.add_argument("--cv", type=int, default=5, metavar="K",
                    help="folds of KFold(K, shuffle=True, random_state=0); 0 skips "
                         "cross-validation (default 5)")
    hp.add_argument("--out", default="submission.csv", metavar="PATH",
                    help="where to write the submission (default submission.csv)")
    hp.add_argument("--data-home", default=None, metavar="DIR",
                    help="folder searched first for house-prices/kaggle_house_pred_*.csv")
    hp.add_argument("--no-download", action="store_true",
                    help="fail instead of downloading missing data")
    hp.add_argument("--random-state", type=int, default=0,
                    help="seed of the models' random parts (default 0); the folds are always "
                         "KFold(K, shuffle=True, random_state=0)")
    hp.add_argument("--save-model", default=None, metavar="PATH",
                    help="also save the fitted model there (sklearn_dl.save: safetensors, "
                         "no pickle); `sklearn-dl predict --model PATH` reads it back")
    hp.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    pr = sub.add_parser(
        "predict", help="predict house prices with a model saved by --save-model",
        description="Load a model written by `sklearn-dl house-prices --save-model` (a "
                    "sklearn_dl.save file: no pickle, no code from the file runs) and write "
                    "Kaggle's Id,SalePrice file for the test houses.")
    pr.add_argument("--model", required=True, metavar="PATH", help="the saved model")
    pr.add_argument("--input", default=None, metavar="CSV",
                    help="houses to price, with an Id column and the competition's feature "
                         "columns (default: the competition's test file)")
    pr.add_argument("--out", default="predictions.csv", metavar="PATH",
                    help="where to write Id,SalePrice (default predictions.csv)")
    pr.add_argument("--data-home", default=None, metavar="DIR",
                    help="folder searched first for house-prices/kaggle_house_pred_test.csv")
    pr.add_argument("--no-download", action="store_true",
                    help="fail instead of downloading missing data")
    sub.add_parser("demo", add_help=False,
                   help="train on Fashion-MNIST and report accuracy (sklearn-dl demo --help)")
    return parser


def main(argv=None):
    """Run the command; returns the exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments after the program name (``sys.argv[1:]`` when None).

    Returns
    -------
    status : int
        0 on success, 2 when the data are missing or an argument is invalid.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "demo":
        from . import demo

        return demo.main(argv[1:])
    args = _parser().parse_args(argv)
    if args.command == "predict":
        return _predict(args)
    if args.cv == 1 or args.cv < 0:
        print(f"sklearn-dl house-prices: --cv must be 0 (no cross-validation) or at least "
              f"2; got {args.cv}.", file=sys.stderr)
        return 2
    for option, path in (("--out", args.out), ("--save-model", args.save_model)):
        problem = _unwritable(path)
        if problem:  # before any training: an hour of fitting must not end here
            print(f"sklearn-dl house-prices: {option} {path}: {problem}", file=sys.stderr)
            return 2
    return _house_prices(args)


def _unwritable(path):
    """Why a file cannot be written at ``path``, or None (None path: not asked for)."""
    if path is None:
        return None
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return "is a directory; give a file name, e.g. --out submission.csv."
    if not os.path.isdir(folder):
        return f"the folder {folder!r} does not exist; create it or choose another path."
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        return "is not writable; choose a path you can write to."
    return None


def _predict(args):
    import pandas as pd

    from .datasets import DatasetNotFoundError
    from .house_prices import load_frames, make_submission
    from .io import load

    problem = _unwritable(args.out)
    if problem:
        print(f"sklearn-dl predict: --out {args.out}: {problem}", file=sys.stderr)
        return 2
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # parameters saved by name only
            model = load(args.model)
    except (OSError, ValueError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"sklearn-dl predict: cannot load the model {args.model}: {message}",
              file=sys.stderr)
        return 2
    try:
        if args.input is not None:
            houses = pd.read_csv(args.input)
        else:
            _, houses = load_frames(args.data_home, download=not args.no_download)
        submission = make_submission(model, houses, args.out)
    except (OSError, ValueError, KeyError, DatasetNotFoundError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"sklearn-dl predict: {message}", file=sys.stderr)
        return 2
    print(f"Wrote {len(submission)} predictions of {args.model} to {args.out}")
    return 0


def _house_prices(args):
    from tqdm.auto import tqdm

    from .datasets import DatasetNotFoundError
    from .house_prices import (
        MODEL_NAMES,
        cross_validate_model,
        load_frames,
        make_model,
        make_submission,
        split_target,
    )

    names = args.model or ["best"]
    names = list(MODEL_NAMES) if "all" in names else list(dict.fromkeys(names))
    try:
        train, test = load_frames(args.data_home, download=not args.no_download)
    except DatasetNotFoundError as exc:
        print(f"sklearn-dl house-prices: the data are missing.\n{exc}\nOn the command "
              "line: --data-home DIR, or SKLEARN_DL_DATA=DIR, or leave out --no-download.",
              file=sys.stderr)
        return 2
    X, y = split_target(train)

    results = {}
    caught = {name: [] for name in names}
    steps = len(names) * args.cv + 1
    with tqdm(total=steps, desc="house-prices", disable=args.quiet, file=sys.stderr) as bar:
        for name in names:
            bar.set_postfix_str(f"{name}: {args.cv}-fold CV")
            if args.cv:
                with warnings.catch_warnings(record=True) as record:
                    warnings.simplefilter("always")
                    results[name] = cross_validate_model(
                        make_model(name, random_state=args.random_state), X, y, cv=args.cv,
                        random_state=0, progress=lambda: bar.update(1))
                caught[name] += record
        chosen = min(results, key=lambda n: results[n]["valid"].mean()) if results \
            else names[0]
        bar.set_postfix_str(f"{chosen}: fit on all {len(X)} houses")
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            model = make_model(chosen, random_state=args.random_state).fit(X, y)
        caught[chosen] += record
        bar.update(1)

    if results:
        print(f"\n{args.cv}-fold cross-validation (KFold, shuffle=True, random_state=0), "
              "log-RMSE on the validation folds:\n")
        print(format_table(results))
    _print_warnings(caught)
    submission = make_submission(model, test, args.out)
    print(f"\nFitted '{chosen}' on all {len(X)} training houses; wrote {len(submission)} "
          f"predictions to {args.out}")
    if args.save_model is not None:
        from .io import save

        save(model, args.save_model)
        print(f"Saved the fitted model to {args.save_model} (sklearn-dl predict --model "
              f"{args.save_model} reads it)")
    return 0


def format_table(results):
    """Markdown table of cross-validation results, one row per model.

    Parameters
    ----------
    results : dict
        Model name -> the dict returned by
        :func:`sklearn_dl.house_prices.cross_validate_model`.

    Returns
    -------
    str
    """
    rows = ["| model | valid log-RMSE mean | std | per fold | train log-RMSE | fit s/fold |",
            "| --- | --- | --- | --- | --- | --- |"]
    for name, r in results.items():
        folds = " ".join(f"{v:.3f}" for v in r["valid"])
        rows.append(f"| {name} | {r['valid'].mean():.4f} | {r['valid'].std():.4f} | {folds} "
                    f"| {r['train'].mean():.4f} | {r['fit_time'].mean():.1f} |")
    return "\n".join(rows)


def _print_warnings(caught):
    for name, record in caught.items():
        if record:
            kinds = sorted({w.category.__name__ for w in record})
            print(f"note: '{name}' raised {len(record)} warning(s) ({', '.join(kinds)}), "
                  f"e.g.: {str(record[0].message).splitlines()[0]}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
