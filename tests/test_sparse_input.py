"""Sparse X (CSR / CSC) trains and predicts without densifying the whole matrix (issue 14)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from sklearn_dl import MLPClassifier, MLPRegressor, PolyRidge, SoftmaxClassifier
from sklearn_dl import _sparse


@pytest.fixture(scope="module")
def tfidf_like():
    rng = np.random.RandomState(0)
    X = sp.random(300, 500, density=0.02, format="csr", random_state=rng, dtype=np.float64)
    y = (X[:, :250].sum(1).A.ravel() > X[:, 250:].sum(1).A.ravel()).astype(int)
    return X, y


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("cls", [MLPClassifier, SoftmaxClassifier])
def test_sparse_fit_and_predict_match_the_dense_ones(tfidf_like, cls, fmt):
    X, y = tfidf_like
    Xs = X.asformat(fmt)
    params = dict(max_iter=5, random_state=0)
    sparse = _fit(cls(**params), Xs, y)
    dense = _fit(cls(**params), X.toarray(), y)
    # the same rows, densified per batch: the same model up to float64 rounding
    np.testing.assert_allclose(sparse.predict_proba(Xs), dense.predict_proba(X.toarray()),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(sparse.predict(Xs), sparse.predict(X.toarray()))


def test_only_batches_are_densified(tfidf_like, monkeypatch):
    X, y = tfidf_like
    densified = []
    real = _sparse.SparseRows._dense

    def spy(self, rows):
        densified.append(rows.shape[0])
        return real(self, rows)

    monkeypatch.setattr(_sparse.SparseRows, "_dense", spy)
    reg = _fit(MLPRegressor(hidden_layer_sizes=(8,), batch_size=32, max_iter=2,
                            early_stopping=True, random_state=0), X, y.astype(float))
    assert max(densified) <= 32  # batches of 32, and the 30 validation rows
    assert sum(densified) >= 2 * 270  # every training row, each epoch
    densified.clear()
    monkeypatch.setattr(_sparse, "_DENSE_BUDGET", 500 * 50)  # 50 rows of 500 columns
    reg.predict(X)
    assert max(densified) <= 64 and sum(densified) == 300  # chunks of at most 64 rows


def test_estimators_that_transform_x_refuse_sparse_with_the_fix(tfidf_like):
    X, y = tfidf_like
    with pytest.raises(ValueError, match="does not accept sparse input"):
        PolyRidge().fit(X[:, :3], y.astype(float))
