"""The linear models reach scikit-learn's optimum at their defaults, on real designs.

The designs are the issue's: the house-price training set through
SimpleImputer + StandardScaler (numeric) and OneHotEncoder (the rest), a wide
problem (50 x 200) and multi-output y; Fashion-MNIST (a subset) and a
standardised tabular set for the classifier. Bounds come from the issue:
objective within 1e-6 relative and the same zero pattern for the regressors,
coefficients within 1e-4 relative for the classifier. Speed is measured in
``benchmarks/linear_exact.py``, not here.
"""

import inspect
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn import linear_model as sk
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_dl import LinearRegressorNN, PolyRidge, SoftmaxClassifier
from sklearn_dl import linear_model as ours
from sklearn_dl._base import BaseTorchEstimator
from sklearn_dl.datasets import load_fashion_mnist, load_house_prices

ROOT = Path(__file__).resolve().parents[1]
OBJ_RTOL = 1e-6  # the bound on the objective
COEF_RTOL = 1e-4  # the bound on the classifier's coefficients


@pytest.fixture(scope="module")
def house():
    shared = ROOT.parent / "shared" / "data"
    home = None if os.environ.get("SKLEARN_DL_DATA") or not shared.is_dir() else shared
    frame = load_house_prices(data_home=home)
    y = np.log(frame.pop("SalePrice").to_numpy())
    frame = frame.drop(columns="Id")
    design = make_column_transformer(
        (make_pipeline(SimpleImputer(), StandardScaler()),
         make_column_selector(dtype_include="number")),
        (OneHotEncoder(handle_unknown="ignore", sparse_output=False),
         make_column_selector(dtype_exclude="number")))
    return design.fit_transform(frame), y


@pytest.fixture(scope="module")
def wide():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 200))
    w = np.zeros(200)
    w[:10] = rng.normal(size=10)
    return X, X @ w + 0.1 * rng.normal(size=50)


@pytest.fixture(scope="module")
def multi(house):
    X, y = house
    rng = np.random.RandomState(1)
    return X, np.column_stack([y, y + rng.normal(scale=0.1, size=len(y))])


def _objective(X, Y, coef, intercept, alpha, l1_ratio, sw=None):
    """ElasticNet's objective, summed over outputs; the weighted mean with ``sw``."""
    Y = Y.reshape(len(Y), -1)
    coef = np.atleast_2d(coef)
    s = np.full(len(X), 1 / len(X)) if sw is None else sw / sw.sum()
    resid = Y - X @ coef.T - intercept
    return (0.5 * (s @ resid ** 2).sum() + alpha * l1_ratio * np.abs(coef).sum()
            + 0.5 * alpha * (1 - l1_ratio) * (coef ** 2).sum())


def _reference(alpha, l1_ratio, n):
    if l1_ratio == 0:
        return sk.Ridge(alpha=alpha * n)  # Ridge sums the squared error
    return sk.ElasticNet(alpha=alpha, l1_ratio=l1_ratio)  # Lasso when l1_ratio=1


# --------------------------------------------------------------------------
# LinearRegressorNN at its defaults against scikit-learn at its defaults
# --------------------------------------------------------------------------
# alpha=5e-4 lasso is the issue's; 1e-3 ridge the issue's; the elastic net in between
PENALTIES = [(1e-3, 0.0), (5e-4, 1.0), (1e-3, 0.5)]


