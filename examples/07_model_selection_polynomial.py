# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Model selection, underfitting and overfitting (the seed's Day 9)
#
# d2l's polynomial experiment: `x ~ N(0, 1)` and
# `y = 5 + 1.2 x - 3.4 x^2/2! + 5.6 x^3/3! + N(0, 0.1^2)`, 100 training and
# 100 test points. A linear model on the features `x^i / i!` with a cubic's
# four terms fits it; one with two terms (a line) underfits; one with twenty
# has room to fit the noise. The seed reported weights
# `[5.001, 1.208, -3.408, 5.570]` for degree 3 and `[3.17, 4.27]` for
# degree 1, and a test loss above the train loss for degree 20.
#
# `sklearn_dl.PolyRidge` is that model as a scikit-learn estimator: it expands
# `x` with `PolynomialFeatures`, scales the columns (`scaling="factorial"` is
# the seed's `x^i / i!`; the default `"standard"` standardises them), and
# trains a torch `nn.Linear` on them, so `GridSearchCV`,
# `ValidationCurveDisplay` and `LearningCurveDisplay` choose the degree.

# %%
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import factorial
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import GridSearchCV, LearningCurveDisplay, ValidationCurveDisplay

from sklearn_dl import PolyRidge
from sklearn_dl.datasets import make_polynomial_regression

QUICK = os.environ.get("SKLEARN_DL_QUICK") == "1"  # the test suite's short run
warnings.simplefilter("ignore", ConvergenceWarning)  # the seed's fixed epoch budgets

_, y, x = make_polynomial_regression(n_samples=200, n_features=4, random_state=0)
x = x[:, None]  # one input column; PolyRidge makes the powers
x_train, x_test, y_train, y_test = x[:100], x[100:], y[:100], y[100:]
true_weights = np.array([5.0, 1.2, -3.4, 5.6])

fig, ax = plt.subplots(figsize=(5, 3))
ax.scatter(x_train, y_train, s=8, label="train")
ax.scatter(x_test, y_test, s=8, label="test")
ax.set(xlabel="x", ylabel="y", title="Day 9 data")
ax.legend()
plt.show()

# %% [markdown]
# ## The seed's way: minibatch SGD on `x^i / i!`
#
# The seed trained `nn.Linear(n, 1, bias=False)` with `nn.MSELoss` (no 1/2),
# SGD lr 0.01, batch 10, 400 epochs (1500 for twenty terms). `PolyRidge`
# minimises *half* the mean squared error, so lr 0.02 takes the seed's steps;
# the bias column `x^0` is the estimator's `intercept_`. "Degree 20" in the
# seed means the 20 features `x^0 ... x^19`, i.e. `degree=19` here.
#
# `coef_` always multiplies the raw monomials `x, x^2, ...` named by
# `get_feature_names_out()`, whatever the scaling, so the seed's weights of
# `x^i / i!` are `coef_ * i!` (with `scaling="factorial"` that is also
# `coef_ * feature_scale_`, the layer's own weights).

# %%
def seed_fit(degree, epochs):
    return PolyRidge(degree=degree, alpha=0.0, scaling="factorial", solver="sgd",
                     learning_rate_init=0.02, momentum=0.0, batch_size=10,
                     max_iter=epochs, n_iter_no_change=np.inf, random_state=0).fit(x_train, y_train)


def seed_weights(reg):
    """Weights of x^i / i! (the seed's), from coef_ on the raw powers x^i."""
    return np.r_[reg.intercept_, reg.coef_ * factorial(reg.powers_[:, 0])]


def mse(reg, X, y):
    return mean_squared_error(y, reg.predict(X))


# degree 3 keeps the seed's 400 epochs in quick mode too: the slow direction
# (x against x^3) needs them to get within 0.1 of the true weights
sgd = {d: seed_fit(d, e) for d, e in [(3, 400), (1, 30 if QUICK else 400),
                                        (19, 100 if QUICK else 1500)]}
for d, reg in sgd.items():
    print(f"degree {d:2d}: train MSE {mse(reg, x_train, y_train):.4f}, "
          f"test MSE {mse(reg, x_test, y_test):.4f}")
    print("   weights:", np.round(seed_weights(reg)[:6], 3), "..." if d > 5 else "")

# %%
fig, ax = plt.subplots(figsize=(5, 3))
for d, reg in sgd.items():
    ax.semilogy(np.arange(1, len(reg.loss_curve_) + 1), reg.loss_curve_, label=f"degree {d}")
ax.set(xlabel="epoch", ylabel="train loss (MSE / 2)", title="SGD, the seed's setting")
ax.legend()
plt.show()

# %% [markdown]
# ## Exact fits and the train/test gap
#
# `solver="auto"` (the default) solves the least-squares problem exactly,
# in float64, in milliseconds. The cubic fits to the noise level (MSE
# about 0.01 on both sets), the line cannot (MSE above 1 everywhere), and
# twenty powers fit the training set *below* the noise, paying on the test set.

# %%
exact = {d: PolyRidge(degree=d, alpha=0.0, random_state=0).fit(x_train, y_train)
         for d in (1, 3, 20)}
