"""Linear estimators: exact L2/L1 penalties against scikit-learn, and PolyRidge.

``alpha`` and ``l1_ratio`` mean what they mean in scikit-learn's
``ElasticNet``: half the mean squared error plus
``alpha * l1_ratio * ||w||_1 + 0.5 * alpha * (1 - l1_ratio) * ||w||^2``.
The exact solvers (``solver='auto'``: closed form, coordinate descent when
there is an L1 part) must land on scikit-learn's optimum, zeros included;
``tests/test_linear_exact.py`` checks them on the house-price design.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_dl import LinearRegressorNN, PolyRidge, SoftmaxClassifier
from sklearn_dl.linear_model import ProximalGradient, ProximalL1

# The acceptance bound for the exact path: coefficients within 1e-3
# (relative) of scikit-learn's.
EXACT_RTOL = 1e-3


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


def _sparse_problem():
    """Standardised features, 5 of 20 informative: the lasso's textbook case."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(500, 20))
    w = np.zeros(20)
    w[:5] = [3.0, -2.0, 1.5, 1.0, -0.5]
    return X, X @ w + 1.0 + rng.normal(scale=0.5, size=500)


def _rel_err(a, b):
    return np.linalg.norm(np.ravel(a) - np.ravel(b)) / np.linalg.norm(np.ravel(b))


# --------------------------------------------------------------------------
# The exact full-batch path on the diabetes data
# --------------------------------------------------------------------------
@pytest.mark.parametrize("alpha, l1_ratio, reference", [
    (0.0, 0.0, lambda a, r, n: LinearRegression()),
    (0.01, 0.0, lambda a, r, n: Ridge(alpha=a * n)),  # Ridge sums the loss: alpha * n_samples
    (0.1, 1.0, lambda a, r, n: Lasso(alpha=a, tol=1e-12, max_iter=100_000)),
    (0.3, 1.0, lambda a, r, n: Lasso(alpha=a, tol=1e-12, max_iter=100_000)),
    (0.01, 0.5, lambda a, r, n: ElasticNet(alpha=a, l1_ratio=r, tol=1e-12, max_iter=100_000)),
])
def test_exact_solver_matches_sklearn_with_same_zeros(diabetes, alpha, l1_ratio, reference):
    X, y = diabetes
    ref = reference(alpha, l1_ratio, len(y)).fit(X, y)
    # tol=1e-6 on the (proximal) gradient: diabetes' Hessian has eigenvalues
    # down to 2e-5, so 1e-4 leaves ~1e-4 relative error; 2000 iterations cover
    # the 750 FISTA needs for Lasso(0.1) (measured).
    reg = LinearRegressorNN(alpha=alpha, l1_ratio=l1_ratio, tol=1e-6, max_iter=2000,
                            random_state=0).fit(X, y)
    assert _rel_err(reg.coef_, ref.coef_) < EXACT_RTOL
    assert abs(reg.intercept_ - ref.intercept_) < EXACT_RTOL * abs(ref.intercept_)
    # exactly the same coefficients are zero (Lasso(0.1) zeroes 3 of 10,
    # Lasso(0.3) 6, the elastic net 1; Ridge none)
    np.testing.assert_array_equal(reg.coef_ == 0, ref.coef_ == 0)


def test_solvers_pick_closed_form_coordinate_descent_or_skorch(diabetes):
    X, y = diabetes
    closed = LinearRegressorNN(alpha=0.1, l1_ratio=0.0, random_state=0).fit(X, y)
    lasso = LinearRegressorNN(alpha=0.1, l1_ratio=1.0, random_state=0).fit(X, y)
    smooth = LinearRegressorNN(alpha=0.1, solver="lbfgs", random_state=0).fit(X, y)
    # solver='auto': closed form (one step) and coordinate descent, no skorch net
    assert not hasattr(closed, "net_") and closed.n_iter_ == 1
    assert not hasattr(lasso, "net_") and lasso.n_iter_ > 1 and lasso.converged_
    # solver='lbfgs' without L1 is torch's L-BFGS, trained through skorch
    assert type(smooth.net_.optimizer_).__name__ == "LBFGS"
    # every full-batch path is float64
    for reg in (closed, lasso, smooth):
        assert reg.module_.weight.dtype == torch.float64