@pytest.mark.parametrize("data", ["house", "wide", "multi"])
@pytest.mark.parametrize("alpha, l1_ratio", PENALTIES)
def test_defaults_reach_sklearn_optimum_with_same_zeros(request, data, alpha, l1_ratio):
    X, y = request.getfixturevalue(data)
    ref = _reference(alpha, l1_ratio, len(X)).fit(X, y)
    reg = LinearRegressorNN(alpha=alpha, l1_ratio=l1_ratio).fit(X, y)
    f_ref = _objective(X, y, ref.coef_, ref.intercept_, alpha, l1_ratio)
    f_ours = _objective(X, y, reg.coef_, reg.intercept_, alpha, l1_ratio)
    assert f_ours <= f_ref * (1 + OBJ_RTOL)
    np.testing.assert_array_equal(reg.coef_ == 0, ref.coef_ == 0)
    assert np.shape(reg.coef_) == np.shape(ref.coef_)
    # the weights are in the float64 nn.Linear that predicts
    out = reg.module_(torch.as_tensor(X[:5])).detach().numpy()
    np.testing.assert_allclose(reg.predict(X[:5]).reshape(5, -1), out, rtol=1e-12)
    np.testing.assert_allclose(reg.predict(X), ref.predict(X), rtol=1e-6, atol=1e-8)


def test_ridge_closed_form_is_the_minimum_norm_solution_when_wide(wide):
    # alpha=0 with n < p: infinitely many exact fits; the SVD path returns
    # the minimum-norm one, scikit-learn LinearRegression's
    X, y = wide
    reg = LinearRegressorNN().fit(X, y)
    ref = sk.LinearRegression().fit(X, y)
    np.testing.assert_allclose(reg.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(reg.predict(X), y, atol=1e-8)


def test_polyridge_defaults_reach_ridge_on_the_scaled_expansion():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    y = X[:, 0] ** 2 - X[:, 1] * X[:, 2] + 0.1 * rng.normal(size=200)
    reg = PolyRidge(degree=3).fit(X, y)
    F = StandardScaler().fit_transform(reg.poly_.transform(X))
    ref = sk.Ridge(alpha=1e-3 * len(X)).fit(F, y)
    np.testing.assert_allclose(reg.coef_ * reg.feature_scale_, ref.coef_, rtol=1e-8, atol=1e-10)


# --------------------------------------------------------------------------
# sample_weight
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def weights(house):
    return np.random.RandomState(0).uniform(0.2, 3.0, size=len(house[0]))


@pytest.mark.parametrize("alpha, l1_ratio", PENALTIES)
def test_sample_weight_gives_sklearn_weighted_solution(house, weights, alpha, l1_ratio):
    X, y = house
    ref = _reference(alpha, l1_ratio, weights.sum()).fit(X, y, sample_weight=weights)
    reg = LinearRegressorNN(alpha=alpha, l1_ratio=l1_ratio).fit(X, y, sample_weight=weights)
    f_ref = _objective(X, y, ref.coef_, ref.intercept_, alpha, l1_ratio, weights)
    f_ours = _objective(X, y, reg.coef_, reg.intercept_, alpha, l1_ratio, weights)
    assert f_ours <= f_ref * (1 + OBJ_RTOL)
    np.testing.assert_array_equal(reg.coef_ == 0, ref.coef_ == 0)
    unweighted = LinearRegressorNN(alpha=alpha, l1_ratio=l1_ratio).fit(X, y)
    assert np.abs(unweighted.coef_ - reg.coef_).max() > 1e-3  # the weights did something


def test_integer_sample_weight_equals_repeated_rows_for_polyridge():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    y = X[:, 0] ** 2 + rng.normal(scale=0.1, size=60)
    sw = rng.randint(0, 3, size=60)
    weighted = PolyRidge(degree=2, alpha=0.01).fit(X, y, sample_weight=sw)
    repeated = PolyRidge(degree=2, alpha=0.01).fit(np.repeat(X, sw, 0), np.repeat(y, sw))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-8)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-8)


