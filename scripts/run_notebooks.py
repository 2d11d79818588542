"""Execute the notebooks in ``notebooks/`` and save them with their outputs.

    python scripts/run_notebooks.py                 # every notebook, full runs
    python scripts/run_notebooks.py --quick         # SKLEARN_DL_QUICK=1, for a fast check
    python scripts/run_notebooks.py notebooks/house_prices.ipynb

The notebooks are committed executed, figures included, so that a reader on
GitHub sees what they show; run this after changing one. Each runs top to
bottom in a fresh Jupyter kernel (nbclient, as tests/test_examples.py does)
from a scratch folder, so files it writes (submission.csv) stay out of the
checkout. The data come from ``$SKLEARN_DL_DATA``, or ``../shared/data`` when
that exists. The test suite executes the notebooks again (in quick mode) but
does not compare their outputs with the committed ones.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
#: Seconds one cell may run (the full runs train for minutes).
CELL_TIMEOUT = 3600


def run(path, env):
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as scratch:
        client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                resources={"metadata": {"path": scratch}},
                                store_widget_state=True)
        client.execute(env=env)
    nbformat.validate(nb)
    nbformat.write(nb, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        default=sorted((ROOT / "notebooks").glob("*.ipynb")))
    parser.add_argument("--quick", action="store_true",
                        help="SKLEARN_DL_QUICK=1: less data and fewer epochs")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the kernel's inline backend draws the figures
    if args.quick:
        env["SKLEARN_DL_QUICK"] = "1"
    shared = ROOT.parent / "shared" / "data"
    if not env.get("SKLEARN_DL_DATA") and shared.is_dir():
        env["SKLEARN_DL_DATA"] = str(shared)
    for path in args.notebooks:
        start = time.perf_counter()
        run(path, env)
        print(f"{path}: executed in {time.perf_counter() - start:.0f} s, "
              f"{path.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
