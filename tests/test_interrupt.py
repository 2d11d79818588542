"""Ctrl-C during fit leaves a usable estimator at the last completed epoch.

skorch catches the KeyboardInterrupt and ends training; the core's guard
then rolls the module, the optimizer and the shuffling generator back to the
end of the last completed epoch and drops the unfinished one from the
history. So the interrupted estimator equals one fitted for that many
epochs, bit for bit, and ``partial_fit`` / ``warm_start`` continue exactly
as they would have from there.
"""

import _thread
import threading
import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from sklearn.exceptions import ConvergenceWarning

from _public_estimators import ESTIMATORS, ids, make_data, make_estimator

# Minibatch training (L-BFGS has a single "epoch"), a constant rate (a
# schedule depends on max_iter, so the references below would differ) and
# no early stop: the only difference between runs is the interruption.
PARAMS = dict(solver="adam", learning_rate="constant", learning_rate_init=1e-2,
              batch_size=10, n_iter_no_change=1000)


class InterruptOnce(Callback):
    """Raise KeyboardInterrupt once: after batch ``batch`` of epoch ``epoch``,
    or at the end of epoch ``epoch`` when ``batch`` is None."""

    def __init__(self, epoch, batch=None):
        self.epoch, self.batch = epoch, batch

    def initialize(self):
        self.fired_ = False
        return self

    def on_batch_end(self, net, training=False, **kwargs):
        if (training and not self.fired_ and self.batch is not None
                and len(net.history) == self.epoch
                and len(net.history[-1]["batches"]) == self.batch):
            self.fired_ = True
            raise KeyboardInterrupt

    def on_epoch_end(self, net, **kwargs):
        if not self.fired_ and self.batch is None and len(net.history) == self.epoch:
            self.fired_ = True
            raise KeyboardInterrupt


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # few epochs on purpose
        return est.fit(X, y)


def _assert_same_model(a, b, X):
    for (name, p), q in zip(a.module_.state_dict().items(), b.module_.state_dict().values()):
        assert torch.equal(p, q), name
    assert a.loss_curve_ == b.loss_curve_
    assert a.n_iter_ == b.n_iter_ and len(a.history_) == len(b.history_)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


# (epoch, batch) of the interrupt -> epochs the estimator keeps
WHERE = [((3, 4), 2), ((1, 4), 0), ((2, None), 2)]


@pytest.mark.parametrize("where, kept", WHERE,
                         ids=["mid_epoch_3", "mid_epoch_1", "end_of_epoch_2"])
@pytest.mark.parametrize("cls", ESTIMATORS, ids=ids(ESTIMATORS))
def test_interrupted_fit_holds_the_last_completed_epoch_and_continues_exactly(cls, where, kept):
    interrupted = make_estimator(cls, **PARAMS, max_iter=5, callbacks=[InterruptOnce(*where)])
    X, y = make_data(interrupted, n_samples=100)  # 10 batches per epoch
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "maximum iterations" or divergence warning
        interrupted.fit(X, y)
    assert interrupted.n_iter_ == len(interrupted.history_) == kept
    for method in ("predict", "predict_proba", "decision_function"):
        if hasattr(interrupted, method):
            out = getattr(interrupted, method)(X)
            assert out.dtype.kind != "f" or np.isfinite(out).all()

    if kept:
        reference = _fit(make_estimator(cls, **PARAMS, max_iter=kept), X, y)
        _assert_same_model(interrupted, reference, X)
        # partial_fit continues from the same optimizer state and shuffling
        interrupted.partial_fit(X, y)
        reference.partial_fit(X, y)
        _assert_same_model(interrupted, reference, X)
        # and so does a warm-start fit
        for est in (interrupted, reference):
            _fit(est.set_params(warm_start=True, max_iter=2), X, y)
        _assert_same_model(interrupted, reference, X)
    else:  # nothing completed: still a usable model, and training goes on from it
        interrupted.partial_fit(X, y)
        assert interrupted.n_iter_ == 1 and np.isfinite(interrupted.loss_curve_).all()


class StartTimer(Callback):
    """Start a timer that interrupts the main thread, like Ctrl-C, mid-training."""

    def __init__(self, delay):
        self.delay = delay

    def on_train_begin(self, net, **kwargs):
        self.timer_ = threading.Timer(self.delay, _thread.interrupt_main)
        self.timer_.start()


def test_a_real_ctrl_c_at_an_arbitrary_point_of_training_is_handled_the_same_way():
    # _thread.interrupt_main raises KeyboardInterrupt in the main thread at
    # whatever bytecode it is running: inside a batch, a callback or a copy.
    cls = next(c for c in ESTIMATORS if c.__name__ == "MLPClassifier")
    est = make_estimator(cls, **PARAMS, max_iter=100_000, callbacks=[StartTimer(0.3)])
    X, y = make_data(est, n_samples=100)
    try:
        est.fit(X, y)
    except KeyboardInterrupt:  # landed outside skorch's loop: never seen in practice
        pytest.fail("the KeyboardInterrupt escaped fit")
    kept = est.n_iter_
    assert 0 < kept < 100_000 and len(est.history_) == kept
    reference = _fit(make_estimator(cls, **PARAMS, max_iter=kept), X, y)
    _assert_same_model(est, reference, X)