@pytest.mark.parametrize("cls, params", [
    ("Ridge", dict(alpha=3.0)), ("Lasso", dict(alpha=1e-3)),
    ("ElasticNet", dict(alpha=1e-3, l1_ratio=0.3)),
])
def test_sklearn_named_regressors_match_sklearn_with_and_without_weights(house, weights, cls,
                                                                          params):
    X, y = house
    for sw in (None, weights):
        ref = getattr(sk, cls)(**params).fit(X, y, sample_weight=sw)
        reg = getattr(ours, cls)(**params).fit(X, y, sample_weight=sw)
        assert isinstance(reg.module_, torch.nn.Linear)
        np.testing.assert_allclose(reg.coef_, ref.coef_, rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(reg.intercept_, ref.intercept_, rtol=1e-9)
        np.testing.assert_array_equal(reg.coef_ == 0, ref.coef_ == 0)
        np.testing.assert_allclose(reg.predict(X), ref.predict(X), rtol=1e-9)


def test_sample_weight_with_a_minibatch_solver_is_refused_or_used(house, weights):
    # the exact solvers take weights; the minibatch path takes them only
    # when the shared training loop does (tests/test_*sample_weight* there)
    X, y = house
    reg = LinearRegressorNN(solver="sgd", max_iter=1, random_state=0)
    if "sample_weight" in inspect.signature(BaseTorchEstimator._fit).parameters:
        reg.fit(X, y, sample_weight=weights)
    else:
        with pytest.raises(ValueError, match="sample_weight is supported by the exact solvers"):
            reg.fit(X, y, sample_weight=weights)


# --------------------------------------------------------------------------
# The classifier: LogisticRegression's lbfgs, same objective, same stopping rule
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fashion_subset():
    X, y = load_fashion_mnist("train", download=False, return_X_y=True)
    # 300 images, pixels standardised: every class present, and both solvers
    # converge within the default 100 iterations (77, measured), so the test
    # compares optima. The raw-pixel test below compares unconverged paths;
    # benchmarks/linear_exact.py runs larger sets at the defaults.
    X = StandardScaler().fit_transform(np.asarray(X[:300], dtype=np.float64).reshape(300, -1))
    return X, np.asarray(y[:300])


def _tabular(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("data", ["fashion", "breast_cancer", "wine"])
def test_softmax_lbfgs_matches_logistic_regression(request, data):
    if data == "fashion":
        X, y = request.getfixturevalue("fashion_subset")
    else:
        X, y = _tabular({"breast_cancer": load_breast_cancer, "wine": load_wine}[data])
    C = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # all three converge
        ref = sk.LogisticRegression(C=C).fit(X, y)
        clf = SoftmaxClassifier(solver="lbfgs", alpha=1 / (C * len(X))).fit(X, y)
        named = ours.LogisticRegression(C=C).fit(X, y)
    for est in (clf, named):
        rel = np.linalg.norm(est.coef_ - ref.coef_) / np.linalg.norm(ref.coef_)
        assert rel < COEF_RTOL
        np.testing.assert_allclose(est.intercept_, ref.intercept_,
                                   atol=COEF_RTOL * np.abs(ref.intercept_).max())
        np.testing.assert_allclose(est.predict_proba(X), ref.predict_proba(X), atol=1e-4)
        assert isinstance(est.module_, torch.nn.Linear)
    assert clf.n_iter_ == ref.n_iter_[0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_unconverged_lbfgs_follows_logistic_regressions_path(dtype):
    # Raw pixels (0-255), 1000 images: both stop at max_iter=100 far from the
    # optimum, where rounding differences alone once moved the coefficients
    # 3e-2 apart (benchmarks/RESULTS_linear_exact.md before the shared loss
    # code). With scikit-learn's loss code the arithmetic is the same: equal
    # coefficients in float64, ~3e-8 apart in float32 (measured 2.6e-8, the
    # cast of the result). The torch objective (the fallback) measured 2.7e-6
    # and 2.1e-2 here, so both bounds below fail if the fallback runs.
    X, y = load_fashion_mnist("train", download=False, return_X_y=True)
    X = np.asarray(X[:1000], dtype=dtype).reshape(1000, -1)
    y = np.asarray(y[:1000])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = sk.LogisticRegression().fit(X, y)
        clf = SoftmaxClassifier(solver="lbfgs", alpha=1 / len(X)).fit(X, y)
        named = ours.LogisticRegression().fit(X, y)
    assert ref.n_iter_[0] == 100  # really unconverged
    for est in (clf, named):
        rel = np.linalg.norm(est.coef_ - ref.coef_) / np.linalg.norm(ref.coef_)
        assert rel == 0.0 if dtype == np.float64 else rel < 1e-6
        assert rel < COEF_RTOL  # the bound
        assert np.mean(est.predict(X) == ref.predict(X)) > 0.999


def test_logistic_regression_weights_and_class_weight_match_sklearn():
    X, y = _tabular(load_wine)
    sw = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y))
    for params in (dict(C=0.5), dict(C=0.5, class_weight="balanced"), dict(C=np.inf)):
        ref = sk.LogisticRegression(**params).fit(X, y, sample_weight=sw)
        est = ours.LogisticRegression(**params).fit(X, y, sample_weight=sw)
        rel = np.linalg.norm(est.coef_ - ref.coef_) / np.linalg.norm(ref.coef_)
        assert rel < COEF_RTOL, params


def test_logistic_regression_delegates_other_solvers_and_l1():
    X, y = _tabular(load_breast_cancer)
    for params in (dict(solver="liblinear"), dict(solver="saga", l1_ratio=1.0, max_iter=2000)):
        ref = sk.LogisticRegression(**params, random_state=0).fit(X, y)
        est = ours.LogisticRegression(**params, random_state=0).fit(X, y)
        np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-10)
        np.testing.assert_array_equal(est.predict(X), ref.predict(X))


