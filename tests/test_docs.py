"""The documentation builds without warnings and covers the public API.

``mkdocs build --strict`` turns every warning into an error: a page missing
from the nav, a broken link or anchor, or a docstring that mkdocstrings
cannot render fails here, and so in CI.
"""

import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import sklearn_dl

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api"


def test_mkdocs_build_strict(tmp_path):
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    page = (tmp_path / "site" / "api" / "linear_model" / "index.html").read_text()
    # the reference is generated from the numpydoc docstrings, Examples included
    assert "LinearRegressorNN" in page and "random_state" in page and "&gt;&gt;&gt;" in page


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
