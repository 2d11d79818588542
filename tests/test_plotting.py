"""Figures: content checks on the Agg backend (axes, titles, colours, data)."""

import sys
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import same_color  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from sklearn_dl import SoftmaxClassifier  # noqa: E402
from sklearn_dl import plotting  # noqa: E402
from sklearn_dl.plotting import (  # noqa: E402
    MISTAKE_COLOR,
    LivePlot,
    plot_activations,
    plot_history,
    show_images,
)

NAMES = ["cat", "dog", "bird"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fitted():
    """A softmax model on iris with early stopping: history has validation columns."""
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return SoftmaxClassifier(max_iter=6, early_stopping=True, n_iter_no_change=20,
                                 random_state=0).fit(X, y)


# ---------------------------------------------------------------------------
# show_images
# ---------------------------------------------------------------------------
def test_show_images_titles_true_over_predicted_and_marks_mistakes():
    images = np.random.RandomState(0).rand(7, 28, 28)
    labels = [0, 1, 2, 0, 1, 2, 0]
    preds = [0, 2, 2, 0, 0, 2, 0]
    fig = show_images(images, labels, preds, class_names=NAMES, ncols=3)
    axes = fig.axes
    assert len(axes) == 7                                 # the 2 unused grid cells are removed
    assert [ax.get_title() for ax in axes[:3]] == ["cat\ncat", "dog\nbird", "bird\nbird"]
    wrong = [i for i, ax in enumerate(axes) if same_color(ax.title.get_color(), MISTAKE_COLOR)]
    assert wrong == [1, 4]
    assert "2 of 7 wrong" in fig.get_suptitle()
    # the pixels shown are the images given
    np.testing.assert_array_equal(axes[5].images[0].get_array(), images[5])


def test_show_images_accepts_flat_rows_tensors_and_label_only():
    flat = np.arange(4 * 784, dtype=np.float32).reshape(4, 784) / 3136
    fig = show_images(flat, labels=np.array([2, 1, 0, 2]), class_names=NAMES)
    assert [ax.get_title() for ax in fig.axes] == ["bird", "dog", "cat", "bird"]
    assert fig.axes[0].images[0].get_array().shape == (28, 28)
    fig = show_images(torch.zeros(2, 1, 8, 8))           # torch (n, C, H, W), no titles
    assert len(fig.axes) == 2 and fig.axes[0].get_title() == ""
    # string labels need no class_names
    fig = show_images(np.zeros((2, 5, 5)), labels=["a", "b"], predictions=["a", "c"])
    assert fig.axes[1].get_title() == "b\nc"


def test_show_images_rejects_bad_input():
    with pytest.raises(ValueError, match="square number of pixels"):
        show_images(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="labels has 3 entries but there are 2 images"):
        show_images(np.zeros((2, 4, 4)), labels=[0, 1, 2])


@pytest.mark.usefixtures("fashion_mnist_dir")
def test_fashion_mnist_grid_shows_day3_ankle_boot():
    from sklearn_dl.datasets import load_fashion_mnist

    train = load_fashion_mnist("train", download=False)
    fig = show_images(train.images[:10], train.target[:10], class_names=train.target_names,
                      ncols=5)
    assert len(fig.axes) == 10 and fig.axes[0].get_title() == "Ankle boot"


# ---------------------------------------------------------------------------
# plot_history and LivePlot
# ---------------------------------------------------------------------------
def test_plot_history_draws_losses_and_scores_per_epoch(fitted):
    fig = plot_history(fitted)
    loss_ax, score_ax = fig.axes
    assert (loss_ax.get_title(), score_ax.get_title()) == ("loss", "score")
    assert fig.get_suptitle() == "SoftmaxClassifier"
    lines = {line.get_label(): line for line in loss_ax.get_lines()}
    np.testing.assert_allclose(lines["train_loss"].get_ydata(), fitted.history_[:, "train_loss"])
    np.testing.assert_array_equal(lines["train_loss"].get_xdata(), np.arange(1, 7))
    assert "valid_loss" in lines
    scores = {line.get_label(): line for line in score_ax.get_lines()}
    np.testing.assert_allclose(scores["valid_score"].get_ydata(), fitted.validation_scores_)
    best = [k for k in scores if k.startswith("restored best epoch")]
    assert len(best) == 1                                 # the restored best epoch is marked


def test_plot_history_without_validation_has_one_panel():
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = SoftmaxClassifier(max_iter=3, random_state=0).fit(X, y)
    fig = plot_history(clf.history_, title="iris")
    assert [ax.get_title() for ax in fig.axes] == ["loss"]
    assert fig.get_suptitle() == "iris"
    with pytest.raises(TypeError, match="history_"):
        plot_history(object())


def test_live_plot_prints_a_line_per_epoch_in_a_terminal():
    X, y = load_iris(return_X_y=True)
    lines = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        SoftmaxClassifier(max_iter=4, random_state=0, early_stopping=True,
                          callbacks=[LivePlot(mode="text", sink=lines.append)]).fit(X, y)
    assert [line.split("  ")[0] for line in lines] == ["epoch 1", "epoch 2", "epoch 3", "epoch 4"]
    assert all("train_loss" in line and "valid_score" in line for line in lines)
    assert lines[-1].split("  ")[-1][0] in plotting._SPARKS   # loss sparkline


def test_live_plot_redraws_in_a_notebook(monkeypatch):
    shown, cleared = [], []
    monkeypatch.setattr(plotting, "_display_tools",
                        lambda: (shown.append, lambda wait=False: cleared.append(wait)))
    monkeypatch.setattr(plotting, "_in_notebook", lambda: True)
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        SoftmaxClassifier(max_iter=5, random_state=0,
                          callbacks=[LivePlot(every=2)]).fit(X, y)
    # epochs 2 and 4, then the last one at the end of training
    assert [fig.get_suptitle() for fig in shown] == ["epoch 2", "epoch 4", "epoch 5"]
    assert cleared == [True] * 3
    n_lines = [len(fig.axes[0].get_lines()) for fig in shown]
    assert n_lines == [1, 1, 1] and len(shown[-1].axes[0].get_lines()[0].get_xdata()) == 5
    assert plt.get_fignums() == []                         # closed: not drawn twice


def test_live_plot_rejects_bad_mode():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="mode must be"):
        SoftmaxClassifier(max_iter=1, callbacks=[LivePlot(mode="gui")]).fit(X, y)