# --------------------------------------------------------------------------
# Names, parameters and defaults are scikit-learn's
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["Ridge", "Lasso", "ElasticNet", "LogisticRegression"])
def test_same_parameters_and_defaults_as_sklearn(name):
    theirs = inspect.signature(getattr(sk, name)).parameters
    mine = dict(inspect.signature(getattr(ours, name)).parameters)
    assert mine.pop("device").default == "auto"  # the one addition
    assert list(mine) == list(theirs)
    assert {k: p.default for k, p in mine.items()} == {k: p.default for k, p in theirs.items()}
    assert {k: p.kind for k, p in mine.items()} == {k: p.kind for k, p in theirs.items()}


def test_ridge_alpha_means_what_sklearn_ridge_alpha_means(house):
    # Ridge(alpha=1.0) on the sum of squares: not LinearRegressorNN's mean-based alpha
    X, y = house
    np.testing.assert_allclose(ours.Ridge().fit(X, y).coef_, sk.Ridge().fit(X, y).coef_,
                               rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(
        ours.Ridge(alpha=len(X) * 1e-3).fit(X, y).coef_,
        LinearRegressorNN(alpha=1e-3).fit(X, y).coef_, rtol=1e-8, atol=1e-12)


def test_ridge_svd_and_per_target_alpha(wide):
    X, y = wide
    Y = np.column_stack([y, -2 * y + X[:, 0]])
    for params in (dict(alpha=[1.0, 30.0]), dict(alpha=5.0, solver="svd")):
        np.testing.assert_allclose(ours.Ridge(**params).fit(X, Y).coef_,
                                   sk.Ridge(**params).fit(X, Y).coef_, rtol=1e-7, atol=1e-10)


# --------------------------------------------------------------------------
# A ConvergenceWarning names its cause, with the number
# --------------------------------------------------------------------------
def test_convergence_warnings_name_the_gap_or_the_gradient(house, fashion_subset):
    X, y = house
    with pytest.warns(ConvergenceWarning, match=r"duality gap is \d[^ ]*, above the "
                      r"tolerance \d") as record:
        LinearRegressorNN(alpha=1e-5, l1_ratio=1.0, max_iter=3).fit(X, y)
    assert "StandardScaler" not in str(record[0].message)
    Xf, yf = fashion_subset
    with pytest.warns(ConvergenceWarning, match=r"max_iter=5 iterations with the largest "
                      r"gradient entry \d[^ ]* > tol=0.0001"):
        SoftmaxClassifier(solver="lbfgs", max_iter=5).fit(Xf, yf)
    with pytest.warns(ConvergenceWarning, match="duality gap"):
        ours.Lasso(alpha=1e-5, max_iter=3).fit(X, y)


def test_exact_fit_then_minibatch_warm_start_continues_from_its_weights(house):
    X, y = house
    reg = LinearRegressorNN(alpha=1e-3).fit(X, y)
    start = reg.predict(X)
    reg.set_params(solver="sgd", warm_start=True, max_iter=1, learning_rate_init=1e-6,
                   random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    # a tiny step from the exact optimum stays next to it
    np.testing.assert_allclose(reg.predict(X), start, atol=1e-3)


def test_unscaled_x_gives_the_same_ridge_fit_or_a_warning_that_says_standardise():
    # X * 1e160: its squares overflow float64. The closed form works on the
    # SVD of X itself and gives the same predictions; coordinate descent
    # cannot, and its warning names the columns' scale.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = X @ [1.0, -1.0, 0.5] + 0.1 * rng.normal(size=40)
    plain = LinearRegressorNN().fit(X, y)
    huge = LinearRegressorNN().fit(X * 1e160, y)
    np.testing.assert_allclose(huge.predict(X * 1e160), plain.predict(X), atol=1e-10)
    with pytest.warns(ConvergenceWarning, match="standard deviations from .* standardise X"):
        lasso = LinearRegressorNN(alpha=0.1, l1_ratio=1.0).fit(X * 1e160, y)
    assert np.isfinite(lasso.predict(X * 1e160)).all()


@pytest.mark.parametrize("name", ["Ridge", "Lasso", "ElasticNet", "LogisticRegression"])
def test_sklearn_named_models_save_and_load_without_pickle(tmp_path, name):
    import sklearn_dl

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = X @ [1.0, -1.0, 0.5]
    if name == "LogisticRegression":
        y = np.array(["low", "mid", "high"])[np.digitize(y, [-1, 1])]
    est = getattr(ours, name)(**({"alpha": 0.01} if name in ("Lasso", "ElasticNet") else {}))
    est.fit(X, y)
    sklearn_dl.save(est, tmp_path / "model")
    back = sklearn_dl.load(tmp_path / "model")
    assert type(back) is type(est) and back.get_params() == est.get_params()
    np.testing.assert_array_equal(back.predict(X), est.predict(X))


def test_max_iter_none_gives_each_solver_its_own_budget(house):
    X, y = house
    # coordinate descent: ElasticNet's 1000 sweeps (the house lasso needs a few hundred)
    lasso = LinearRegressorNN(alpha=5e-4, l1_ratio=1.0).fit(X, y)
    assert 1 < lasso.n_iter_ < 1000 and lasso.converged_
    # partial_fit with solver='auto' runs torch's L-BFGS through skorch, 200 iterations
    reg = LinearRegressorNN(alpha=1e-3).partial_fit(X[:200], y[:200])
    assert reg.net_.optimizer_.param_groups[0]["max_iter"] == 200
    assert SoftmaxClassifier()._param("max_iter") == 10  # epochs of the minibatch default
    assert SoftmaxClassifier(solver="lbfgs")._exact_max_iter("logistic") == 100


def test_bad_weights_and_penalty_counts_are_refused(wide):
    X, y = wide
    with pytest.raises(ValueError, match="Negative values in data passed to"):
        LinearRegressorNN().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="Number of targets and number of penalties do not "
                                         "correspond: 3 != 2"):
        ours.Ridge(alpha=[1.0, 2.0, 3.0]).fit(X, np.column_stack([y, y]))
