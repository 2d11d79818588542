"""Intra-op threads for small models, safe when fits run in threads.

Below :data:`SMALL_WORK` multiply-adds per forward pass (rows x weights of an
all-Linear module), training and predict run on one intra-op thread: threads
cannot split such small ops profitably, and on shared cores torch's OpenMP
threads wait for each other at every op (benchmarks/NOTES.md).

``torch.set_num_threads`` sets the calling thread's OpenMP and MKL thread
count, and a process-wide default that a thread adopts when it first uses
torch. The thread count can change a matmul's last bits (an 8 x 784 by
784 x 256 product differs between 1 and 2 threads here), so a fit's result
must not depend on which thread runs it or on what runs beside it. Each
call therefore pins *its own thread*: small work to 1 thread, other work to
the user's count (what ``torch.get_num_threads()`` said outside any small
fit), and puts the user's count back afterwards. A reference count under a
lock tells which value is the user's while small fits overlap.
"""

from __future__ import annotations

import contextlib
import math
import threading

import torch

__all__ = ["SMALL_WORK", "pinned_threads"]

SMALL_WORK = 4_000_000
_lock = threading.Lock()
_state = {"small": 0, "user": None}


def _user_threads():
    """The thread count the user set; call with the lock held."""
    if _state["small"] == 0:
        return torch.get_num_threads()
    return _state["user"]


@contextlib.contextmanager
def pinned_threads(module, rows, device):
    """Run the block on 1 intra-op thread for small CPU work, else on the user's count."""
    if torch.device(device).type != "cpu":
        yield
        return
    small = rows * linear_weights(module) < SMALL_WORK
    with _lock:
        user = _user_threads()
        if small:
            if _state["small"] == 0:
                _state["user"] = user
            _state["small"] += 1
    target = 1 if small else user
    if torch.get_num_threads() != target:
        torch.set_num_threads(target)
    try:
        yield
    finally:
        if small:
            with _lock:
                _state["small"] -= 1
            if torch.get_num_threads() != user:
                torch.set_num_threads(user)


def linear_weights(module):
    """Multiply-adds per row of a module whose only parameters are nn.Linear's.

    Infinite for anything else (a convolution reuses its weights at every
    position, so its parameter count says nothing about its work).
    """
    total = 0
    for m in module.modules():
        params = list(m.parameters(recurse=False))
        if not params:
            continue
        if not isinstance(m, torch.nn.Linear):
            return math.inf
        total += m.weight.numel()
    return total
