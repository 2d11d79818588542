"""Continued training (warm_start, partial_fit, a loaded model) behaves as scikit-learn's MLP.

A warm-start fit re-reads the parameters and re-splits the validation set from
the data it is given, partial_fit trains on every row without validating, the
'invscaling' rate keeps decaying from the samples already seen, and a first
epoch that diverges under early stopping warns instead of crashing.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_dl import load, save
from sklearn_dl.neural_network import MLPRegressor


def _data(n_samples=300, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n_samples, 5).astype(np.float32)
    return X, X @ rng.randn(5) + 0.1 * rng.randn(n_samples)


def _rows(est, key):
    """Rows trained on (key='train_batch_size') or validated on, in the last epoch."""
    return sum(batch.get(key, 0) for batch in est.history_[-1]["batches"])


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # few epochs on purpose
        return est.fit(X, y)


def test_a_first_epoch_that_diverges_under_early_stopping_warns_and_keeps_a_usable_model():
    # unscaled X (|x| ~ 1e3) and a rate of 10 overflow in the first epoch
    rng = np.random.RandomState(0)
    X = (rng.randn(300, 5) * 1e3).astype(np.float32)
    y = X @ rng.randn(5) * 1e3
    est = MLPRegressor(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=10.0,
                       early_stopping=True, random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 1"):
        est.fit(X, y)
    assert est.n_iter_ == 0 and len(est.history_) == 0
    assert np.isfinite(est.predict(X)).all()  # the initial weights are kept


def test_a_warm_start_fit_with_early_stopping_validates_on_rows_split_from_the_new_data():
    est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=2, random_state=0,
                       early_stopping=True, warm_start=True)
    _fit(est, *_data(300))
    _fit(est, *_data(200, seed=1))
    # validation_fraction=0.1 of the 200 new rows, none of them trained on
    assert (_rows(est, "train_batch_size"), _rows(est, "valid_batch_size")) == (180, 20)
    # n_iter_ counts this call's epochs (scikit-learn's), the scores all four
    assert len(est.validation_scores_) == 4 and est.n_iter_ == 2


def test_partial_fit_after_an_early_stopping_fit_trains_on_every_row_without_validating():
    # scikit-learn's partial_fit never holds out a validation set, and refuses
    # early_stopping=True ("partial_fit does not support early_stopping=True")
    X, y = _data(300)
    est = _fit(MLPRegressor(hidden_layer_sizes=(8,), max_iter=2, random_state=0,
                            early_stopping=True), X, y)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        est.partial_fit(X, y)
    est.set_params(early_stopping=False).partial_fit(X, y)
    assert _rows(est, "train_batch_size") == 300
    assert "valid_score" not in est.history_[-1] and _rows(est, "valid_batch_size") == 0


def test_a_warm_start_fit_applies_the_changed_hyper_parameters():
    X, y = _data()
    est = _fit(MLPRegressor(hidden_layer_sizes=(8,), max_iter=2, random_state=0,
                            warm_start=True, learning_rate_init=1e-3), X, y)
    est.set_params(learning_rate_init=0.05, alpha=10.0, batch_size=7, shuffle=False)
    _fit(est, X, y)
    net = est.net_
    assert [g["lr"] for g in net.optimizer_.param_groups] == [0.05]
    assert (net.l2, net.batch_size, net.iterator_train__shuffle) == (10.0, 7, False)
    assert est.history_[-1]["batches"][0]["train_batch_size"] == 7


def test_a_warm_start_fit_refuses_a_change_the_existing_model_cannot_take():
    X, y = _data()
    est = _fit(MLPRegressor(hidden_layer_sizes=(8,), max_iter=2, random_state=0,
                            warm_start=True), X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes.*warm_start=False"):
        est.set_params(hidden_layer_sizes=(4,)).fit(X, y)


INVSCALING = {"hidden_layer_sizes": (8,), "solver": "sgd", "learning_rate": "invscaling",
              "batch_size": 10, "random_state": 0}


def _invscaling_lr(samples_seen):
    # scikit-learn's SGDOptimizer: learning_rate_init / (t_ + 1) ** power_t, t_ in samples
    return 1e-3 / (samples_seen + 1) ** 0.5


def test_invscaling_goes_on_decaying_over_a_warm_start_fit():
    X, y = _data()
    once = _fit(MLPRegressor(max_iter=5, **INVSCALING), X, y)
    twice = _fit(MLPRegressor(max_iter=3, warm_start=True, **INVSCALING), X, y)
    _fit(twice.set_params(max_iter=2), X, y)
    lr = twice.net_.optimizer_.param_groups[0]["lr"]
    assert lr == pytest.approx(_invscaling_lr(5 * 300), rel=1e-6)
    # the same rates step by step: 3 + 2 epochs train exactly as 5 do
    np.testing.assert_array_equal(twice.predict(X), once.predict(X))


def test_invscaling_goes_on_decaying_after_save_and_load(tmp_path):
    X, y = _data()
    est = _fit(MLPRegressor(max_iter=3, warm_start=True, **INVSCALING), X, y)
    save(est, tmp_path / "model.safetensors")
    loaded = _fit(load(tmp_path / "model.safetensors").set_params(max_iter=2), X, y)
    lr = loaded.net_.optimizer_.param_groups[0]["lr"]
    assert lr == pytest.approx(_invscaling_lr(5 * 300), rel=1e-6)
