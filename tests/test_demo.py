"""The demo's main job, on a slice of Fashion-MNIST (the full run is `sklearn-dl demo`)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import pytest  # noqa: E402

from sklearn_dl import demo  # noqa: E402


@pytest.mark.usefixtures("fashion_mnist_dir")
def test_demo_trains_both_models_reports_accuracy_and_saves_predictions(tmp_path, capsys):
    png = tmp_path / "pred.png"
    assert demo.main(["--n-train", "600", "--epochs", "2", "--output", str(png)]) == 0
    out = capsys.readouterr().out
    assert "600 training and 10000 test images" in out
    for name in ("SoftmaxClassifier", "MLPClassifier"):
        line = next(ln for ln in out.splitlines() if ln.startswith(f"{name}: test accuracy"))
        # 2 epochs (6 Adam steps) on 600 images, random_state=0: measured 0.55
        # (softmax) and 0.61 (MLP); chance is 0.1
        assert float(line.split()[3]) > 0.35
        assert f"| {name} | 2 |" in out
    assert "Iteration 1, loss = " in out  # per-epoch progress, scikit-learn's lines
    image = mpimg.imread(png)
    # the 2 x 9 prediction grid: show_images' 1.5 in per image plus 0.3 in per title
    # line (true, predicted), saved at 100 dpi: 9 * 1.5 in wide, 2 * (1.5 + 0.6) in high
    assert image.shape[:2] == (420, 1350)