def test_coordinate_descent_warns_with_the_duality_gap(diabetes):
    X, y = diabetes
    with pytest.warns(ConvergenceWarning, match=r"max_iter=5 sweeps the duality gap is [0-9.e+-]+, "
                      r"above the tolerance"):
        LinearRegressorNN(alpha=0.1, l1_ratio=1.0, max_iter=5, random_state=0).fit(X, y)


def test_proximal_gradient_warns_when_max_iter_is_too_small(diabetes):
    # partial_fit with an L1 part runs FISTA through skorch
    X, y = diabetes
    with pytest.warns(ConvergenceWarning, match="did not converge in max_iter=5"):
        LinearRegressorNN(alpha=0.1, l1_ratio=1.0, max_iter=5, random_state=0).partial_fit(X, y)


def test_proximal_gradient_continues_with_partial_fit(diabetes):
    # Each partial_fit resumes FISTA from the previous weights: two
    # half-budgets reach the optimum that one full budget reaches.
    X, y = diabetes
    ref = Lasso(alpha=0.1, tol=1e-12, max_iter=100_000).fit(X, y)
    reg = LinearRegressorNN(alpha=0.1, l1_ratio=1.0, tol=1e-6, max_iter=500, random_state=0)
    with pytest.warns(ConvergenceWarning):
        reg.partial_fit(X, y)
    reg.partial_fit(X, y)
    assert isinstance(reg.net_.optimizer_, ProximalGradient)
    assert _rel_err(reg.coef_, ref.coef_) < EXACT_RTOL


# --------------------------------------------------------------------------
# Minibatch solvers: a proximal step after each update
# --------------------------------------------------------------------------
@pytest.mark.parametrize("solver, lr", [("sgd", 0.003), ("adam", 0.05)])
def test_minibatch_l1_gives_lasso_zero_pattern(solver, lr):
    X, y = _sparse_problem()
    ref = Lasso(alpha=0.1, tol=1e-12).fit(X, y)
    assert (ref.coef_ == 0).sum() == 15
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # fixed epoch budget
        reg = LinearRegressorNN(alpha=0.1, l1_ratio=1.0, solver=solver, learning_rate_init=lr,
                                batch_size=50, max_iter=30, n_iter_no_change=np.inf,
                                random_state=0).fit(X, y)
    np.testing.assert_array_equal(reg.coef_ == 0, ref.coef_ == 0)
    # SGD noise: measured 1e-3 (sgd, momentum 0.9) and 1e-2 (adam) at 30 epochs
    np.testing.assert_allclose(reg.coef_, ref.coef_, atol=0.05)


def test_minibatch_without_the_proximal_step_leaves_no_exact_zero():
    # What the proximal step buys: the same penalty strength as pure L2
    # (l1_ratio=0, so no proximal step) leaves no exact zero, while with
    # l1_ratio=1 these 5 epochs end with 11 exact zeros (measured; the
    # smallest |weight| of this L2 fit is 8e-4).
    X, y = _sparse_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = LinearRegressorNN(alpha=0.1, l1_ratio=0.0, solver="sgd", learning_rate_init=0.003,
                                batch_size=50, max_iter=5, n_iter_no_change=np.inf,
                                random_state=0).fit(X, y)
    assert "proximal_l1" not in dict(reg.net_.callbacks_)
    assert (reg.coef_ == 0).sum() == 0


def test_proximal_classes_have_docstrings():
    # the API reference (docs/api/linear_model.md) renders these
    for cls in (ProximalL1, ProximalGradient):
        assert cls.__doc__ and "Parameters\n    ----------" in cls.__doc__, cls.__name__


def test_proximal_l1_callback_thresholds_by_the_step_actually_taken():
    # plain SGD, lr 0.1: one step of a weight at 1.0 with zero gradient lands
    # at 1.0 - lr * l1; a weight below lr * l1 lands at exactly 0.
    from skorch import NeuralNet

    net = NeuralNet(torch.nn.Linear(2, 1, bias=False), torch.nn.MSELoss,
                    optimizer=torch.optim.SGD, lr=0.1).initialize()
    with torch.no_grad():
        net.module_.weight.copy_(torch.tensor([[1.0, 0.04]]))
    cb = ProximalL1(0.5)
    cb.on_batch_begin(net, training=True)
    cb.on_batch_end(net, training=True)
    np.testing.assert_allclose(net.module_.weight.detach().numpy(), [[0.95, 0.0]])


