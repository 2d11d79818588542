"""The ``device`` parameter: every spelling torch accepts works or gets a clear error.

``torch.device`` parses many spellings (``'cuda:0'``, ``torch.device('cuda')``,
``'mps'``, ``'meta'``, ``'xpu'``, ...) without checking that the device
exists; training on a missing one then fails deep inside torch with an
``AssertionError`` ("Torch not compiled with CUDA enabled") or a raw
``RuntimeError``. :func:`resolve_device` checks first and raises a
``ValueError`` that lists the devices this machine has.
"""

from __future__ import annotations

import torch

__all__ = ["available_devices", "resolve_device"]


def _backend_available(kind):
    """Whether torch says the accelerator ``kind`` ('mps', 'xpu', ...) is usable."""
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        mps = getattr(torch.backends, "mps", None)
        return bool(mps is not None and mps.is_available())
    is_available = getattr(getattr(torch, kind, None), "is_available", None)
    try:
        return bool(is_available()) if callable(is_available) else False
    except Exception:  # a half-installed backend: treat as missing
        return False


def available_devices():
    """Device strings usable here: 'auto', 'cpu', and each accelerator torch finds."""
    found = ["auto", "cpu"]
    if _backend_available("cuda"):
        found += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    for kind in ("mps", "xpu"):
        if _backend_available(kind):
            found.append(kind)
    return found


def _unavailable(device, why):
    return ValueError(
        f"device={device!r} {why}. Devices available here: "
        f"{', '.join(repr(d) for d in available_devices())} (torch {torch.__version__}; "
        "a '+cpu' build sees no GPU). Use device='auto' to take a GPU when there is one.")


def resolve_device(device):
    """The ``torch.device`` for the ``device`` parameter, or a ValueError naming what exists.

    Parameters
    ----------
    device : str or torch.device
        ``'auto'`` (CUDA when available, else the CPU), or anything
        ``torch.device`` accepts.

    Returns
    -------
    torch.device
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = device if isinstance(device, torch.device) else torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise _unavailable(device, f"is not a device torch knows ({exc})") from None
    kind = dev.type
    if kind == "cpu":
        return dev
    if kind == "meta":
        raise _unavailable(device, "holds shapes but no data, so a model cannot train or "
                                   "predict on it")
    if not _backend_available(kind):
        what = ("was requested but torch.cuda.is_available() is False" if kind == "cuda"
                else f"was requested but torch finds no usable {kind!r} device")
        raise _unavailable(device, what)
    if kind == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise _unavailable(device, f"names GPU {dev.index}, but torch sees "
                                   f"{torch.cuda.device_count()}")
    return dev
