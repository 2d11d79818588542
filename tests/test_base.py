"""The shared training core, through LinearRegressorNN and SoftmaxClassifier (issue 2)."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.model_selection import train_test_split
from skorch.callbacks import Callback

from sklearn_dl import LinearRegressorNN, SoftmaxClassifier
from sklearn_dl.init import normal


def day1_data(n=1000, seed=0):
    """The seed's Day 1 data: y = Xw + b + N(0, 0.01^2), w = [2, -3.4], b = 4.2."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 2))
    y = X @ np.array([2.0, -3.4]) + 4.2 + rng.normal(scale=0.01, size=n)
    return X, y


def test_day1_minibatch_sgd_recovers_w_and_b():
    X, y = day1_data()
    reg = LinearRegressorNN(solver="sgd", learning_rate_init=0.03, batch_size=10, max_iter=3,
                            momentum=0.0, init=normal, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 3 epochs, as the seed
        reg.fit(X, y)
    # the seed (d2l) reports errors in w and b of about 1e-3 after 3 epochs; 0.01 is the bar
    np.testing.assert_allclose(reg.coef_, [2.0, -3.4], atol=0.01)
    assert reg.intercept_ == pytest.approx(4.2, abs=0.01)
    assert reg.n_iter_ == 3 and len(reg.loss_curve_) == 3
    # the seed's losses fall from ~0.04 to ~1e-6 (loss = squared error / 2)
    assert reg.loss_curve_[-1] < 1e-4 < reg.loss_curve_[0]


def test_lbfgs_reaches_the_exact_ridge_optimum_with_a_strong_penalty():
    # alpha 0 and 0.01 are in test_linear_model.py's exact-solver test; a strong
    # penalty (coefficients shrunk far from least squares) is checked here
    X, y = load_diabetes(return_X_y=True)
    ours = LinearRegressorNN(alpha=1.0, tol=1e-7, max_iter=2000).fit(X, y)
    # ElasticNet's alpha with l1_ratio=0 is Ridge's alpha / n_samples
    ref = Ridge(alpha=1.0 * len(X)).fit(X, y)
    # the bar: coefficients within 1e-3 relative of scikit-learn
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-3)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-3)


def test_multi_output_regression_shapes_match_linear_regression():
    X, y = load_diabetes(return_X_y=True)
    Y = np.column_stack([y, -2 * y + 3])
    ours = LinearRegressorNN(tol=1e-7, max_iter=2000).fit(X, Y)
    ref = LinearRegression().fit(X, Y)
    assert ours.coef_.shape == ref.coef_.shape == (2, X.shape[1])
    assert ours.intercept_.shape == (2,)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-3)
    assert ours.predict(X).shape == (len(X), 2)


def test_softmax_with_string_labels_on_digits():
    X, y = load_digits(return_X_y=True)
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                      "nine"])
    Xtr, Xte, ytr, yte = train_test_split(X / 16, names[y], random_state=0, stratify=y)
    clf = SoftmaxClassifier(random_state=0).fit(Xtr, ytr)
    assert set(clf.classes_) == set(names)
    # issue 2's bar; sklearn's LogisticRegression scores about 0.96-0.97 here
    assert clf.score(Xte, yte) >= 0.95
    proba = clf.predict_proba(Xte)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(Xte)), proba, rtol=1e-9)
    assert clf.coef_.shape == (10, 64) and clf.intercept_.shape == (10,)
    assert np.array_equal(clf.classes_[clf.decision_function(Xte).argmax(1)], clf.predict(Xte))


@pytest.mark.parametrize("labels", [np.array([False, True]), np.array(["no", "yes"]),
                                    np.array([-1, 7])])
def test_binary_labels_of_any_type(labels):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    yi = (X[:, 0] + 0.1 * rng.normal(size=200) > 0).astype(int)
    clf = SoftmaxClassifier(solver="lbfgs", random_state=0).fit(X, labels[yi])
    assert list(clf.classes_) == sorted(labels)
    assert clf.predict(X).dtype == labels.dtype
    assert clf.score(X, labels[yi]) > 0.9
    # binary: one logit, sklearn's shapes
    assert clf.coef_.shape == (1, 3) and clf.decision_function(X).shape == (200,)


def test_dataframe_feature_names_are_recorded_and_checked():
    X, y = day1_data(200)
    df = pd.DataFrame(X, columns=["a", "b"])
    reg = LinearRegressorNN().fit(df, y)
    assert list(reg.feature_names_in_) == ["a", "b"] and reg.n_features_in_ == 2
    with pytest.raises(ValueError, match="feature names"):
        reg.predict(df.rename(columns={"a": "z"}))


