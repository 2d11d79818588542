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
# # Kaggle house prices (the seed's Day 12), the scikit-learn way
#
# Predict the sale price of houses in Ames, Iowa, from 79 features; Kaggle
# scores the root mean squared error between log prices (`log_rmse`).
#
# The seed standardised the numeric columns of train and test together, set
# missing values to 0, one-hot encoded the text columns with "missing" as a
# category, and trained one linear layer on raw prices (MSE, Adam with
# learning rate 5, batch 64, 100 epochs). Its 5-fold validation log-RMSE was
# 0.156, 0.191, 0.168, 0.155 and 0.183.
#
# Here every step of the preprocessing is a scikit-learn transformer inside
# the model, so cross-validation fits it on the training folds only and
# scores houses the model has never seen, in any form. Then we push well past
# the seed with feature engineering and an ensemble built around the
# package's estimators.
#
# The full run takes a few minutes on 2 CPU cores; `SKLEARN_DL_QUICK=1` (the
# test suite) swaps the slow parts for short ones.

# %%
import os
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_dl.house_prices import (
    cross_validate_model,
    load_frames,
    make_model,
    make_submission,
    split_target,
)
from sklearn_dl.metrics import log_rmse, log_rmse_scorer

QUICK = os.environ.get("SKLEARN_DL_QUICK") == "1"  # the test suite's short run
# The seed's model runs a fixed 100 epochs, so every fit ends with a
# ConvergenceWarning saying so; that is expected here.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

train, test = load_frames()  # from data_home, $SKLEARN_DL_DATA, the cache, or d2l's mirror
X, y = split_target(train)
print("train:", X.shape, " test:", test.shape)
print("prices: median", np.median(y), " range", y.min(), "-", y.max())
X.iloc[:4, [0, 1, 2, 3, -3, -2, -1]]

# %% [markdown]
# ## The metric
#
# `log_rmse` compares logarithms, so a 10% error costs the same on a cheap
# and an expensive house. Predictions below 1 count as 1, as in the seed.
# `log_rmse_scorer` is its negation (greater is better) for `scoring=`.

# %%
print(round(log_rmse([100_000, 200_000], [110_000, 180_000]), 4))

# %% [markdown]
# ## The seed's model, without the leak
#
# `make_model("d2l")` is the seed's recipe as one pipeline:
# `ColumnTransformer` with `StandardScaler` + `SimpleImputer(fill_value=0)` on
# numbers and `SimpleImputer` + `OneHotEncoder(handle_unknown="ignore")` on
# text, then `LinearRegressorNN(solver="adam", learning_rate_init=5,
# batch_size=64, max_iter=100)` on raw prices. The folds are
# `KFold(5, shuffle=True, random_state=0)` throughout.

# %%
cv = KFold(5, shuffle=True, random_state=0)
d2l = make_model("d2l")
d2l

# %%
result = cross_validate_model(d2l, X, y, cv=cv)
print("valid log-RMSE per fold:", result["valid"].round(3))
print(f"mean {result['valid'].mean():.4f}, train {result['train'].mean():.4f}")
# the seed: folds 0.155-0.191, train 0.162 (issue 6: the 5-fold mean must lie in 0.14-0.20)
assert 0.14 <= result["valid"].mean() <= 0.20

# %% [markdown]
# ## Tuning a package estimator inside the pipeline
#
# Predicting the log price (`HousePriceModel` fits on `log(SalePrice)`) and adding an L2
# penalty already beats the seed. `make_model("ridge")` is the seed's
# preprocessing with `LinearRegressorNN(alpha=...)` solved exactly by L-BFGS;
# `GridSearchCV` tunes its `alpha` through the pipeline with the log-RMSE
# scorer. Each candidate is scored on folds its preprocessing never saw.

# %%
ridge = make_model("ridge")
key = "alpha"  # short for estimator__linearregressornn__alpha (make_model's docstring)
grid = [1e-3, 1e-2] if QUICK else [1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
search = GridSearchCV(ridge, {key: grid}, scoring=log_rmse_scorer,
                      cv=KFold(3, shuffle=True, random_state=0) if QUICK else cv)
search.fit(X, y)
for alpha, score in zip(grid, search.cv_results_["mean_test_score"]):
    print(f"alpha={alpha:g}: log-RMSE {-score:.4f}")
print("best:", search.best_params_)
# scikit-learn's Ridge on the same features scores 0.144 (issue 6's anchor)
assert -search.best_score_ < 0.15

# %% [markdown]
# ## The best model
#
# `make_model("best")` averages, in log price with equal weights, the members
# that nested cross-validation chose (`benchmarks/house_prices_select.py`):
#
# * `'lasso'`: an L1-penalised `LinearRegressorNN` on engineered features:
#   total floor area, bathrooms, age, quality grades as numbers, `log1p` of
#   skewed columns, features clipped to the training range so the model does
#   not extrapolate, and the floor area's slope per neighbourhood
#   (`CategorySlopes`: a square foot is worth more in some neighbourhoods);
#   trained without the houses above 4000 sq ft, as the data's author
#   recommends (they are still scored);
# * `'gbr'`: scikit-learn's gradient boosting.
#
# Neither member can price the largest houses: the lasso never sees them and
# the boosting's Huber loss down-weights them. Two of them (Id 524 and 1299)
# are partial sales of new houses in Edwards that sold for a third of what
# their size is worth elsewhere; Kaggle's test set holds a third one. So a
# house over 4000 sq ft that has comparable sales in training (large houses
# of the same neighbourhood and sale condition) gets their mean log price,
# as an appraiser would price it (`LargeHouseComparables`); every other house
# keeps the blend's prediction.
#
# The members were chosen on inner folds only, so the nested estimate
# (0.1082, mean of the outer folds) is the honest number; the CV below reuses
# the folds the choice was scored on. The quick run cross-validates `'mlp'`
# alone.

# %%
name = "mlp" if QUICK else "best"
result = cross_validate_model(make_model(name), X, y, cv=cv)
print(f"{name}: valid log-RMSE per fold", result["valid"].round(3))
print(f"mean {result['valid'].mean():.4f} (the seed's model above: 0.17)")
# issue 6's goal for 'best': <= 0.115; measured 'mlp' alone: 0.122
assert result["valid"].mean() <= (0.13 if QUICK else 0.115)

# %% [markdown]
# ## Submission
#
# Fit on all 1460 training houses and write Kaggle's file: `Id,SalePrice`,
# one row per test house (Ids 1461 to 2919). Categories and missing values
# that never occur in training are handled by the preprocessing.

# %%
model = make_model(name).fit(X, y)
submission = make_submission(model, test, "submission.csv")
print(submission.head())
assert submission.shape == (1459, 2) and (submission["SalePrice"] > 0).all()
assert submission["Id"].tolist() == list(range(1461, 2920))