def test_softmax_classifier_l1_matches_logistic_regression():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    n, alpha = len(y), 0.05
    # LogisticRegression minimises C * sum(loss) + l1_ratio * |w|_1 + ...:
    # divided by C * n it is our mean loss + alpha * (...) with alpha = 1/(C n)
    ref = LogisticRegression(C=1 / (alpha * n), l1_ratio=1.0, solver="saga", tol=1e-10,
                             max_iter=100_000).fit(X, y)
    clf = SoftmaxClassifier(alpha=alpha, l1_ratio=1.0, solver="lbfgs", tol=1e-6,
                            max_iter=2000, random_state=0).fit(X, y)
    assert (ref.coef_ == 0).sum() == 8  # 8 of 12 weights zero (measured)
    np.testing.assert_array_equal(clf.coef_ == 0, ref.coef_ == 0)
    assert _rel_err(clf.coef_, ref.coef_) < EXACT_RTOL


def test_softmax_classifier_minibatch_l1_zeroes_weights():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ref = LogisticRegression(C=1 / (0.05 * len(y)), l1_ratio=1.0, solver="saga", tol=1e-10,
                             max_iter=100_000).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # fixed epoch budget
        clf = SoftmaxClassifier(alpha=0.05, l1_ratio=1.0, learning_rate_init=0.05, max_iter=150,
                                n_iter_no_change=np.inf, random_state=0).fit(X, y)
    # Adam with the proximal step: 6 exact zeros (measured), all among the 8
    # of the exact optimum; the 2 others sit on the nearly flat direction
    # between the petal length and width weights (correlation 0.96) that 150
    # epochs do not finish. Accuracy is the exact model's (0.96, sklearn).
    assert (clf.coef_ == 0).sum() >= 6
    assert np.all((clf.coef_ == 0) <= (ref.coef_ == 0))
    assert clf.score(X, y) >= ref.score(X, y) - 0.01


# --------------------------------------------------------------------------
# PolyRidge
# --------------------------------------------------------------------------
def _cubic(n=100, seed=0, noise=0.1):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, 1))
    y = 5 + 1.2 * x[:, 0] - 3.4 * x[:, 0] ** 2 / 2 + 5.6 * x[:, 0] ** 3 / 6
    return x, y + rng.normal(scale=noise, size=n)


def test_polyridge_coef_are_on_the_named_monomials():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    y = X[:, 0] * X[:, 1] + X[:, 1] ** 2
    reg = PolyRidge(degree=2, random_state=0).fit(X, y)
    names = reg.get_feature_names_out()
    np.testing.assert_array_equal(names, ["x0", "x1", "x0^2", "x0 x1", "x1^2"])
    np.testing.assert_array_equal(reg.powers_, [[1, 0], [0, 1], [2, 0], [1, 1], [0, 2]])
    # predict is the monomials times coef_ plus intercept_, whatever the scaling
    F = PolynomialFeatures(2, include_bias=False).fit_transform(X)
    np.testing.assert_allclose(reg.predict(X), F @ reg.coef_ + reg.intercept_, atol=1e-10)
    coef = dict(zip(names, reg.coef_))
    # noise-free target: only the default alpha=1e-3 shrinks the coefficients,
    # by about 0.1 % (measured errors 1.1e-3 on x0 x1 and x1^2, 1.4e-4 on x0^2)
    assert abs(coef["x0 x1"] - 1) < 0.01 and abs(coef["x1^2"] - 1) < 0.01
    assert abs(coef["x0^2"]) < 0.01


def test_polyridge_feature_names_follow_dataframe_columns():
    x, y = _cubic()
    df = pd.DataFrame({"t": x[:, 0]})
    reg = PolyRidge(degree=3, random_state=0).fit(df, y)
    np.testing.assert_array_equal(reg.get_feature_names_out(), ["t", "t^2", "t^3"])
    assert reg.n_features_in_ == 1


@pytest.mark.parametrize("scaling", ["standard", "factorial", None])
def test_polyridge_unpenalised_fit_does_not_depend_on_scaling(scaling):
    # Scaling only conditions the problem: the least-squares polynomial is the
    # same, so coef_ (on the raw monomials) agrees with numpy's lstsq.
    x, y = _cubic()
    reg = PolyRidge(degree=3, alpha=0.0, scaling=scaling, tol=1e-8, random_state=0).fit(x, y)
    V = np.vander(x[:, 0], 4, increasing=True)
    expected = np.linalg.lstsq(V, y, rcond=None)[0]
    np.testing.assert_allclose(np.r_[reg.intercept_, reg.coef_], expected, rtol=1e-5)


