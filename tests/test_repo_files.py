"""What a visitor of the repository sees: the licence, the README's figures,
notebooks with their outputs, the extras that bring what they need (issue 18)."""

import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_license_file_is_the_declared_bsd_3_clause():
    assert _pyproject()["project"]["license"] == {"text": "BSD-3-Clause"}
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("BSD 3-Clause License")
    # the three clauses, the third being the one BSD-2 lacks
    assert "Redistributions of source code must retain" in text
    assert "Redistributions in binary form must reproduce" in text
    assert "Neither the name of the copyright holder" in text


def _make_figures():
    spec = importlib.util.spec_from_file_location("make_figures",
                                                  ROOT / "scripts" / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_figures_are_the_generated_ones():
    figures = _make_figures().FIGURES
    readme = (ROOT / "README.md").read_text()
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert 2 <= len(shown) <= 4
    # every picture in the README is one scripts/make_figures.py writes, and is committed
    assert sorted(shown) == sorted(f"docs/images/{name}" for name in figures)
    for name, (example, _) in figures.items():
        assert (ROOT / "examples" / example).is_file(), example
        png = ROOT / "docs" / "images" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert png.stat().st_size < 100_000, f"{name}: keep README figures small"


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")),
                         ids=lambda p: p.name)
def test_notebooks_are_committed_executed_with_figures(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    # run top to bottom in one kernel (scripts/run_notebooks.py)
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), path.name
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"], path.name
    assert any("image/png" in o.get("data", {}) for o in outputs), f"{path.name}: no figure"


def test_extras_bring_what_notebooks_and_docs_need():
    extras = _pyproject()["project"]["optional-dependencies"]
    names = {k: {re.split(r"[<>=\[ ;]", req)[0].lower() for req in v} for k, v in extras.items()}
    assert {"ipywidgets", "matplotlib"} <= names["notebook"]   # the widget bar and figures
    assert {"mkdocs-jupyter", "nbclient", "ipywidgets"} <= names["dev"]
