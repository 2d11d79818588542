"""The Examples sections of the package's docstrings run, as doctests.

Every module of ``sklearn_dl`` is collected (a new module is covered without
editing this file) and each public estimator must show a runnable example.
"""

import doctest
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import sklearn_dl

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(sklearn_dl.__path__, prefix="sklearn_dl.")
    # __main__ runs the command line on import
    if not m.name.endswith("__main__")
)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
#: Examples that call these read a real data set: they need its fixture
#: (tests/_data.py), which skips without the data, except in CI.
DATA_LOADERS = {
    "fashion_mnist_dir": ("load_fashion_mnist",),
    "house_prices_dir": ("load_house_prices", "load_frames"),
}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, monkeypatch, tmp_path, request):
    # examples that write files (save/load, submissions) write them here
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    source = "".join(ex.source for test in finder.find(module, name) for ex in test.examples)
    for fixture, loaders in DATA_LOADERS.items():
        if any(loader in source for loader in loaders):
            request.getfixturevalue(fixture)
    state = np.get_printoptions()
    try:
        # the output format the docstrings are written in (numpy 2 reprs)
        np.set_printoptions(legacy=False)
        for test in finder.find(module, name):
            runner.run(test)
    finally:
        np.set_printoptions(**state)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples failed in {name}"


@pytest.mark.parametrize("name", sorted(n for n in sklearn_dl.__all__ if n[0].isupper()))
def test_public_estimators_document_a_runnable_example(name):
    doc = inspect.getdoc(getattr(sklearn_dl, name)) or ""
    assert "Examples\n--------" in doc and ">>> " in doc, f"{name} has no Examples section"
