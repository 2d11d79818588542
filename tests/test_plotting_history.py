"""plot_history through pipelines, the one restored epoch, integer epoch ticks (issue 18, item 6)."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.datasets import load_digits, load_iris  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import Ridge  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_dl import MLPClassifier, SoftmaxClassifier  # noqa: E402
from sklearn_dl import plotting  # noqa: E402
from sklearn_dl.plotting import LivePlot, plot_history  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _labels(ax):
    return [line.get_label() for line in ax.get_lines()]


def _marks(fig):
    """The x positions of the vertical 'restored best epoch' lines, per panel."""
    return [[line.get_xdata()[0] for line in ax.get_lines()
             if line.get_label().startswith("restored best epoch")] for ax in fig.axes]


def _integer_ticks(ax):
    ticks = ax.get_xticks()
    return len(ticks) > 0 and np.array_equal(ticks, np.round(ticks))


@pytest.fixture(scope="module")
def early_stopped():
    """An MLP whose lowest validation loss (epoch 6) is not its best validation
    accuracy (epoch 8), the epoch early stopping restores (found with this seed;
    re-found after the MLPs moved to scikit-learn's initial weights, where seed 0
    has both at epoch 18)."""
    X, y = load_digits(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=40, early_stopping=True,
                            n_iter_no_change=4, learning_rate_init=0.05, random_state=1)
        return clf.fit(X / 16, y)


def test_only_the_restored_epoch_is_marked(early_stopped):
    history = early_stopped.history_
    best_loss_epoch = history[int(np.argmin(history[:, "valid_loss"]))]["epoch"]
    best_score_epoch = int(np.argmax(early_stopped.validation_scores_)) + 1
    assert best_loss_epoch != best_score_epoch      # the case that drew two marks
    fig = plot_history(early_stopped)
    # one mark in each panel, at the same epoch: the best validation score,
    # which early stopping monitors and restores
    assert _marks(fig) == [[best_score_epoch], [best_score_epoch]]
    assert f"restored best epoch ({best_score_epoch})" in _labels(fig.axes[1])
    assert all(_integer_ticks(ax) for ax in fig.axes)


def test_a_bare_history_has_no_restored_epoch_to_mark(early_stopped):
    fig = plot_history(early_stopped.history_)
    assert _marks(fig) == [[], []]


def test_without_early_stopping_nothing_is_marked():
    X, y = load_iris(return_X_y=True)
    clf = SoftmaxClassifier(max_iter=4, random_state=0).fit(X, y)
    fig = plot_history(clf)
    assert _marks(fig) == [[]]
    assert _integer_ticks(fig.axes[0])


def test_pipeline_and_search_are_read_through_their_final_estimator():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(),
                         SoftmaxClassifier(max_iter=5, early_stopping=True, random_state=0))
    pipe.fit(X, y)
    clf = pipe[-1]
    fig = plot_history(pipe)
    assert fig.get_suptitle() == "SoftmaxClassifier"
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    np.testing.assert_allclose(lines["train_loss"].get_ydata(), clf.history_[:, "train_loss"])
    assert _marks(fig) == _marks(plot_history(clf))

    search = GridSearchCV(pipe, {"softmaxclassifier__alpha": [0.0, 1e-3]}, cv=2).fit(X, y)
    fig = plot_history(search)
    best = search.best_estimator_[-1]
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    np.testing.assert_allclose(lines["train_loss"].get_ydata(), best.history_[:, "train_loss"])


def test_unfitted_or_historyless_pipelines_say_what_is_wrong():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(TypeError, match="Fit the estimator first|fit it first"):
        plot_history(make_pipeline(StandardScaler(), SoftmaxClassifier()))
    ridge = make_pipeline(StandardScaler(), Ridge()).fit(X, y)
    with pytest.raises(TypeError, match="final estimator, Ridge, has no training history"):
        plot_history(ridge)


def test_live_plot_shows_integer_epoch_ticks(monkeypatch):
    shown = []
    monkeypatch.setattr(plotting, "_display_tools",
                        lambda: (shown.append, lambda wait=False: None))
    X, y = load_iris(return_X_y=True)
    SoftmaxClassifier(max_iter=3, random_state=0,
                      callbacks=[LivePlot(mode="notebook")]).fit(X, y)
    assert [fig.get_suptitle() for fig in shown] == ["epoch 1", "epoch 2", "epoch 3"]
    for fig in shown:
        fig.canvas.draw()
        assert all(_integer_ticks(ax) for ax in fig.axes), [ax.get_xticks() for ax in fig.axes]
