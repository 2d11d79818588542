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

import math
import threading
import weakref

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


class pinned_threads:
    """Run the block on 1 intra-op thread for small CPU work, else on the user's count.

    A class rather than a generator context manager, and no lock when the
    calling thread already has the count it needs: a single-row predict
    pays for this on every call.
    """

    __slots__ = ("small", "user")

    def __init__(self, module, rows, device):
        cpu = device.type == "cpu" if isinstance(device, torch.device) \
            else torch.device(device).type == "cpu"
        self.small = None if not cpu else rows * _weights(module) < SMALL_WORK

    def __enter__(self):
        small = self.small
        if small is None:
            return self
        current = torch.get_num_threads()
        if small and current == 1:
            self.small = None  # nothing to set, nothing to put back
            return self
        with _lock:
            user = _user_threads()
            if small:
                if _state["small"] == 0:
                    _state["user"] = user
                _state["small"] += 1
        self.user = user
        target = 1 if small else user
        if current != target:
            torch.set_num_threads(target)
        return self

    def __exit__(self, *exc):
        if self.small:
            with _lock:
                _state["small"] -= 1
            if torch.get_num_threads() != self.user:
                torch.set_num_threads(self.user)
        return False


_weights_cache = weakref.WeakKeyDictionary()


def _weights(module):
    """:func:`linear_weights`, cached per module object (its layers are fixed after fit)."""
    try:
        return _weights_cache[module]
    except (KeyError, TypeError):
        pass
    total = linear_weights(module)
    try:
        _weights_cache[module] = total
    except TypeError:  # not weak-referenceable
        pass
    return total


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