def test_polyridge_factorial_weights_are_the_seeds():
    # With scaling='factorial' the layer's weights are the seed's weights of
    # x^i / i!; coef_ * feature_scale_ gives them back.
    x, y = _cubic(noise=0.0)
    reg = PolyRidge(degree=3, alpha=0.0, scaling="factorial", tol=1e-8).fit(x, y)
    np.testing.assert_allclose(reg.feature_scale_, [1, 2, 6])
    np.testing.assert_allclose(reg.coef_ * reg.feature_scale_, [1.2, -3.4, 5.6], atol=1e-5)
    np.testing.assert_allclose(reg.module_.weight.detach().numpy()[0], [1.2, -3.4, 5.6],
                               atol=1e-5)


def test_polyridge_penalty_matches_ridge_on_scaled_features():
    # alpha is ElasticNet's, applied to the standardised monomials.
    x, y = _cubic()
    F = StandardScaler().fit_transform(PolynomialFeatures(5, include_bias=False).fit_transform(x))
    reg = PolyRidge(degree=5, alpha=0.1, tol=1e-8, random_state=0).fit(x, y)
    ref = Ridge(alpha=0.1 * len(y)).fit(F, y)
    assert _rel_err(reg.coef_ * reg.feature_scale_, ref.coef_) < EXACT_RTOL


def test_polyridge_lasso_drops_unneeded_powers():
    # Day 10's feature selection: degree 8 with an L1 penalty on the factorial
    # features keeps the cubic's powers and zeroes most of the rest, exactly
    # where sklearn's Lasso does.
    x, y = _cubic()
    F = PolynomialFeatures(8, include_bias=False).fit_transform(x)
    F /= [1, 2, 6, 24, 120, 720, 5040, 40320]
    ref = Lasso(alpha=0.01, tol=1e-12, max_iter=100_000).fit(F, y)
    reg = PolyRidge(degree=8, alpha=0.01, l1_ratio=1.0, scaling="factorial", tol=1e-6,
                    max_iter=5000, random_state=0).fit(x, y)
    np.testing.assert_array_equal(reg.coef_ == 0, ref.coef_ == 0)
    assert (reg.coef_[:3] != 0).all() and (reg.coef_ == 0).sum() >= 3
    assert _rel_err(reg.coef_ * reg.feature_scale_, ref.coef_) < EXACT_RTOL


def test_polyridge_grid_search_over_degree_and_alpha():
    x, y = _cubic()
    gs = GridSearchCV(PolyRidge(random_state=0), {"degree": [1, 2, 3], "alpha": [1e-3, 10.0]},
                      cv=3).fit(x, y)
    # the cubic needs degree 3; alpha=10 shrinks the fit far from it
    assert gs.best_params_ == {"degree": 3, "alpha": 1e-3}
    assert gs.best_estimator_.get_feature_names_out().tolist() == ["x0", "x0^2", "x0^3"]


def test_polyridge_multi_output():
    x, y = _cubic()
    Y = np.column_stack([y, -y])
    reg = PolyRidge(degree=3, random_state=0).fit(x, Y)
    assert reg.coef_.shape == (2, 3) and reg.intercept_.shape == (2,)
    np.testing.assert_allclose(reg.coef_[0], -reg.coef_[1], rtol=1e-4)
    assert reg.predict(x).shape == (100, 2)


def test_polyridge_partial_fit_reuses_the_expansion():
    x, y = _cubic()
    reg = PolyRidge(degree=3, solver="sgd", random_state=0)
    reg.partial_fit(x, y)
    poly = reg.poly_
    scale = reg.feature_scale_.copy()
    reg.partial_fit(x[:10] * 3, y[:10])  # other data: the scaling must not be refitted
    assert reg.poly_ is poly
    np.testing.assert_array_equal(reg.feature_scale_, scale)


def test_polyridge_overflow_is_a_clear_error():
    x = np.array([[1e30], [2e30], [3e30]])
    with pytest.raises(ValueError, match="overflow float64.*StandardScaler"):
        PolyRidge(degree=12).fit(x, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("params, match", [
    ({"degree": 0}, "degree"),
    ({"scaling": "minmax"}, "scaling"),
])
def test_polyridge_rejects_bad_parameters(params, match):
    x, y = _cubic()
    with pytest.raises(InvalidParameterError, match=match):
        PolyRidge(**params).fit(x, y)
