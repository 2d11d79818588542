"""Same random_state, same data: the same model, in this process, another one, or a clone.

Minibatch solvers (Adam) with shuffling, and dropout where the estimator has
it, so that every source of randomness (initialisation, shuffling, dropout
masks) is exercised. fit draws from its own seeded generators and never
from torch's global one: the caller's global random state is untouched
(tests/test_threads.py: also with fits in threads).
"""

import json
import random
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from _public_estimators import ESTIMATORS, ids, make_data, make_estimator

PARAMS = dict(solver="adam", shuffle=True, dropout=0.2, batch_size=16, max_iter=4)


def _outputs(est, X):
    """The finest-grained output: decision values, probabilities, or predictions."""
    for method in ("decision_function", "predict_proba", "predict"):
        if hasattr(est, method):
            return np.asarray(getattr(est, method)(X), dtype=np.float64)


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=ids(ESTIMATORS))
def test_same_seed_gives_identical_models_across_fits_and_clones(cls):
    est = make_estimator(cls, **PARAMS, random_state=3)
    X, y = make_data(est, n_samples=64)
    first = _outputs(_fit(est, X, y), X)
    torch.manual_seed(123)  # the caller's seeds play no part
    np.random.seed(123)
    np.testing.assert_array_equal(_outputs(_fit(est, X, y), X), first)  # refit in place
    np.testing.assert_array_equal(_outputs(_fit(clone(est), X, y), X), first)
    other = make_estimator(cls, **PARAMS, random_state=4)
    assert not np.array_equal(_outputs(_fit(other, X, y), X), first)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=ids(ESTIMATORS))
@pytest.mark.parametrize("random_state", [0, None, "instance"])
def test_fit_and_predict_leave_the_global_random_state_alone(cls, random_state):
    if random_state == "instance":
        random_state = np.random.RandomState(0)  # consumed, as in scikit-learn
    est = make_estimator(cls, **PARAMS, random_state=random_state)
    X, y = make_data(est, n_samples=32)
    torch.manual_seed(7)
    np.random.seed(7)
    random.seed(7)
    before = (torch.get_rng_state(), np.random.get_state(), random.getstate())
    cuda_before = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    _fit(est, X, y)
    _outputs(est, X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.partial_fit(X, y)
    assert torch.equal(torch.get_rng_state(), before[0])
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), before[1]))
    assert random.getstate() == before[2]
    for a, b in zip(torch.cuda.get_rng_state_all() if cuda_before else [], cuda_before):
        assert torch.equal(a, b)


_CHILD = """
import json, sys, warnings
import numpy as np, torch
torch.set_num_threads(int(sys.argv[1]))
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[2])
from _public_estimators import ESTIMATORS, make_data, make_estimator
from test_reproducibility import PARAMS, _outputs
out = {}
for cls in ESTIMATORS:
    est = make_estimator(cls, **PARAMS, random_state=3)
    X, y = make_data(est, n_samples=64)
    out[cls.__name__] = _outputs(est.fit(X, y), X).tolist()
print(json.dumps(out))
"""


def test_same_seed_gives_identical_models_in_another_process():
    # Same thread count as here: a BLAS reduction split over other threads
    # may round differently in the last bit.
    tests_dir = str(Path(__file__).resolve().parent)
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(torch.get_num_threads()), tests_dir],
        capture_output=True, text=True, timeout=300, cwd=tests_dir,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    child = json.loads(proc.stdout.strip().splitlines()[-1])
    assert sorted(child) == sorted(c.__name__ for c in ESTIMATORS)
    for cls in ESTIMATORS:
        est = make_estimator(cls, **PARAMS, random_state=3)
        X, y = make_data(est, n_samples=64)
        # JSON carries floats exactly (shortest round-tripping repr)
        np.testing.assert_array_equal(np.array(child[cls.__name__]), _outputs(_fit(est, X, y), X))
