"""The estimators' HTML diagram links to our API reference (issue 18, item 7).

The diagram is what a notebook shows for an estimator; scikit-learn links
each of its own boxes to its documentation and gives other packages' classes
no link unless they declare one. tests/test_docs.py checks that every link's
page and anchor exist in the built site.
"""

import re
from pathlib import Path

import pytest
from sklearn.base import BaseEstimator
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_html_repr

from sklearn_dl import MLPClassifier, house_prices
from sklearn_dl._doc_link import DOCS_URL, doc_link

from _public_estimators import public_estimator_classes

ROOT = Path(__file__).resolve().parents[1]


def linked_classes():
    """Every public estimator class of the package, house-price transformers included."""
    hp = [getattr(house_prices, n) for n in house_prices.__all__]
    hp = [c for c in hp if isinstance(c, type) and issubclass(c, BaseEstimator)]
    return public_estimator_classes() + hp


def _hrefs(html):
    return re.findall(r'href="([^"]+)"', html)


@pytest.mark.parametrize("cls", linked_classes(), ids=lambda c: c.__name__)
def test_diagram_links_each_estimator_to_its_api_entry(cls):
    # the wrappers of a regressor: it is their only required argument
    wrappers = (house_prices.DropLargeHouses, house_prices.LargeHouseComparables,
                house_prices.HousePriceModel)
    estimator = cls(Ridge()) if cls in wrappers else cls()
    html = estimator_html_repr(estimator)
    expected = doc_link(cls)
    public_module = cls.__module__     # every estimator lives in a public module
    assert expected == (f"{DOCS_URL}api/{public_module.split('.')[1]}/"
                        f"#{public_module}.{cls.__name__}")
    assert expected in _hrefs(html)
    # and nowhere to scikit-learn's pages for our class
    assert not any("generated/sklearn_dl" in h for h in _hrefs(html))


def test_a_pipeline_links_our_step_to_us_and_sklearns_to_sklearn():
    hrefs = _hrefs(estimator_html_repr(make_pipeline(StandardScaler(), MLPClassifier())))
    assert doc_link(MLPClassifier) in hrefs
    assert any(h.startswith("https://scikit-learn.org/") and "StandardScaler" in h
               for h in hrefs)


def test_mkdocs_site_url_is_the_linked_root():
    site_url = re.search(r"^site_url:\s*(\S+)", (ROOT / "mkdocs.yml").read_text(), re.M)
    assert site_url and site_url.group(1) == DOCS_URL
