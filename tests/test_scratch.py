"""Each from-scratch function equals the torch / scikit-learn operation it mirrors."""

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, log_loss
from torch import nn

from sklearn_dl import scratch


def test_synthetic_data_follows_the_linear_model():
    g = torch.Generator().manual_seed(0)
    w, b = torch.tensor([2, -3.4]), 4.2
    X, y = scratch.synthetic_data(w, b, 1000, generator=g)
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    residual = y.ravel() - (X @ w + b)
    # noise sd 0.01 (the seed's Day 1): the residual sd is 0.01 within sampling error
    assert abs(float(residual.std()) - 0.01) < 0.002


def test_data_iter_covers_every_row_once():
    X = torch.arange(25.0).reshape(-1, 1)
    y = torch.arange(25)
    batches = list(scratch.data_iter(10, X, y, generator=torch.Generator().manual_seed(1)))
    assert [len(b[0]) for b in batches] == [10, 10, 5]
    seen = torch.cat([b[1] for b in batches])
    assert sorted(seen.tolist()) == list(range(25))
    assert all(torch.equal(bx.ravel().long(), by) for bx, by in batches)


def test_linreg_and_squared_loss_match_nn_linear_and_mseloss():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(8, 3, generator=g)
    layer = nn.Linear(3, 1)
    w, b = layer.weight.detach().T, layer.bias.detach()
    torch.testing.assert_close(scratch.linreg(X, w, b), layer(X).detach())
    y = torch.randn(8, 1, generator=g)
    y_hat = layer(X).detach()
    torch.testing.assert_close(scratch.squared_loss(y_hat, y).mean() * 2,
                               nn.functional.mse_loss(y_hat, y))


def test_sgd_matches_torch_sgd_on_summed_loss():
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(10, 2, generator=g), torch.randn(10, 1, generator=g)
    w1 = torch.randn(2, 1, generator=g, requires_grad=True)
    w2 = w1.detach().clone().requires_grad_(True)
    scratch.squared_loss(X @ w1, y).sum().backward()
    scratch.sgd([w1], lr=0.03, batch_size=10)
    opt = torch.optim.SGD([w2], lr=0.03)
    scratch.squared_loss(X @ w2, y).mean().backward()
    opt.step()
    torch.testing.assert_close(w1, w2)
    assert torch.all(w1.grad == 0)


def test_softmax_matches_torch_and_is_stable_for_large_logits():
    X = torch.tensor([[1.0, 2.0, 3.0], [1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])
    p = scratch.softmax(X)
    assert torch.isfinite(p).all()
    torch.testing.assert_close(p, torch.softmax(X, dim=1))
    torch.testing.assert_close(p.sum(1), torch.ones(3))


def test_cross_entropy_matches_torch_and_sklearn():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 4, generator=g)
    y = torch.tensor([0, 3, 1, 2, 2, 0])
    ce = scratch.cross_entropy(scratch.softmax(logits), y)
    torch.testing.assert_close(ce.mean(), nn.functional.cross_entropy(logits, y))
    sk = log_loss(y.numpy(), torch.softmax(logits, 1).numpy(), labels=range(4))
    assert ce.mean().item() == pytest.approx(sk, rel=1e-5)


def test_accuracy_counts_like_sklearn():
    scores = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    y = torch.tensor([1, 1, 1, 0])
    assert scratch.accuracy(scores, y) == 3
    assert scratch.accuracy(scores, y) / len(y) == accuracy_score(y, scores.argmax(1))


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 1.0])
def test_dropout_layer_keeps_the_expectation_like_nn_dropout(p):
    X = torch.ones(200, 500)
    out = scratch.dropout_layer(X, p, generator=torch.Generator().manual_seed(0))
    zeros = float((out == 0).float().mean())
    assert zeros == pytest.approx(p, abs=0.01)
    if p < 1:
        # surviving units are scaled by 1/(1-p), like nn.Dropout in training mode
        assert torch.allclose(out[out != 0], torch.tensor(1 / (1 - p)))
        ref = nn.Dropout(p).train()(X)
        assert float(out.mean()) == pytest.approx(float(ref.mean()), abs=0.02)


def test_dropout_layer_draws_its_mask_where_the_input_is():
    # 'meta' tensors stand in for a GPU here: the mask used to be drawn on the
    # CPU whatever X's device, and the product with X failed
    X = torch.ones(4, 3, device="meta")
    assert scratch.dropout_layer(X, 0.5).device == X.device
    # a CPU generator still drives the mask (drawn on the CPU, then moved)
    assert scratch.dropout_layer(X, 0.5, generator=torch.Generator()).device == X.device


def test_dropout_layer_rejects_bad_probability():
    with pytest.raises(ValueError, match="dropout must be in"):
        scratch.dropout_layer(torch.ones(2), 1.5)


def test_penalties_match_torch_norms():
    w = torch.tensor([3.0, -4.0])
    assert scratch.l2_penalty(w).item() == pytest.approx(torch.linalg.vector_norm(w).item() ** 2 / 2)
    assert scratch.l1_penalty(w).item() == pytest.approx(np.abs(w.numpy()).sum())