for d, reg in exact.items():
    print(f"degree {d:2d}: train MSE {mse(reg, x_train, y_train):.4f}, "
          f"test MSE {mse(reg, x_test, y_test):.4f}")
print(exact[3].get_feature_names_out(), np.round(exact[3].coef_, 3),
      round(exact[3].intercept_, 3))

grid = np.linspace(x.min(), x.max(), 200)[:, None]
fig, ax = plt.subplots(figsize=(5, 3))
ax.scatter(x_train, y_train, s=8, c="k", label="train")
for d, reg in exact.items():
    ax.plot(grid, reg.predict(grid), label=f"degree {d}")
ax.set(xlabel="x", ylabel="y", ylim=(y.min() - 5, y.max() + 5))
ax.legend()
plt.show()

# %% [markdown]
# ## Choosing the degree: validation curve and grid search
#
# `ValidationCurveDisplay` plots the cross-validated train and test error by
# degree. The training error only falls; the test error falls to the cubic,
# then rises. `GridSearchCV` picks the degree by 5-fold CV. Degrees 3 to 8
# score within noise of each other on 100 points, so the best mean score can
# land on any of them; the one-standard-error rule (the simplest model whose
# score is within one standard error of the best), passed as `refit`, picks 3.

# %%
degrees = list(range(1, 11 if QUICK else 21))
fig, ax = plt.subplots(figsize=(5, 3))
curve = ValidationCurveDisplay.from_estimator(
    PolyRidge(alpha=0.0, random_state=0), x_train, y_train, param_name="degree",
    param_range=degrees, cv=5, scoring="neg_mean_squared_error", negate_score=True, ax=ax)
ax.set_yscale("log")
ax.set_title("Validation curve by degree")
plt.show()


def one_standard_error(cv_results):
    mean = cv_results["mean_test_score"]
    se = cv_results["std_test_score"] / np.sqrt(5)
    ok = np.flatnonzero(mean >= mean.max() - se[np.argmax(mean)])
    return int(ok[np.argmin(np.asarray(cv_results["param_degree"])[ok])])


search = GridSearchCV(PolyRidge(alpha=0.0, random_state=0), {"degree": degrees}, cv=5,
                      scoring="neg_mean_squared_error", refit=one_standard_error)
search.fit(x_train, y_train)
cv_mse = -search.cv_results_["mean_test_score"]
best_mean = degrees[int(np.argmin(cv_mse))]
print("CV MSE by degree:", dict(zip(degrees, np.round(cv_mse, 4))))
print("lowest CV MSE at degree", best_mean, "| one-standard-error rule:", search.best_params_)

# %% [markdown]
# With a penalty, a high degree stops hurting: `alpha` (scikit-learn
# `ElasticNet`'s meaning, on the standardised powers) shrinks the extra
# coefficients. A joint search over degree and alpha:

# %%
joint = GridSearchCV(PolyRidge(random_state=0),
                     {"degree": [1, 3, 10, 20], "alpha": [0.0, 1e-3, 1e-1]},
                     cv=5, scoring="neg_mean_squared_error").fit(x_train, y_train)
print("degree and alpha:", joint.best_params_,
      f"test MSE {mse(joint.best_estimator_, x_test, y_test):.4f}")

# %% [markdown]
# ## Learning curves
#
# `LearningCurveDisplay` shows the error by training-set size: the line's
# train and test errors meet early at a high level (underfitting, more data
# does not help); degree 20 needs many more points before its test error
# comes down to the noise level.

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 3), sharey=True)
for ax, d in zip(axes, (1, 3, 20)):
    LearningCurveDisplay.from_estimator(
        PolyRidge(degree=d, alpha=0.0, random_state=0), x_train, y_train,
        train_sizes=[25, 40, 60, 80], cv=5, scoring="neg_mean_squared_error",
        negate_score=True, ax=ax)
    ax.set(yscale="log", title=f"degree {d}")
plt.show()

# %%
# The seed's degree 3 weights [5.001, 1.208, -3.408, 5.570]; issue 4: within 0.1
# of the true ones, by the seed's SGD (400 epochs) and exactly.
np.testing.assert_allclose(seed_weights(sgd[3]), true_weights, atol=0.1)
np.testing.assert_allclose(seed_weights(exact[3]), true_weights, atol=0.1)
assert mse(exact[3], x_test, y_test) < 0.015  # noise variance 0.01
# degree 1 underfits: test MSE > 1 (seed weights [3.17, 4.27]; here about [3.30, 3.49])
assert mse(exact[1], x_test, y_test) > 1 and mse(sgd[1], x_test, y_test) > 1
# degree 20 overfits: below the noise on train, worse than the cubic on test
assert mse(exact[20], x_train, y_train) < 0.01 < mse(exact[20], x_test, y_test)
assert mse(exact[20], x_test, y_test) > mse(exact[3], x_test, y_test)
# 5-fold CV picks 3 to 5 (issue 4), 3 by the one-standard-error rule
assert 3 <= best_mean <= 5 and search.best_params_ == {"degree": 3}