# ---------------------------------------------------------------------------
# plot_activations
# ---------------------------------------------------------------------------
def test_plot_activations_draws_function_and_autograd_derivative():
    fig = plot_activations(["relu", "sigmoid", "tanh", "gelu"])
    assert [ax.get_title() for ax in fig.axes] == ["relu", "sigmoid", "tanh", "gelu"]
    relu, sigmoid, tanh, _ = ([line.get_ydata() for line in ax.get_lines()[:2]] for ax in fig.axes)
    x = fig.axes[0].get_lines()[0].get_xdata()
    np.testing.assert_allclose(relu[0], np.maximum(x, 0))
    np.testing.assert_array_equal(relu[1], (x > 0).astype(float))
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(sigmoid[1], s * (1 - s), atol=1e-12)
    np.testing.assert_allclose(tanh[1], 1 - np.tanh(x) ** 2, atol=1e-12)
    # sigmoid's gradient is at most 1/4 (vanishing gradients), ReLU's is 1 for x > 0
    assert sigmoid[1].max() == pytest.approx(0.25, abs=1e-4)


def test_plot_activations_accepts_callables_and_grids():
    fig = plot_activations([torch.nn.ReLU(), "elu", "silu"], x=[-1.0, 0.5, 2.0], ncols=2)
    assert [ax.get_title() for ax in fig.axes] == ["ReLU", "elu", "silu"]
    assert fig.axes[0].get_subplotspec().get_geometry()[:2] == (2, 2)
    with pytest.raises(ValueError, match="Unknown activation 'swish2'"):
        plot_activations(["swish2"])


def test_missing_matplotlib_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"sklearn-dl\[plot\]"):
        plot_activations(["relu"])
