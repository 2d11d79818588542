"""The per-epoch progress bar of ``verbose=2``, which never stops a fit.

skorch's :class:`~skorch.callbacks.ProgressBar` draws a tqdm widget in a
Jupyter kernel, and tqdm's widget raises ``ImportError: IProgress not found``
when ipywidgets is missing or too old: ``fit`` would die at its first epoch.
Here the widget is used only when it can be built; otherwise the bar is
tqdm's text bar (what ``tqdm.auto`` falls back to), with a one-time warning
naming the extra that brings the widget.
"""

from __future__ import annotations

import warnings

from skorch.callbacks import ProgressBar as _SkorchProgressBar

WIDGET_HINT = (
    "The progress bar (verbose=2) is drawn as text: the notebook widget needs "
    "ipywidgets, which is not installed or not working. Install it with "
    "`pip install 'sklearn-dl[notebook]'` (or `pip install ipywidgets`) and restart "
    "the kernel to get the widget bar.")

_warned = False


def widgets_available():
    """Whether tqdm can draw its notebook widget (ipywidgets importable)."""
    try:
        from tqdm.notebook import IProgress
    except Exception:  # tqdm.notebook itself failing to import: no widget either
        return False
    return IProgress is not None


def _warn_once():
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(WIDGET_HINT, UserWarning, stacklevel=3)


class ProgressBar(_SkorchProgressBar):
    """skorch's progress bar, falling back to a text bar when no widget can be drawn."""

    def initialize(self):
        super().initialize()
        self.text_only_ = False
        return self

    def _use_notebook(self):
        if getattr(self, "text_only_", False) or not super()._use_notebook():
            return False
        if widgets_available():
            return True
        _warn_once()
        return False

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        try:
            super().on_epoch_begin(net, dataset_train=dataset_train,
                                   dataset_valid=dataset_valid, **kwargs)
        except ImportError:
            if not self._use_notebook():
                raise
            # ipywidgets imported but the widget could not be built (an old or
            # broken install): text bars for the rest of this fit
            _warn_once()
            self.text_only_ = True
            super().on_epoch_begin(net, dataset_train=dataset_train,
                                   dataset_valid=dataset_valid, **kwargs)
