"""scikit-learn's own estimator checks over every public estimator, none xfailed."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_dl import (
    ConvNetClassifier,
    LinearRegressorNN,
    MLPClassifier,
    MLPRegressor,
    PolyRidge,
    SoftmaxClassifier,
    TorchClassifier,
    TorchRegressor,
)


def _estimators():
    # random_state fixed so every check is deterministic; small max_iter keeps
    # the suite fast while the checks that score a fit (accuracy > 0.83,
    # R^2 > 0.5) still pass with the defaults' solvers.
    return [
        LinearRegressorNN(random_state=0),
        SoftmaxClassifier(random_state=0),
        PolyRidge(random_state=0),
        # max_iter=100 as in scikit-learn's own checks of its MLPs; the Torch*
        # estimators train their default module, sklearn_dl.modules.MLP
        MLPClassifier(max_iter=100, random_state=0),
        MLPRegressor(max_iter=100, random_state=0),
        TorchClassifier(max_iter=100, random_state=0),
        TorchRegressor(max_iter=100, random_state=0),
        # a small network: the checks' data are tiny tabular arrays (read as
        # 1 x n_features strips, or s x s images for square n_features)
        # (20 epochs at lr 0.01 pass check_classifiers_train's 0.83 on its blobs)
        ConvNetClassifier(channels=(8,), hidden_layer_sizes=(16,), max_iter=20,
                          learning_rate_init=0.01, random_state=0),
    ]


@parametrize_with_checks(_estimators())
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
