"""Regenerate the figures the README shows, from the examples that draw them.

    python scripts/make_figures.py            # full runs, as the examples' results are reported
    python scripts/make_figures.py --quick    # SKLEARN_DL_QUICK=1: smaller data, seconds

Each example in ``FIGURES`` runs as a script (in a scratch folder, on the Agg
backend); its n-th ``plt.show()`` is saved as a small PNG under
``docs/images/``. Nothing is drawn by hand: to change a figure, change the
example. The examples read Fashion-MNIST, which must be installed (see the
README's Datasets section).
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"

#: file name -> (example, which plt.show() of it, 1-based)
FIGURES = {
    "prediction_grid.png": ("04_softmax_regression.py", 2),
    "activations.png": ("05_mlp_activations.py", 1),
    "validation_curve.png": ("07_model_selection_polynomial.py", 4),
}
#: Dots per inch of the saved PNGs: small files, readable on GitHub.
DPI = 80


class _Done(Exception):
    """Raised by the patched ``plt.show`` once every wanted figure is saved."""


def run_example(example, wanted, out_dir):
    """Run ``examples/<example>`` up to its last wanted figure; save its
    ``plt.show()`` number n as ``wanted[n]``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = 0
    saved = []

    def show(*args, **kwargs):
        nonlocal shown
        shown += 1
        if shown in wanted:
            path = out_dir / wanted[shown]
            plt.gcf().savefig(path, dpi=DPI, bbox_inches="tight")
            saved.append(path)
        plt.close("all")
        if len(saved) == len(wanted):
            raise _Done  # the rest of the example draws nothing we keep

    original = plt.show
    plt.show = show
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:   # examples may write files
        os.chdir(scratch)
        try:
            runpy.run_path(str(ROOT / "examples" / example), run_name="__main__")
        except _Done:
            pass
        finally:
            os.chdir(cwd)
            plt.show = original
    missing = sorted(set(wanted.values()) - {p.name for p in saved})
    if missing:
        raise SystemExit(f"{example} called plt.show() {shown} times; "
                         f"no figure for {missing}: update FIGURES")
    return saved


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="run the examples in quick mode (SKLEARN_DL_QUICK=1)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder (default {OUT})")
    args = parser.parse_args(argv)
    if args.quick:
        os.environ["SKLEARN_DL_QUICK"] = "1"
    args.out.mkdir(parents=True, exist_ok=True)
    by_example = {}
    for name, (example, index) in FIGURES.items():
        by_example.setdefault(example, {})[index] = name
    for example, wanted in by_example.items():
        start = time.perf_counter()
        for path in run_example(example, wanted, args.out):
            print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
                  f"{path.stat().st_size // 1024} KiB (from {example})")
        print(f"  {example} ran in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
