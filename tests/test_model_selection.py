"""The seed's Day 9 (under- and overfitting) and Days 10-11 (weight decay),
reproduced through the estimators, and scikit-learn's curve displays on them.

Numbers quoted as "seed" come from /work/shared/seed.md (the study journal's
d2l runs); "measured" ones from this package on the same data and seeds.
"""

import functools
import warnings

import matplotlib
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import (
    GridSearchCV,
    LearningCurveDisplay,
    PredefinedSplit,
    ValidationCurveDisplay,
)

from sklearn_dl import LinearRegressorNN, PolyRidge
from sklearn_dl.datasets import make_polynomial_regression, make_weight_decay_regression
from sklearn_dl.init import normal

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Day 9: y = 5 + 1.2x - 3.4x^2/2! + 5.6x^3/3! + N(0, 0.1^2), x ~ N(0, 1)
TRUE_WEIGHTS = np.array([5.0, 1.2, -3.4, 5.6])  # of x^i / i!, i = 0..3
NOISE_VAR = 0.1**2


@pytest.fixture(scope="module")
def day9():
    """100 training and 100 test points, as in the seed."""
    _, y, x = make_polynomial_regression(n_samples=200, n_features=4, random_state=0)
    x = x[:, None]
    return x[:100], x[100:], y[:100], y[100:]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _mse(reg, X, y):
    return mean_squared_error(y, reg.predict(X))


# --------------------------------------------------------------------------
# Day 9: model selection with polynomials
# --------------------------------------------------------------------------
def test_day9_degree3_recovers_the_weights_at_noise_level(day9):
    x_train, x_test, y_train, y_test = day9
    reg = PolyRidge(degree=3, alpha=0.0, scaling="factorial", random_state=0).fit(x_train, y_train)
    # the layer's weights of x^i / i! (the seed's parametrisation)
    weights = np.r_[reg.intercept_, reg.coef_ * reg.feature_scale_]
    # seed: [5.001, 1.208, -3.408, 5.570]; the issue asks for 0.1 (measured
    # here: [4.993, 1.216, -3.398, 5.580])
    np.testing.assert_allclose(weights, TRUE_WEIGHTS, atol=0.1)
    # "fits to the noise level": both errors near the noise variance 0.01
    # (measured 0.0090 train, 0.0088 test)
    assert 0.5 * NOISE_VAR < _mse(reg, x_train, y_train) < 1.5 * NOISE_VAR
    assert _mse(reg, x_test, y_test) < 1.5 * NOISE_VAR


def test_day9_degree1_underfits(day9):
    x_train, x_test, y_train, y_test = day9
    reg = PolyRidge(degree=1, alpha=0.0, random_state=0).fit(x_train, y_train)
    # seed: weights [3.17, 4.27], a line through a cubic; the issue: test
    # MSE > 1 (measured 4.06, 400 times the noise variance)
    assert _mse(reg, x_test, y_test) > 1
    assert _mse(reg, x_train, y_train) > 1  # underfit: the training error is high too


def test_day9_degree20_overfits(day9):
    x_train, x_test, y_train, y_test = day9
    cubic = PolyRidge(degree=3, alpha=0.0, random_state=0).fit(x_train, y_train)
    reg = PolyRidge(degree=20, alpha=0.0, random_state=0).fit(x_train, y_train)
    train, test = _mse(reg, x_train, y_train), _mse(reg, x_test, y_test)
    # seed: "test loss above train loss". Measured: train 0.0084 (below the
    # noise variance: it fits noise), test 0.0216, 2.6 times train
    assert train < _mse(cubic, x_train, y_train) and train < NOISE_VAR
    assert test > 2 * train
    assert test > _mse(cubic, x_test, y_test)
    # the first four monomials still dominate (seed: "first four close"): the
    # intercept measured 4.979, within the 0.1 for the degree-3 weights
    assert np.abs(reg.intercept_ - 5.0) < 0.1


