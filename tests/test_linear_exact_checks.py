"""scikit-learn's estimator checks over the scikit-learn-named linear models.

``Ridge``, ``Lasso``, ``ElasticNet`` and ``LogisticRegression`` live in
``sklearn_dl.linear_model`` only (not in ``sklearn_dl.__all__``), so
``tests/test_estimator_checks.py`` does not reach them; they get the same
checks here, none xfailed.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_dl.linear_model import ElasticNet, Lasso, LogisticRegression, Ridge


@parametrize_with_checks([Ridge(), Lasso(), ElasticNet(), LogisticRegression()])
def test_sklearn_named_linear_models_pass_estimator_checks(estimator, check):
    check(estimator)
