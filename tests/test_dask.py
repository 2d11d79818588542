"""A grid search scaled out on Dask gives the same results as the local run.

This is the code ``docs/scaling.md`` shows against a real cluster: only the
address given to ``Client`` differs. Workers are separate processes, so the
estimator, its parameters and the data travel by pickle.
"""

import pickle

import distributed
import joblib
import numpy as np
import pytest
from sklearn.base import clone, is_regressor
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_dl import LinearRegressorNN, MLPClassifier, SoftmaxClassifier, TorchClassifier
from sklearn_dl.modules import NestMLP
from sklearn_dl.plotting import LivePlot


def _search():
    return GridSearchCV(
        SoftmaxClassifier(solver="sgd", learning_rate_init=0.1, max_iter=5, batch_size=32,
                          n_iter_no_change=100, random_state=0),
        {"alpha": [0.0, 1e-2], "learning_rate_init": [0.05, 0.2]},
        cv=KFold(2, shuffle=True, random_state=0),
        n_jobs=-1,
    )


def _data():
    # tiny on purpose: the test measures equality, not accuracy
    return make_classification(n_samples=120, n_features=8, n_informative=5, n_classes=3,
                               random_state=0)


def _scores(search):
    res = search.cv_results_
    keys = [k for k in res if k.startswith(("split", "mean_test", "std_test", "rank_", "param"))]
    return {k: np.asarray(res[k]) for k in keys}


@pytest.fixture(scope="module")
def client():
    # processes=True: workers are separate interpreters, as on a real cluster,
    # so anything that does not pickle fails here rather than in production.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as c:
        yield c


def test_grid_search_on_dask_equals_local_run(client):
    X, y = _data()
    with joblib.parallel_backend("sequential"):
        local = _search().fit(X, y)
    with distributed.get_task_stream(client) as ts, joblib.parallel_backend("dask"):
        remote = _search().fit(X, y)

    # the 4 candidates x 2 folds were fitted by the worker processes, not here
    workers = {task["worker"] for task in ts.data}
    assert len(workers) == 2, workers
    a, b = _scores(local), _scores(remote)
    assert a.keys() == b.keys()
    for k in a:
        if a[k].dtype.kind in "fiu":
            # same seeds, same CPU kernels, one thread each: bit-for-bit equal
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        else:
            assert list(a[k]) == list(b[k]), k
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))


@pytest.mark.parametrize("make", [
    lambda: SoftmaxClassifier(max_iter=3, random_state=0),
    lambda: MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0,
                          callbacks=[LivePlot(mode="text", sink=_quiet)]),
    lambda: TorchClassifier(NestMLP, module__hidden=8, max_iter=3, random_state=0),
    lambda: LinearRegressorNN(random_state=0),
], ids=["softmax", "mlp-with-callback", "torch-module-class", "linear-regressor"])
def test_estimators_pickle_as_workers_receive_and_return_them(make):
    X, y = _data()
    if is_regressor(make()):
        y = X[:, 0] * 2.0
    # what a worker receives: the unfitted clone, with its module class and callbacks
    sent = pickle.loads(pickle.dumps(clone(make())))
    assert sent.get_params().keys() == make().get_params().keys()
    fitted = sent.fit(X, y)
    # a fitted model comes back (return_estimator=True, refit on a worker) intact
    back = pickle.loads(pickle.dumps(fitted))
    method = "predict" if is_regressor(fitted) else "predict_proba"
    np.testing.assert_array_equal(getattr(back, method)(X), getattr(fitted, method)(X))


def _quiet(*args, **kwargs):
    """A sink for LivePlot's text lines (module level, so it pickles)."""
