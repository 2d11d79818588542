"""verbose=2 never crashes a fit: without ipywidgets the bar is text (issue 18, item 3).

tqdm records a missing ipywidgets as ``tqdm.notebook.IProgress is None`` and
then raises "IProgress not found" when asked for a widget; these tests set
exactly that, in this process (with a Jupyter shell faked for skorch's
notebook check) and in a real Jupyter kernel where ``import ipywidgets``
fails.
"""

import builtins
import os
import warnings

import nbformat
import pytest
import tqdm
import tqdm.notebook
from nbclient import NotebookClient
from sklearn.datasets import load_iris

from sklearn_dl import SoftmaxClassifier
from sklearn_dl import _progress


class ZMQInteractiveShell:  # the class name skorch's ProgressBar.in_ipynb looks for
    pass


@pytest.fixture
def in_jupyter(monkeypatch):
    monkeypatch.setattr(builtins, "get_ipython", lambda: ZMQInteractiveShell(), raising=False)
    monkeypatch.setattr(_progress, "_warned", False)


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def _fit(iris):
    X, y = iris
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = SoftmaxClassifier(max_iter=2, verbose=2, random_state=0).fit(X, y)
    return clf, [str(w.message) for w in caught]


def test_without_ipywidgets_the_bar_is_text_and_fit_completes(in_jupyter, monkeypatch, iris,
                                                              capsys):
    monkeypatch.setattr(tqdm.notebook, "IProgress", None)   # how tqdm sees no ipywidgets
    clf, messages = _fit(iris)
    assert clf.n_iter_ == 2
    err = capsys.readouterr().err
    assert "it/s" in err or "s/it" in err                    # tqdm's text bar was drawn
    hint = [m for m in messages if "sklearn-dl[notebook]" in m]
    assert len(hint) == 1, messages                          # said once, with the fix


def test_a_widget_that_fails_to_build_falls_back_to_text(in_jupyter, monkeypatch, iris, capsys):
    def broken_widget(*args, **kwargs):
        raise ImportError(tqdm.notebook.WARN_NOIPYW)         # an old or broken ipywidgets

    monkeypatch.setattr(tqdm, "tqdm_notebook", broken_widget)
    clf, messages = _fit(iris)
    assert clf.n_iter_ == 2
    err = capsys.readouterr().err
    assert "it/s" in err or "s/it" in err
    assert any("sklearn-dl[notebook]" in m for m in messages)


def test_with_widgets_the_notebook_bar_is_used(in_jupyter, monkeypatch, iris):
    made = []

    def recording_widget(*args, **kwargs):
        made.append(kwargs)
        return tqdm.tqdm(*args, disable=True, **kwargs)

    monkeypatch.setattr(tqdm.notebook, "IProgress", object)  # "ipywidgets is installed"
    monkeypatch.setattr(tqdm, "tqdm_notebook", recording_widget)
    clf, messages = _fit(iris)
    assert len(made) == 2                                    # one widget per epoch
    assert not any("sklearn-dl[notebook]" in m for m in messages)


def test_outside_jupyter_a_text_bar_without_warning(iris, capsys):
    clf, messages = _fit(iris)
    err = capsys.readouterr().err
    assert "it/s" in err or "s/it" in err
    assert not any("sklearn-dl[notebook]" in m for m in messages)


def test_a_real_kernel_without_ipywidgets_fits_with_verbose_2(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        # as if ipywidgets were not installed: every import of it fails
        nbformat.v4.new_code_cell('import sys\nsys.modules["ipywidgets"] = None'),
        nbformat.v4.new_code_cell(
            "from sklearn.datasets import load_iris\n"
            "from sklearn_dl import SoftmaxClassifier\n"
            "X, y = load_iris(return_X_y=True)\n"
            "clf = SoftmaxClassifier(max_iter=2, verbose=2, random_state=0).fit(X, y)\n"
            "print('fitted', clf.n_iter_)"),
    ]
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=dict(os.environ))   # raises CellExecutionError if the fit crashed
    outputs = nb.cells[1].outputs
    stdout = "".join(o.get("text", "") for o in outputs if o.get("name") == "stdout")
    stderr = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    # the per-epoch lines too: scikit-learn's "Iteration n, loss = ..." since
    # verbose prints them instead of skorch's table (issue 14's branch)
    assert "fitted 2" in stdout and "Iteration 2, loss = " in stdout
    assert "sklearn-dl[notebook]" in stderr                  # the hint
    assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
                   for o in outputs)