def _one_standard_error_rule(cv_results):
    """Lowest degree whose CV score is within one standard error of the best."""
    mean = cv_results["mean_test_score"]
    se = cv_results["std_test_score"] / np.sqrt(5)
    best = np.argmax(mean)
    degrees = np.asarray(cv_results["param_degree"], dtype=int)
    ok = np.flatnonzero(mean >= mean[best] - se[best])
    return int(ok[np.argmin(degrees[ok])])


def test_day9_grid_search_picks_degree_3_to_5(day9):
    x_train, _, y_train, _ = day9
    search = GridSearchCV(PolyRidge(alpha=0.0, random_state=0), {"degree": range(1, 21)},
                          cv=5, scoring="neg_mean_squared_error",
                          refit=_one_standard_error_rule).fit(x_train, y_train)
    plain_best = search.cv_results_["param_degree"][np.argmax(
        search.cv_results_["mean_test_score"])]
    # The issue: 5-fold CV over degree 1..20 picks 3 to 5. Measured over data
    # seeds 0-9: the best CV score is at 3 six times, 4 twice, 5 once and 8
    # once; degrees 3-8 are within noise of each other (CV MSE 0.0099-0.0125
    # on seed 1). The one-standard-error rule picks 3 on all ten.
    assert 3 <= plain_best <= 5
    assert search.best_params_ == {"degree": 3}
    mse = -search.cv_results_["mean_test_score"]
    assert mse[0] > 100 * mse[2]  # degree 1 is far worse than degree 3


# --------------------------------------------------------------------------
# Days 10-11: weight decay on 20 samples and 200 features
# --------------------------------------------------------------------------
def _seed_weight_decay_fit(alpha, X, y):
    # The seed's loss per minibatch is mean((y_hat - y)^2 / 2) + lambda ||w||^2 / 2
    # (d2l adds lambda * l2_penalty(w) to each sample's loss, sums, and sgd()
    # divides by the batch size). That is LinearRegressorNN's objective with
    # alpha = lambda and l1_ratio = 0: HalfSquaredError plus 0.5 * alpha ||w||^2,
    # the bias unpenalised. Init N(0, 1), plain SGD lr 0.003, batch 5, 100 epochs.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed epoch budget
        return LinearRegressorNN(
            alpha=alpha, solver="sgd", learning_rate_init=0.003, momentum=0.0, batch_size=5,
            max_iter=100, n_iter_no_change=np.inf, init=functools.partial(normal, std=1.0),
            random_state=0).fit(X, y)


def test_days10_11_weight_decay_shrinks_weights_and_test_loss():
    X_train, X_test, y_train, y_test = make_weight_decay_regression(random_state=0)
    free = _seed_weight_decay_fit(0.0, X_train, y_train)
    decayed = _seed_weight_decay_fit(3.0, X_train, y_train)

    def loss(reg, X, y):  # the seed's reported loss: mean squared error / 2
        return _mse(reg, X, y) / 2

    # seed: lambda 0 gives ||w|| = 12.9. SGD never moves w in the 180-dim null
    # space of the 20 training rows, so ||w|| stays near ||N(0, I_180)|| =
    # sqrt(180) = 13.4 (+-2 for 3 standard deviations; measured 11.2 here,
    # 13.7 and 12.9 with data seeds 1 and 2).
    assert 10 < np.linalg.norm(free.coef_) < 16
    assert loss(free, X_train, y_train) < 1e-3  # train loss falls (measured 2e-6)
    assert loss(free, X_test, y_test) > 10  # test loss stays high (measured 69)
    # seed: lambda 3 gives ||w|| = 0.37 (measured 0.31: each step multiplies w
    # by 1 - 0.003 * 3, and 0.991^400 * 14 = 0.38)
    assert np.linalg.norm(decayed.coef_) < 1
    # test loss much lower (measured 0.074, 1/900 of lambda 0's)
    assert loss(decayed, X_test, y_test) < loss(free, X_test, y_test) / 100


