"""The house-price task: preprocessing without leakage, the named models, submissions."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_regressor
from sklearn.compose import make_column_transformer
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_dl.house_prices import (
    MODEL_NAMES,
    CategorySlopes,
    ClipToTrainingRange,
    DropLargeHouses,
    HouseFeatures,
    LargeHouseComparables,
    Log1pSkewed,
    cross_validate_model,
    load_frames,
    make_model,
    make_submission,
    split_target,
)
from sklearn_dl.metrics import log_rmse_scorer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def frames(house_prices_dir):
    shared = ROOT.parent / "shared" / "data"
    data_home = None if os.environ.get("SKLEARN_DL_DATA") or not shared.is_dir() else shared
    return load_frames(data_home)


@pytest.fixture(scope="module")
def Xy(frames):
    return split_target(frames[0])


def fast(model):
    """The same model with few trees / epochs / iterations: structure, not accuracy."""
    small = {}
    for key in model.get_params():
        if key.endswith("n_estimators"):
            small[key] = 10
        elif key.endswith("max_iter"):
            small[key] = 20
    return model.set_params(**small)


def test_d2l_reproduces_the_seed(Xy):
    X, y = Xy
    result = cross_validate_model(make_model("d2l"), X, y, cv=5)
    # Issue 6's target for the seed's model: 5-fold mean in 0.14-0.20 (the seed
    # reported 0.155-0.191 per fold); measured 0.169 (benchmarks/RESULTS_house_prices.md).
    assert 0.14 <= result["valid"].mean() <= 0.20, result["valid"]


def test_fold_models_never_read_their_validation_rows(Xy):
    X, y = Xy
    cv = KFold(2, shuffle=True, random_state=0)
    idx_train, idx_valid = next(cv.split(X))
    # Scramble fold 0's validation rows, features and prices alike: each column
    # shuffled among those rows, so the values stay plausible but belong to no house.
    rng = np.random.RandomState(0)
    X_bad, y_bad = X.copy(), y.copy()
    rows = X.index[idx_valid]
    for col in X.columns:
        X_bad.loc[rows, col] = rng.permutation(X.loc[rows, col].to_numpy())
    y_bad[idx_valid] = rng.permutation(y[idx_valid])
    model = fast(make_model("best"))
    clean = cross_validate_model(model, X, y, cv=cv, return_estimators=True)
    dirty = cross_validate_model(model, X_bad, y_bad, cv=cv, return_estimators=True)
    probe = X.iloc[idx_valid[:200]]
    np.testing.assert_allclose(dirty["estimators"][0].predict(probe),
                               clean["estimators"][0].predict(probe), rtol=1e-9)
    # the scrambled rows were scored, and badly: measured 0.433 against 0.222 clean
    # (fast "best", this split); shuffled prices sit at the log-price spread (std 0.40),
    # so +0.1 is half the measured gap
    assert dirty["valid"][0] > clean["valid"][0] + 0.1
    # Predicting is row by row too: other rows in the batch change nothing.
    fitted = clean["estimators"][0]
    batch = pd.concat([probe.iloc[:50], X_bad.iloc[idx_valid[50:200]]])
    np.testing.assert_allclose(fitted.predict(batch)[:50], fitted.predict(probe.iloc[:50]),
                               rtol=1e-9)


@pytest.mark.parametrize("name", ["best", "d2l"])
def test_unknown_categories_and_missing_values_in_test_rows(frames, name):
    train, test = frames
    X, y = split_target(train)
    rows = test.drop(columns="Id").iloc[:5].copy()
    rows["Neighborhood"] = "Atlantis"  # a category never seen in training
    rows["MSSubClass"] = 999
    rows[["GrLivArea", "LotArea", "OverallQual", "YearBuilt"]] = np.nan  # never missing in train
    rows["MSZoning"] = np.nan
    model = fast(make_model(name)).fit(X, y)
    prices = model.predict(rows)
    assert prices.shape == (5,) and np.all(np.isfinite(prices))


def test_submission_has_kaggles_format(frames, tmp_path):
    train, test = frames
    model = make_model("ridge").fit(*split_target(train))
    path = tmp_path / "submission.csv"
    returned = make_submission(model, test, path)
    written = pd.read_csv(path)
    assert list(written.columns) == ["Id", "SalePrice"]
    assert len(written) == 1459
    assert written["Id"].tolist() == list(range(1461, 2920))
    assert (written["SalePrice"] > 0).all() and np.isfinite(written["SalePrice"]).all()
    np.testing.assert_allclose(written["SalePrice"], returned["SalePrice"])
    # prices in a plausible range for Ames (training prices are 34,900..755,000)
    assert 50_000 < written["SalePrice"].median() < 400_000


def test_submission_refuses_what_kaggle_cannot_score(frames):
    train, test = frames
    X, y = split_target(train)
    negative = DummyRegressor(strategy="constant", constant=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="not positive finite"):
        make_submission(negative, test, None)
    with pytest.raises(ValueError, match="'Id'"):
        make_submission(negative, test.drop(columns="Id"), None)


def test_grid_search_tunes_a_package_estimator_inside_the_pipeline(Xy):
    X, y = Xy
    model = make_model("ridge")
    key = "alpha"  # the short name make_model documents (issue 18 item 5)
    assert model.get_params()[key] == model.get_params()[
        "estimator__linearregressornn__alpha"]
    search = GridSearchCV(model, {key: [1e-4, 1e-2]}, scoring=log_rmse_scorer,
                          cv=KFold(2, shuffle=True, random_state=0)).fit(X, y)
    # Measured on these 2 folds: alpha=1e-2 scores 0.152, 1e-4 (almost no penalty) 0.157;
    # both fitted by deterministic L-BFGS, so the order is too (with alpha=1e-4 the
    # one-hot problem is nearly singular: it stops at max_iter and warns).
    assert search.best_params_[key] == 1e-2
    assert -0.16 < search.best_score_ < -0.12


def test_make_model_names_and_errors():
    assert {"d2l", "best"} <= set(MODEL_NAMES)
    for name in MODEL_NAMES:
        model = make_model(name)
        # a scikit-learn regressor that model selection can copy (GridSearchCV clones)
        assert is_regressor(model), name
        assert clone(model).get_params().keys() == model.get_params().keys(), name
    with pytest.raises(ValueError, match="Unknown model name 'nope'; choose one of"):
        make_model("nope")


def test_drop_large_houses_drops_training_rows_only(Xy):
    X, y = Xy
    reg = DropLargeHouses(Ridge(), max_living_area=4000).fit(X[["GrLivArea"]], y)
    assert reg.n_dropped_ == int((X["GrLivArea"] > 4000).sum()) == 4  # De Cock's 4 houses
    assert reg.predict(X[["GrLivArea"]]).shape == (len(X),)
    with pytest.raises(ValueError, match="pandas DataFrame"):
        DropLargeHouses(Ridge()).fit(X[["GrLivArea"]].to_numpy(), y)
    with pytest.raises(ValueError, match=r"needs the columns \['GrLivArea'\]"):
        DropLargeHouses(Ridge()).fit(X[["LotArea"]], y)


def test_large_house_comparables_price_only_large_houses_with_comparables(Xy):
    X, y = Xy
    logy = np.log(y)
    cols = ["GrLivArea", "Neighborhood", "SaleCondition"]
    area_only = make_column_transformer(("passthrough", ["GrLivArea"]))
    blend = make_pipeline(area_only, Ridge())
    reg = LargeHouseComparables(blend).fit(X[cols], logy)
    # De Cock's four houses over 4000 sq ft: the two partial sales in Edwards
    # (Id 524 and 1299) are one group, the two NoRidge sales two others
    large = (X["GrLivArea"] > 4000).to_numpy()
    assert sorted(reg.groups_) == [("Edwards", "Partial"), ("NoRidge", "Abnorml"),
                                   ("NoRidge", "Normal")]
    assert int(reg.group_counts_.sum()) == 4
    edwards = large & (X["Neighborhood"] == "Edwards").to_numpy()
    means = dict(zip(reg.groups_, reg.group_means_))
    assert means[("Edwards", "Partial")] == pytest.approx(logy[edwards].mean())
    # every other house keeps the wrapped model's prediction, bit for bit
    inner = clone(blend).fit(X[cols], logy).predict(X[cols])
    pred = reg.predict(X[cols])
    np.testing.assert_array_equal(pred[~large], inner[~large])
    np.testing.assert_array_equal(pred[edwards], logy[edwards].mean())
    # what it is for: a held-out partial sale of Edwards priced from the other
    # one (184750 and 160000 dollars), closer than the wrapped model prices it
    held, other = np.flatnonzero(edwards)
    rest = np.setdiff1d(np.arange(len(X)), [held])
    fold = LargeHouseComparables(blend).fit(X[cols].iloc[rest], logy[rest])
    one = fold.predict(X[cols].iloc[[held]])[0]
    assert one == logy[other]
    alone = fold.estimator_.predict(X[cols].iloc[[held]])[0]
    assert abs(one - logy[held]) < abs(alone - logy[held])
    # no comparables: a large house elsewhere, in an unseen group or with a
    # missing neighbourhood keeps the model's prediction
    new = X[cols].iloc[np.flatnonzero(edwards)].copy()
    new["Neighborhood"] = ["CollgCr", np.nan]
    np.testing.assert_array_equal(reg.predict(new), reg.estimator_.predict(new))
    # a numeric group column read as int in training and as float in new rows
    # (pandas does so when the new rows hold a NaN) still matches its group
    codes = X[cols].assign(Code=X["MSSubClass"])
    by_code = LargeHouseComparables(blend, by=("Code",)).fit(codes, logy)
    new = codes.iloc[np.flatnonzero(large)].assign(Code=lambda f: f["Code"].astype(float))
    np.testing.assert_array_equal(by_code.predict(new), by_code.predict(
        codes.iloc[np.flatnonzero(large)]))
    assert not np.array_equal(by_code.predict(new), by_code.estimator_.predict(new))
    # price_from_comparables works on any predictions (the selection benchmark's blend)
    np.testing.assert_array_equal(
        reg.price_from_comparables(X[cols], np.zeros(len(X)))[large],
        [dict(zip(reg.groups_, reg.group_means_))[k] for k in zip(
            X.loc[large, "Neighborhood"], X.loc[large, "SaleCondition"])])
    # bad input says what is wrong
    with pytest.raises(ValueError, match="pandas DataFrame"):
        LargeHouseComparables(blend).fit(X[cols].to_numpy(), logy)
    with pytest.raises(ValueError, match=r"needs the columns"):
        LargeHouseComparables(blend).fit(X[["GrLivArea", "Neighborhood"]], logy)
    with pytest.raises(ValueError, match="by must be a non-empty tuple of column names"):
        LargeHouseComparables(blend, by=()).fit(X[cols], logy)
    with pytest.raises(ValueError, match="one prediction per row of X"):
        reg.price_from_comparables(X[cols], np.zeros(3))


def test_house_features_are_computed_per_row(Xy):
    X, _ = Xy
    out = HouseFeatures().fit(X).transform(X.iloc[:3])
    first = X.iloc[0]
    assert out["TotalSF"].iloc[0] == first["TotalBsmtSF"] + first["1stFlrSF"] + first["2ndFlrSF"]
    assert out["Age"].iloc[0] == first["YrSold"] - first["YearBuilt"]
    assert list(HouseFeatures().fit(X).get_feature_names_out()) == list(out.columns)
    with pytest.raises(ValueError, match="needs the columns"):
        HouseFeatures().fit(X.drop(columns="GrLivArea"))


def test_log1p_skewed_and_clip_learn_from_training_rows_only():
    train = np.column_stack([np.exp(np.linspace(0, 6, 100)), np.linspace(-1, 1, 100)])
    log = Log1pSkewed().fit(train)
    np.testing.assert_array_equal(log.log_columns_, [True, False])
    np.testing.assert_allclose(log.transform([[np.e - 1, 5.0]]), [[1.0, 5.0]])
    clip = ClipToTrainingRange(quantile=0.0).fit(train)
    np.testing.assert_allclose(clip.transform([[1e9, -50.0]]), [[train[:, 0].max(), -1.0]])


def test_category_slopes_give_each_category_its_own_slope():
    rng = np.random.RandomState(0)
    town = rng.choice(["a", "b", "c"], size=300, p=[0.5, 0.45, 0.05])
    area = rng.uniform(500, 3000, size=300)
    X = pd.DataFrame({"town": town, "area": area})
    slopes = CategorySlopes(min_frequency=20, quantile=0.0).fit(X)
    out = slopes.transform(X)
    # "c" has fewer than 20 rows: it shares the infrequent column
    assert slopes.get_feature_names_out().tolist() == [
        "area*town_a", "area*town_b", "area*town_infrequent_sklearn"]
    z = np.log1p(area)
    z = (z - z.mean()) / z.std()
    expected = np.zeros((300, 3))
    for j, members in enumerate([town == "a", town == "b", town == "c"]):
        expected[members, j] = z[members]
    np.testing.assert_allclose(out, expected, atol=1e-12)
    # what a user wants from it: a linear model on the slope columns (plus the
    # common terms) recovers a different price-per-log-area in each town
    true_slope = {"a": 0.8, "b": 0.3, "c": 0.3}
    y = np.array([true_slope[t] for t in town]) * z + 0.1 * (town == "a")
    design = np.column_stack([out, town == "a", np.ones(300)])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    np.testing.assert_allclose(coef[:3], [0.8, 0.3, 0.3], atol=1e-10)
    # unseen town: no slope of its own; missing area: the training median
    new = slopes.transform(pd.DataFrame({"town": ["zz", "a"], "area": [1000.0, np.nan]}))
    np.testing.assert_array_equal(new[0], 0.0)
    median = (np.log1p(np.median(area)) - np.log1p(area).mean()) / np.log1p(area).std()
    np.testing.assert_allclose(new[1], [median, 0.0, 0.0], atol=1e-12)
    # a negative or huge area after training is clipped to the training range
    # before log1p: it gets the smallest / largest training area's value
    edge = slopes.transform(pd.DataFrame({"town": ["a", "a"], "area": [-50.0, 1e9]}))
    np.testing.assert_allclose(edge[:, 0], [z.min(), z.max()], atol=1e-12)
    # bad input says what to do
    with pytest.raises(ValueError, match="a category column followed by at least one"):
        CategorySlopes().fit(X[["town"]])
    with pytest.raises(ValueError, match="pass log=False"):
        CategorySlopes().fit(X.assign(area=area - 1000))


@parametrize_with_checks([ClipToTrainingRange(), Log1pSkewed(),
                          CategorySlopes(min_frequency=1, log=False)])
def test_generic_transformers_are_sklearn_compatible(estimator, check):
    check(estimator)
