import os

import pytest
import torch

# Under pytest-xdist each worker gets one thread: two workers on two cores
# would otherwise oversubscribe the CPU and slow every test down.
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _matplotlib_agg(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
