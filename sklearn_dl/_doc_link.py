"""The "?" link of an estimator's HTML diagram points to our API reference.

scikit-learn's HTML representation (the diagram a notebook shows for an
estimator) links each box to the class's documentation through three class
attributes of ``sklearn.utils._repr_html.base._HTMLDocumentationLinkMixin``:
``_doc_link_module`` (only classes of that package get a link),
``_doc_link_template`` and ``_doc_link_url_param_generator``. This mixin sets
them for sklearn_dl's classes; without it, scikit-learn gives classes outside
``sklearn`` no link at all.
"""

from __future__ import annotations

import itertools

#: Root of the published documentation; ``site_url`` in mkdocs.yml must be the
#: same (tests/test_docs.py checks both, and that every link's page and anchor
#: exist in the built site).
DOCS_URL = "https://sklearn-dl.readthedocs.io/en/stable/"


def doc_link(cls):
    """URL of ``cls``'s entry in the API reference.

    The page is the public module's (``sklearn_dl.linear_model`` ->
    ``api/linear_model/``) and the anchor the id mkdocstrings gives the
    class's heading there (its dotted path in that module).
    """
    public = list(itertools.takewhile(lambda part: not part.startswith("_"),
                                      cls.__module__.split(".")))
    page = f"api/{public[1]}/" if len(public) > 1 else "api/"
    return f"{DOCS_URL}{page}#{'.'.join(public)}.{cls.__name__}"


class DocLinkMixin:
    """Mixin for sklearn_dl estimators: their HTML diagram links to our API page."""

    _doc_link_module = "sklearn_dl"
    _doc_link_template = "{url}"

    def _doc_link_url_param_generator(self):
        return {"url": doc_link(type(self))}
