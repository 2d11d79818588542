import os

# scikit-learn's array-API estimator check only runs when SciPy's array API
# support is switched on before SciPy is imported; without it the check is
# skipped, and we want every estimator check to run.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import pytest  # noqa: E402
import torch  # noqa: E402

# Under pytest-xdist each worker gets one thread: two workers on two cores
# would otherwise oversubscribe the CPU and slow every test down.
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _matplotlib_agg(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")


# Real data sets (tests/_data.py): a folder with the published files, or a
# skip saying how to provide them; in CI a failure instead of the skip.
@pytest.fixture(scope="session")
def house_prices_dir():
    from _data import require

    return require("house-prices")


@pytest.fixture(scope="session")
def fashion_mnist_dir():
    from _data import require

    return require("fashion-mnist")
