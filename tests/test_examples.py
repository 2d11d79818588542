"""Every example and notebook runs, in quick mode, and reproduces its result.

Each ``examples/NN_name.py`` asserts the seed's result it reproduces, so an
example that runs without error reproduced it. They are run once, by the
documentation build (``tests/test_docs.py``), which executes each as a
notebook in quick mode for the gallery: a failing example fails that test.
Here: every seed topic has an example, and each opens as a notebook.

The notebooks under ``notebooks/`` are executed in a real Jupyter kernel
(nbclient + ipykernel), and their rich outputs are checked: what renders in
a notebook (the estimator's HTML repr, the progress bar, the live training
plot, the prediction grid) is what the notebooks are for. Their committed
outputs (``scripts/run_notebooks.sh``) are not compared.
"""

import collections
import os
import re
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("[0-9][0-9]_*.py"))
NOTEBOOKS = ROOT / "notebooks"

# The seed topics (docs/examples.md lists them): one example each.
SEED_TOPICS = {
    "01": "linear regression from scratch",
    "02": "concise linear regression",
    "03": "Fashion-MNIST data",
    "04": "softmax regression",
    "05": "MLP and activations",
    "06": "dropout",
    "07": "model selection with polynomials",
    "08": "weight decay",
    "09": "house prices",
    "10": "layers and blocks",
    "11": "parameter management",
}

# Seconds per notebook cell: a hung cell must not hang CI.
TIMEOUT_S = 300


def _env(tmp_path):
    env = dict(os.environ)
    env.update(SKLEARN_DL_QUICK="1", MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    # one torch thread: the examples' models are small, and more threads than
    # free cores (pytest -n 2 on 2 cores) make them several times slower
    env.setdefault("OMP_NUM_THREADS", "1")
    if "SKLEARN_DL_DATA" not in env and (ROOT.parent / "shared" / "data").is_dir():
        env["SKLEARN_DL_DATA"] = str(ROOT.parent / "shared" / "data")
    return env


def test_every_example_is_in_the_gallery_build():
    # tests/test_docs.py runs the examples through the docs build; the gallery
    # finds them with the same pattern as this file (docs/_ext/gallery.py)
    import importlib.util

    spec = importlib.util.spec_from_file_location("gallery", ROOT / "docs/_ext/gallery.py")
    gallery = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gallery)
    assert sorted((ROOT / "examples").glob(gallery.PATTERN)) == EXAMPLES


def test_every_seed_topic_has_an_example():
    numbers = {p.name[:2] for p in EXAMPLES}
    missing = {n: t for n, t in SEED_TOPICS.items() if n not in numbers}
    assert not missing, f"no example for seed topics {missing}"


def test_examples_are_jupytext_percent_scripts():
    # each example opens as a notebook: jupytext finds markdown and code cells
    for path in EXAMPLES:
        nb = jupytext.read(path)
        kinds = {c.cell_type for c in nb.cells}
        assert kinds == {"markdown", "code"}, (path.name, kinds)
        first = nb.cells[0]
        assert first.cell_type == "markdown" and re.match(r"#\s", first.source), path.name


# --------------------------------------------------------------------------
# Notebooks, in a real Jupyter kernel
# --------------------------------------------------------------------------
class _RecordingClient(NotebookClient):
    """Counts each cell's display messages, also those a later ``clear_output``
    removed from the saved outputs (a live plot redraws by clearing its cell)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.displays = collections.Counter()

    def output(self, outs, msg, display_id, cell_index):
        if msg["header"]["msg_type"] in ("display_data", "update_display_data"):
            for mime in msg["content"].get("data", {}):
                self.displays[cell_index, mime] += 1
        return super().output(outs, msg, display_id, cell_index)


def _execute_notebook(name, tmp_path, monkeypatch):
    # connection files and IPython's profile in scratch folders: CI's HOME
    # may be read-only, and parallel test processes must not share them
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = _RecordingClient(nb, timeout=TIMEOUT_S, kernel_name="python3",
                              resources={"metadata": {"path": str(tmp_path)}})
    env = _env(tmp_path)
    env.pop("MPLBACKEND")  # the kernel's own inline backend is what renders figures
    client.execute(env=env)  # raises CellExecutionError on the first failing cell
    return nb, client


def _cell(nb, snippet, exact=False):
    """Index and cell of the one code cell whose source contains (or is) ``snippet``."""
    found = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"
             and (c.source.strip() == snippet if exact else snippet in c.source)]
    assert len(found) == 1, f"{len(found)} code cells contain {snippet!r}"
    return found[0]


def _mimes(cell):
    return [mime for out in cell.outputs for mime in out.get("data", {})]


def _stdout(cell):
    return "".join(out.text for out in cell.outputs
                   if out.output_type == "stream" and out.name == "stdout")


@pytest.mark.usefixtures("fashion_mnist_dir")
def test_fashion_mnist_notebook(tmp_path, monkeypatch):
    nb, client = _execute_notebook("fashion_mnist.ipynb", tmp_path, monkeypatch)

    # the live plot: redrawn once per epoch while fit ran, one figure left
    i, live = _cell(nb, "callbacks=[LivePlot()]")
    assert client.displays[i, "image/png"] >= 2, client.displays
    assert _mimes(live).count("image/png") == 1
    # the fitted estimator's scikit-learn HTML diagram
    _, shown = _cell(nb, "clf", exact=True)
    html = [o.data["text/html"] for o in shown.outputs if "text/html" in o.get("data", {})]
    assert html and "MLPClassifier" in html[0] and "<div" in html[0]
    # verbose=2: a tqdm progress-bar widget per epoch, and a line per epoch
    i, bar = _cell(nb, "verbose=2")
    assert client.displays[i, "application/vnd.jupyter.widget-view+json"] >= 1
    assert "Iteration 1, loss = " in _stdout(bar)  # and scikit-learn's epoch lines
    # the prediction grid and the confusion matrix are figures
    assert "image/png" in _mimes(_cell(nb, "show_images(test.images")[1])
    assert "image/png" in _mimes(_cell(nb, "ConfusionMatrixDisplay.from_estimator")[1])
    assert re.search(r"MLP test accuracy: 0\.\d+", _stdout(_cell(nb, "mlp_acc =")[1]))


@pytest.mark.usefixtures("house_prices_dir")
def test_house_prices_notebook(tmp_path, monkeypatch):
    nb, client = _execute_notebook("house_prices.ipynb", tmp_path, monkeypatch)

    # the raw frame and the model pipeline render as HTML
    _, model = _cell(nb, 'd2l = make_model("d2l")')
    html = [o.data["text/html"] for o in model.outputs if "text/html" in o.get("data", {})]
    assert html and "LinearRegressorNN" in html[0] and "ColumnTransformer" in html[0]
    # cross-validation: a tqdm widget and the table of log-RMSE per model
    i, cv = _cell(nb, "cross_validate_model(make_model(name)")
    assert client.displays[i, "application/vnd.jupyter.widget-view+json"] >= 1
    table = [o.data["text/html"] for o in cv.outputs if "text/html" in o.get("data", {})]
    assert table and "valid log-RMSE" in table[0] and "ridge" in table[0]
    assert "image/png" in _mimes(_cell(nb, "cross_val_predict(")[1])
    # Kaggle's submission file, written where the notebook ran
    lines = (tmp_path / "submission.csv").read_text().splitlines()
    assert lines[0] == "Id,SalePrice" and len(lines) == 1 + 1459
