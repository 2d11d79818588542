"""log_rmse and its scorer: Kaggle's house-price metric."""

import math

import numpy as np
import pytest
from sklearn.dummy import DummyRegressor
from sklearn.model_selection import GridSearchCV, cross_val_score

from sklearn_dl.metrics import log_rmse, log_rmse_scorer


def test_log_rmse_matches_hand_computation():
    y_true, y_pred = [100.0, 200.0, 400.0], [110.0, 180.0, 400.0]
    by_hand = math.sqrt(((math.log(100 / 110)) ** 2 + (math.log(200 / 180)) ** 2 + 0.0) / 3)
    assert log_rmse(y_true, y_pred) == pytest.approx(by_hand, rel=1e-12)
    # scale-free: the same relative errors on prices 1000 times larger
    assert log_rmse(np.multiply(y_true, 1e3), np.multiply(y_pred, 1e3)) == pytest.approx(by_hand)


def test_predictions_below_one_are_clamped_like_the_seed():
    # d2l's log_rmse: torch.clamp(net(features), 1, float('inf'))
    expected = math.log(50.0)
    for bad in (0.0, -3.0, 0.5, 1.0):
        assert log_rmse([50.0], [bad]) == pytest.approx(expected)


def test_sample_weight_weights_squared_log_errors():
    value = log_rmse([100.0, 100.0], [100.0, 200.0], sample_weight=[3.0, 1.0])
    assert value == pytest.approx(math.sqrt(math.log(2.0) ** 2 / 4))


def test_bad_input_gets_clear_errors():
    with pytest.raises(ValueError, match="positive, finite true values"):
        log_rmse([0.0, 10.0], [1.0, 10.0])
    with pytest.raises(ValueError, match="NaN"):
        log_rmse([10.0, 10.0], [np.nan, 10.0])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        log_rmse([10.0, 10.0], [10.0])


def test_scorer_is_negated_log_rmse_and_drives_model_selection():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    y = np.exp(rng.normal(12, 0.3, size=60))
    model = DummyRegressor().fit(X, y)
    assert log_rmse_scorer(model, X, y) == pytest.approx(-log_rmse(y, model.predict(X)))

    scores = cross_val_score(DummyRegressor(strategy="median"), X, y, cv=3,
                             scoring=log_rmse_scorer)
    assert np.all(scores < 0)
    # greater is better: the search must prefer a sensible price over a price of 1
    search = GridSearchCV(DummyRegressor(strategy="constant"),
                          {"constant": [1.0, float(np.median(y))]}, cv=3,
                          scoring=log_rmse_scorer).fit(X, y)
    assert search.best_params_["constant"] == float(np.median(y))