def test_verbose_prints_scikit_learns_iteration_lines_and_silent_by_default(capsys):
    X, y = day1_data(100)
    LinearRegressorNN(solver="sgd", max_iter=2, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = LinearRegressorNN(solver="sgd", max_iter=2, verbose=1, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    # scikit-learn's MLP format, one line per epoch, no ANSI colour codes
    assert out.splitlines() == [f"Iteration {i + 1}, loss = {loss:.8f}"
                                for i, loss in enumerate(reg.loss_curve_)]
    assert "\x1b[" not in out


@pytest.mark.parametrize("schedule", ["constant", "adaptive", "one_cycle", "cosine"])
def test_every_learning_rate_schedule_trains(schedule):
    X, y = day1_data(300)
    reg = LinearRegressorNN(solver="sgd", learning_rate=schedule, learning_rate_init=0.05,
                            momentum=0.0, batch_size=20, max_iter=30, random_state=0).fit(X, y)
    # the true model explains all but noise of sd 0.01
    assert reg.score(X, y) > 0.99
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]


def test_invscaling_follows_sklearn_formula():
    X, y = day1_data(300)
    reg = LinearRegressorNN(solver="sgd", learning_rate="invscaling", learning_rate_init=0.05,
                            batch_size=20, max_iter=4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    # scikit-learn MLP: lr = learning_rate_init / (samples seen + 1) ** power_t
    steps = 4 * 300 // 20
    lr = reg.net_.optimizer_.param_groups[0]["lr"]
    assert lr == pytest.approx(0.05 / (steps * 20 + 1) ** 0.5)


def test_solver_can_be_a_torch_optimizer_class():
    X, y = day1_data(300)
    reg = LinearRegressorNN(solver=torch.optim.AdamW, learning_rate_init=0.05, max_iter=100,
                            random_state=0).fit(X, y)
    assert isinstance(reg.net_.optimizer_, torch.optim.AdamW)
    assert reg.score(X, y) > 0.99


def test_early_stopping_records_validation_scores_and_stops():
    X, y = load_digits(return_X_y=True)
    # a constant rate: the default one-cycle schedule would still be warming up
    clf = SoftmaxClassifier(early_stopping=True, n_iter_no_change=3, max_iter=200,
                            learning_rate="constant", learning_rate_init=1e-2,
                            random_state=0).fit(X / 16, y)
    assert clf.n_iter_ < 200
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_) > 0.9
    assert "valid_loss" in clf.history_[-1]


def test_partial_fit_and_warm_start_continue_training():
    X, y = load_digits(return_X_y=True)
    X = X / 16
    clf = SoftmaxClassifier(random_state=0)
    clf.partial_fit(X, y, classes=np.unique(y))
    first = clf.score(X, y)
    for _ in range(4):
        clf.partial_fit(X, y)
    # scikit-learn's n_iter_: 1 after each partial_fit; the curve holds all 5 epochs
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 5 and clf.score(X, y) > first
    with pytest.raises(ValueError, match="classes must be passed"):
        SoftmaxClassifier().partial_fit(X, y)

    reg = LinearRegressorNN(solver="sgd", max_iter=2, warm_start=True, random_state=0)
    Xr, yr = day1_data(200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(Xr, yr)
        module = reg.module_
        reg.fit(Xr, yr)
    assert reg.module_ is module and reg.n_iter_ == 2 and len(reg.loss_curve_) == 4


def test_user_callbacks_run_and_the_parameter_is_not_mutated():
    class CountEpochs(Callback):
        def initialize(self):
            self.count = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.count += 1

    cb = CountEpochs()
    X, y = day1_data(100)
    reg = LinearRegressorNN(solver="sgd", max_iter=3, callbacks=[cb], random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    used = [c for name, c in reg.net_.callbacks_ if isinstance(c, CountEpochs)]
    assert used[0].count == 3
    assert reg.callbacks == [cb] and not hasattr(cb, "count")  # copied, never mutated


def test_cuda_request_without_gpu_is_a_clear_error(monkeypatch):
    # pretend CUDA is absent so the error path is checked on GPU machines too
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, y = day1_data(20)
    with pytest.raises(ValueError, match="torch.cuda.is_available"):
        LinearRegressorNN(device="cuda").fit(X, y)


def test_lbfgs_records_the_loss_at_the_optimum_not_the_start():
    X, y = load_diabetes(return_X_y=True)
    ours = LinearRegressorNN(solver="lbfgs", tol=1e-7, max_iter=2000).fit(X, y)
    ref = LinearRegression().fit(X, y)
    # the objective is half the mean squared error (ElasticNet's data term)
    optimum = 0.5 * np.mean((ref.predict(X) - y) ** 2)
    assert ours.loss_ == pytest.approx(optimum, rel=1e-6)
    assert ours.loss_curve_[-1] == ours.loss_


def test_lbfgs_warns_like_scikit_learn_when_it_runs_out_of_iterations():
    """scikit-learn's MLP warns "lbfgs failed to converge" at max_iter; so do we."""
    X, y = load_diabetes(return_X_y=True)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge.*max_iter=3"):
        LinearRegressorNN(solver="lbfgs", max_iter=3).fit(X, y)
    # converged (56 iterations measured on diabetes with the defaults): silent
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        assert LinearRegressorNN(solver="lbfgs").fit(X, y).n_iter_ < 200  # max_iter=None: 200
