"""Tests that need real data skip without it, except in CI, where they fail (issue 18, item 8).

tests/_data.py decides; ``scripts/offline_check.sh`` runs the whole suite as
a fresh clone without network or data, where those tests must skip cleanly.
"""

import pytest

import _data
from sklearn_dl.datasets import _fashion_mnist, _fetch, _house_prices


def test_this_run_has_every_data_set_it_must_have():
    """In CI (and wherever $SKLEARN_DL_DATA names a data set's folder) the data
    are present: none of the tests that read them can have skipped."""
    required = [name for name in _data.DATASETS if _data.must_have(name)]
    if not required:
        pytest.skip("not a CI run, and $SKLEARN_DL_DATA names no data set folder: "
                    "tests needing absent data may skip here")
    for name in required:
        folder, why = _data.locate(name)
        assert folder is not None, f"{name} must be available in this run: {why}"


@pytest.mark.parametrize("environ, expected", [
    ({}, False),
    ({"CI": ""}, False),
    ({"CI": "false"}, False),
    ({"CI": "0"}, False),
    ({"CI": "true"}, True),
    ({"CI": "1"}, True),
])
def test_ci_is_read_from_the_environment(environ, expected):
    assert _data.in_ci(environ) is expected
    assert _data.must_have("house-prices", environ) is expected


def test_sklearn_dl_data_with_a_data_set_folder_makes_it_required(tmp_path):
    (tmp_path / "house-prices").mkdir()
    environ = {"SKLEARN_DL_DATA": str(tmp_path)}
    assert _data.must_have("house-prices", environ)
    assert not _data.must_have("fashion-mnist", environ)   # no such folder there


@pytest.fixture
def nothing_anywhere(tmp_path, monkeypatch):
    """A fresh clone offline: no ../shared, no $SKLEARN_DL_DATA, an empty
    cache, no Debian folder, and a mirror that refuses connections."""
    monkeypatch.setattr(_data, "SHARED", tmp_path / "no-shared")
    monkeypatch.delenv("SKLEARN_DL_DATA", raising=False)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(_fashion_mnist, "DEBIAN_DIR", str(tmp_path / "no-debian"))
    monkeypatch.setattr(_house_prices, "MIRRORS", ("http://127.0.0.1:9/",))  # discard port
    monkeypatch.setattr(_fetch, "RETRY_DELAY", 0.0)
    return tmp_path


@pytest.mark.parametrize("name", _data.DATASETS)
def test_missing_data_is_detected_without_network(nothing_anywhere, name):
    folder, why = _data.locate.__wrapped__(name)     # uncached: this environment only
    assert folder is None
    assert why


def test_missing_data_skips_with_how_to_provide_it(monkeypatch):
    monkeypatch.setattr(_data, "locate", lambda name: (None, "not found in /nowhere"))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("SKLEARN_DL_DATA", raising=False)
    with pytest.raises(pytest.skip.Exception) as info:
        _data.require("house-prices")
    message = str(info.value)
    assert "house-prices data not available (not found in /nowhere)" in message
    assert "SKLEARN_DL_DATA" in message and "kaggle_house_pred_train.csv" in message
    with pytest.raises(pytest.skip.Exception, match="apt-get install dataset-fashion-mnist"):
        _data.require("fashion-mnist")


def test_missing_data_fails_in_ci(monkeypatch):
    monkeypatch.setattr(_data, "locate", lambda name: (None, "not found in /nowhere"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="fails instead of skipping"):
        _data.require("house-prices")


def test_present_data_is_returned_as_its_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(_data, "locate", lambda name: (tmp_path, None))
    monkeypatch.setenv("CI", "true")
    assert _data.require("fashion-mnist") == tmp_path
