"""mkdocs hook: every ``examples/NN_name.py`` becomes a page of the docs.

mkdocs-jupyter (configured in mkdocs.yml) executes each example as a
notebook and renders its printed output and figures; this hook only finds
the examples (by glob, so a new example needs no edit here or in the nav),
adds them to the site under ``examples/``, lists them in the nav under
"Examples", and appends a linked list of them to ``examples.md``.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

PATTERN = "[0-9][0-9]_*.py"
INDEX = "examples.md"


def _examples(config):
    root = Path(config.config_file_path).resolve().parent
    return sorted((root / "examples").glob(PATTERN))


def example_title(path):
    """The example's first markdown heading (``# # Title`` in jupytext percent format)."""
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        m = re.match(r"#\s+#\s+(.+)", line)
        if m:
            return m.group(1).strip()
    return Path(path).stem


def _entries(config):
    return [(example_title(p), f"examples/{p.name}") for p in _examples(config)]


def on_config(config):
    # "Examples: examples.md" in the nav becomes a section: the overview, then
    # one page per example.
    section = [{"Overview": INDEX}] + [{title: uri} for title, uri in _entries(config)]
    for i, item in enumerate(config.nav or []):
        if isinstance(item, dict) and list(item.values()) == [INDEX]:
            config.nav[i] = {next(iter(item)): section}
    return config


@event_priority(100)  # before mkdocs-jupyter's on_files wraps the notebooks
def on_files(files, config):
    for path in _examples(config):
        # src_dir is the repository root, so the file is examples/NN_name.py
        # there and examples/NN_name/ on the site (a File.generated one would
        # lose its path inside mkdocs-jupyter's wrapper)
        files.append(File(f"examples/{path.name}", src_dir=str(path.parents[1]),
                          dest_dir=config.site_dir, use_directory_urls=config.use_directory_urls))
    return files


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri != INDEX:
        return markdown
    links = "\n".join(f"- [{title}]({uri})"
                      for title, uri in _entries(config))
    return (f"{markdown}\n\n## Gallery\n\nEach example executed, with what it prints "
            f"and the figures it draws:\n\n{links}\n")