# --------------------------------------------------------------------------
# scikit-learn's curve displays on our estimators
# --------------------------------------------------------------------------
def _curve_lines(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_validation_curve_display_by_degree(day9):
    x_train, _, y_train, _ = day9
    degrees = [1, 2, 3, 5, 8]
    display = ValidationCurveDisplay.from_estimator(
        PolyRidge(alpha=0.0, random_state=0), x_train, y_train, param_name="degree",
        param_range=degrees, cv=5, scoring="neg_mean_squared_error", negate_score=True)
    lines = _curve_lines(display.ax_)
    assert set(lines) == {"Train", "Test"}
    for line in lines.values():
        np.testing.assert_array_equal(line.get_xdata(), degrees)
    assert display.ax_.get_xlabel() == "degree"
    train_mse = np.asarray(lines["Train"].get_ydata())
    test_mse = np.asarray(lines["Test"].get_ydata())
    np.testing.assert_allclose(test_mse, -display.test_scores.mean(axis=1))
    # more degrees never fit the training folds worse (least squares is
    # nested; the exact float64 solver needs no slack: measured steps down of
    # 4.8, 2.4, 3.6e-4 and 1.2e-4); the test error is lowest at the cubic,
    # measured 0.0106 vs 8.6 for a line and 0.10 for degree 8
    assert np.all(np.diff(train_mse) <= 0)
    assert degrees[int(np.argmin(test_mse))] == 3
    assert test_mse[0] > 100 * test_mse[2]


def test_validation_curve_display_by_alpha():
    # The seed's split: fit on the 20 training rows, score on the 100 test
    # rows. With the exact solver, alpha=0 interpolates the 20 rows and
    # alpha > 0 stops chasing noise (measured test loss 0.20 vs 0.011).
    X_train, X_test, y_train, y_test = make_weight_decay_regression(random_state=0)
    X, y = np.r_[X_train, X_test], np.r_[y_train, y_test]
    cv = PredefinedSplit(np.r_[np.full(len(y_train), -1), np.zeros(len(y_test))])
    alphas = [0.0, 0.1, 3.0]
    # solver='lbfgs' starts from random weights as the seed's SGD does; the
    # default closed form returns the minimum-norm interpolant at alpha=0,
    # which carries no random component in the null space and does not overfit
    # this way (test MSE 0.025 for alpha 0 and 0.1, measured)
    display = ValidationCurveDisplay.from_estimator(
        LinearRegressorNN(solver="lbfgs", random_state=0), X, y, param_name="alpha",
        param_range=alphas,
        cv=cv, scoring="neg_mean_squared_error", negate_score=True)
    lines = _curve_lines(display.ax_)
    np.testing.assert_array_equal(lines["Test"].get_xdata(), alphas)
    train_mse = np.asarray(lines["Train"].get_ydata())
    test_mse = np.asarray(lines["Test"].get_ydata())
    assert np.all(np.diff(train_mse) > 0)  # the penalty costs training fit
    assert test_mse[0] > 5 * test_mse[1]  # and buys test fit
    assert display.ax_.get_xlabel() == "alpha"


def test_learning_curve_display(day9):
    x_train, _, y_train, _ = day9
    sizes = [8, 15, 30, 80]
    display = LearningCurveDisplay.from_estimator(
        PolyRidge(degree=3, alpha=0.0, random_state=0), x_train, y_train, train_sizes=sizes,
        cv=5, scoring="neg_mean_squared_error", negate_score=True)
    lines = _curve_lines(display.ax_)
    assert set(lines) == {"Train", "Test"}
    np.testing.assert_array_equal(lines["Train"].get_xdata(), sizes)
    train_mse = np.asarray(lines["Train"].get_ydata())
    test_mse = np.asarray(lines["Test"].get_ydata())
    # with 8 points the cubic fits the training set below the noise and tests
    # worse; with 80 both meet near the noise variance (measured 0.0016/0.025
    # at 8, 0.0089/0.0106 at 80)
    assert train_mse[0] < train_mse[-1]
    assert test_mse[0] > test_mse[-1]
    assert test_mse[-1] - train_mse[-1] < test_mse[0] - train_mse[0]
    assert test_mse[-1] < 1.5 * NOISE_VAR
