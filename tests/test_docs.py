"""The documentation builds without warnings, covers the public API, and
shows every example with its output and figures.

``mkdocs build --strict`` turns every warning into an error: a page missing
from the nav, a broken link or anchor, or a docstring that mkdocstrings
cannot render fails here, and so in CI. The build executes every example
(``examples/NN_name.py``, quick mode) for the gallery, with mkdocs-jupyter;
this is where the examples run in the test suite, and an example whose
assertion fails fails the build.
"""

import html
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
from _data import DATASETS, HOW_TO_PROVIDE, data_home, locate, must_have, require
from sklearn.base import BaseEstimator

import sklearn_dl
from sklearn_dl import house_prices
from sklearn_dl._doc_link import DOCS_URL, doc_link

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api"
EXAMPLES = sorted((ROOT / "examples").glob("[0-9][0-9]_*.py"))
# The gallery build runs every example once, one after another (about 2
# minutes in quick mode on a free core); a hung example must not hang CI.
BUILD_TIMEOUT_S = 1200


def _build_env(tmp_path, execute):
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", SKLEARN_DL_QUICK="1",
               SKLEARN_DL_DOCS_EXECUTE="true" if execute else "false",
               SKLEARN_DL_DOCS_CACHE=str(tmp_path / "cache"),  # always execute afresh
               JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
               IPYTHONDIR=str(tmp_path / "ipython"), PYTHONUNBUFFERED="1")
    env.pop("MPLBACKEND", None)   # the kernel's inline backend is what captures figures
    env.setdefault("OMP_NUM_THREADS", "1")  # small models; two test workers on two cores
    if "SKLEARN_DL_DATA" not in env and data_home() is not None:
        env["SKLEARN_DL_DATA"] = str(data_home())
    return env


def _images(page):
    return len(re.findall(r'<img[^>]*src="data:image/png', page))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built site, with the examples executed when their data are here."""
    tmp_path = tmp_path_factory.mktemp("docs")
    missing = [name for name in DATASETS if locate(name)[0] is None]
    for name in missing:
        if must_have(name):
            require(name)  # CI (or $SKLEARN_DL_DATA) must have the data: fail, never skip
    # without the data, the pages are built from the examples' code alone
    execute = not missing
    # run from a scratch folder: examples that write files (submission.csv)
    # write them there, not into the checkout
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(tmp_path / "site")],
        cwd=tmp_path, env=_build_env(tmp_path, execute), capture_output=True, text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-8000:]
    return tmp_path / "site", missing


def test_mkdocs_build_strict(site):
    site, _ = site
    page = (site / "api" / "linear_model" / "index.html").read_text()
    # the reference is generated from the numpydoc docstrings, Examples included
    assert "LinearRegressorNN" in page and "random_state" in page and "&gt;&gt;&gt;" in page


def test_html_diagram_links_land_on_an_api_entry(site):
    # every "?" link of an estimator's HTML diagram (sklearn_dl/_doc_link.py)
    # names a page of this site and the id of the class's heading on it
    site, _ = site
    classes = [getattr(sklearn_dl, n) for n in sklearn_dl.__all__]
    classes += [getattr(house_prices, n) for n in house_prices.__all__]
    classes = [c for c in classes if isinstance(c, type) and issubclass(c, BaseEstimator)]
    assert len(classes) >= 7
    for cls in classes:
        url = doc_link(cls)
        assert url.startswith(DOCS_URL), url
        path, anchor = url[len(DOCS_URL):].split("#")
        page = (site / path / "index.html").read_text()
        assert f'id="{anchor}"' in page, (cls.__name__, path, anchor)


def test_gallery_shows_every_example_with_its_output_and_figures(site):
    site, missing = site
    index = (site / "examples" / "index.html").read_text()
    assert EXAMPLES, "no examples found"
    for path in EXAMPLES:
        folder = site / "examples" / path.stem
        page = (folder / "index.html").read_text()
        assert f'href="{path.stem}/"' in index, f"the gallery index does not link {path.name}"
        assert (folder / path.name).is_file()       # the script, to download
        assert "jp-Cell" in page                    # rendered as a notebook
        if missing:
            continue
        source = path.read_text()
        # what it printed, and a figure for each plt.show() (some show more)
        assert "jp-OutputArea-output" in page, f"{path.name}: no output in the gallery"
        assert _images(page) >= source.count("plt.show()"), (path.name, _images(page))
        assert "Traceback" not in html.unescape(page), f"{path.name} raised"
    if missing:
        pytest.skip("the gallery was built without running the examples: "
                    + "; ".join(f"{n} data missing ({HOW_TO_PROVIDE[n]})" for n in missing))


def _documented():
    text = "\n".join(p.read_text() for p in API.glob("*.md"))
    return set(re.findall(r"^:::\s*(sklearn_dl[\w.]*)", text, flags=re.M))


def test_every_public_module_and_name_is_in_the_api_reference():
    documented = _documented()
    modules = {m.name for m in pkgutil.iter_modules(sklearn_dl.__path__, "sklearn_dl.")
               if not m.name.rsplit(".", 1)[1].startswith("_")}
    missing_modules = {m for m in modules
                       if not any(d == m or d.startswith(m + ".") for d in documented)}
    assert not missing_modules, f"no API page shows {sorted(missing_modules)}"
    missing_names = set()
    for name in sklearn_dl.__all__:
        if name.startswith("_"):
            continue
        obj = getattr(sklearn_dl, name)
        path = f"{obj.__module__}.{name}"
        if path not in documented and obj.__module__ not in documented:
            missing_names.add(path)
    assert not missing_names, f"public names missing from docs/api: {sorted(missing_names)}"


def test_docstring_references_become_links_and_broken_ones_warn(tmp_path, caplog):
    # the griffe extension mkdocs.yml loads, run on a package of our own
    import griffe

    (tmp_path / "refpkg").mkdir()
    (tmp_path / "refpkg" / "__init__.py").write_text(
        '"""Refs.\n\n'
        'See :class:`~sklearn_dl.MLPClassifier`, :func:`sklearn_dl.datasets.load_fashion_mnist`,\n'
        ':class:`sklearn.linear_model.Ridge`, :class:`torch.nn.Linear` and\n'
        ':func:`sklearn_dl.no_such_function`.\n"""\n')
    ext = griffe.load_extensions(f"{ROOT / 'docs' / '_ext' / 'rst_roles.py'}:RstRoles")
    with caplog.at_level("WARNING", logger="mkdocs.plugins.rst_roles"):
        pkg = griffe.load("refpkg", search_paths=[tmp_path], extensions=ext)
    text = pkg.docstring.value
    assert "[`MLPClassifier`][sklearn_dl.neural_network.MLPClassifier]" in text
    assert "[`sklearn_dl.datasets.load_fashion_mnist()`][sklearn_dl.datasets.load_fashion_mnist]" in text
    assert "(https://scikit-learn.org/stable/modules/generated/sklearn.linear_model.Ridge.html)" in text
    assert "`torch.nn.Linear`" in text and ":class:" not in text
    assert any("no_such_function" in r.getMessage() for r in caplog.records)
