"""Torch building blocks (sklearn_dl.modules) and initialisation schemes (issue 3).

The seed's Day 13 blocks with their reported output shapes, and Day 14's
parameter management: the seed's init functions applied through ``init=``,
per-layer schemes, named schemes, and tied layers.
"""

import copy

import numpy as np
import pytest
import torch
from torch import nn

from sklearn_dl import TorchRegressor
from sklearn_dl.init import INIT_SCHEMES, apply_init
from sklearn_dl.modules import (
    ACTIVATIONS,
    MLP,
    FixedHiddenMLP,
    MySequential,
    NestMLP,
    chimera,
    tied_mlp,
)


# -- the seed's init functions (Day 14), verbatim apart from names -----------
def init_normal(m):
    if type(m) is nn.Linear:
        nn.init.normal_(m.weight, mean=0, std=0.01)
        nn.init.zeros_(m.bias)


def init_constant(m):
    if type(m) is nn.Linear:
        nn.init.constant_(m.weight, 1)
        nn.init.zeros_(m.bias)


def xavier(m):
    if type(m) is nn.Linear:
        nn.init.xavier_uniform_(m.weight)


def init_42(m):
    if type(m) is nn.Linear:
        nn.init.constant_(m.weight, 42)


def my_init(m):
    if type(m) is nn.Linear:
        nn.init.uniform_(m.weight, -10, 10)
        m.weight.data *= m.weight.data.abs() >= 5


@pytest.fixture
def X2():
    torch.manual_seed(0)
    return torch.rand(2, 20)


# -- MLP ------------------------------------------------------------------------
def test_mlp_layers_are_named_and_dropout_only_where_positive():
    net = MLP(784, 10, hidden_layer_sizes=(256, 128, 64), activation="tanh",
              dropout=(0.2, 0.0, 0.5))
    assert [n for n, _ in net.named_children()] == [
        "linear1", "act1", "dropout1", "linear2", "act2", "linear3", "act3", "dropout3",
        "output"]
    assert net.dropout1.p == 0.2 and net.dropout3.p == 0.5
    assert [(lin.in_features, lin.out_features) for lin in net.linears] == [
        (784, 256), (256, 128), (128, 64), (64, 10)]
    assert list(net.state_dict())[:2] == ["linear1.weight", "linear1.bias"]
    assert all(isinstance(net.get_submodule(f"act{i}"), nn.Tanh) for i in (1, 2, 3))


@pytest.mark.parametrize("name, cls", [("identity", nn.Identity), ("logistic", nn.Sigmoid),
                                       ("sigmoid", nn.Sigmoid), ("tanh", nn.Tanh),
                                       ("relu", nn.ReLU), ("gelu", nn.GELU)])
def test_mlp_activation_names(name, cls):
    assert isinstance(MLP(3, 2, (4,), activation=name).act1, cls)


def test_mlp_hidden_layer_sizes_follow_sklearn_rules():
    assert [lin.out_features for lin in MLP(3, 2, 7).linears] == [7, 2]  # an int: one layer
    linear = MLP(3, 2, ())  # no hidden layer: a linear model
    assert len(linear.linears) == 1 and linear.linears[0].in_features == 3
    for bad in [(0,), (5, -1), (2.5,)]:
        with pytest.raises(ValueError, match="positive integers"):
            MLP(3, 2, bad)


def test_mlp_bad_dropout_and_activation_are_named():
    with pytest.raises(ValueError, match="one probability per hidden layer"):
        MLP(3, 2, (4, 4), dropout=(0.1, 0.2, 0.3))
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        MLP(3, 2, (4,), dropout=1.0)
    with pytest.raises(ValueError, match="activation='swish' is unknown"):
        MLP(3, 2, (4,), activation="swish")
    assert set(ACTIVATIONS) >= {"identity", "logistic", "sigmoid", "tanh", "relu", "gelu"}


def test_mlp_dropout_is_active_in_training_mode_only():
    torch.manual_seed(0)
    net = MLP(20, 3, (64,), dropout=0.5)
    X = torch.rand(8, 20)
    net.train()
    assert not torch.equal(net(X), net(X))  # a fresh mask per pass
    net.eval()
    assert torch.equal(net(X), net(X))
    # in eval mode dropout is the identity: same as the network without it
    plain = MLP(20, 3, (64,))
    plain.load_state_dict(net.state_dict())
    assert torch.equal(plain.eval()(X), net(X))


# -- the seed's blocks (Day 13): output shapes as the seed reports them -----
def test_seed_blocks_output_shapes(X2):
    assert nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))(X2).shape == (2, 10)
    assert MLP(20, 10, (256,))(X2).shape == (2, 10)  # the seed's hand-written MLP
    assert MySequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))(X2).shape == (2, 10)
    assert NestMLP()(X2).shape == (2, 16)
    # the seed's FixedHiddenMLP and chimera return a scalar for the batch; ours one per row
    assert FixedHiddenMLP()(X2).shape == (2, 1)
    assert chimera()(X2).shape == (2, 1)


def test_my_sequential_registers_its_blocks():
    net = MySequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert sum(p.numel() for p in net.parameters()) == 20 * 256 + 256 + 256 * 10 + 10


def test_fixed_hidden_mlp_constant_weight_is_a_buffer_and_rows_are_independent():
    torch.manual_seed(0)
    net = FixedHiddenMLP()
    assert "rand_weight" in dict(net.named_buffers())
    assert "rand_weight" not in dict(net.named_parameters())
    X = torch.rand(16, 20) * 10
    out = net(X)
    assert bool((out.abs() <= 1).all())  # the seed's halving loop bounds each row
    # a row's output does not depend on the rows around it (the seed's version did)
    alone = torch.cat([net(X[i:i + 1]) for i in range(len(X))])
    torch.testing.assert_close(alone, out)
    # the layer used twice gets the gradient of both uses on one tensor
    out.sum().backward()
    assert net.linear.weight.grad is not None
    assert [n for n, _ in net.named_parameters()] == ["linear.weight", "linear.bias"]


def test_fixed_hidden_mlp_stops_on_infinite_input():
    out = FixedHiddenMLP()(torch.full((1, 20), float("inf")))
    assert out.shape == (1, 1)  # returns instead of halving inf forever


def test_nest_mlp_defaults_are_the_seeds_widths_and_hidden_is_tunable():
    net = NestMLP()
    assert [m.out_features for m in net.modules() if isinstance(m, nn.Linear)] == [64, 32, 16]
    wide = NestMLP(n_features=64, n_outputs=10, hidden=128)
    assert [m.out_features for m in wide.modules() if isinstance(m, nn.Linear)] == [128, 64, 10]
    with pytest.raises(ValueError, match="hidden must be at least 2"):
        NestMLP(hidden=1)


# -- Day 14: parameter management ------------------------------------------------
@torch.no_grad()  # reading parameters as numbers
def test_tied_layer_is_one_object_and_edits_show_in_both_uses():
    net = tied_mlp()
    assert net[2] is net[4] and net[2].weight is net[4].weight
    with torch.no_grad():
        net[2].weight[0, 0] = 100
    assert net[4].weight[0, 0] == 100  # the seed's check
    # copies keep the sharing (clone and the estimators deep-copy modules)
    twin = copy.deepcopy(net)
    assert twin[2].weight is twin[4].weight and twin[2].weight is not net[2].weight
    # counted once by parameters(): one tensor, one optimizer entry
    assert len(list(net.parameters())) == 6


@pytest.mark.filterwarnings("ignore:Stochastic optimizer:sklearn.exceptions.ConvergenceWarning")
def test_nested_blocks_are_trained_and_reached_by_name():
    # the seed's Day 14 rgnet: four block1's inside block2, then a linear output
    def block1():
        return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())

    torch.manual_seed(0)
    rgnet = nn.Sequential(nn.Sequential(*[block1() for _ in range(4)]), nn.Linear(4, 1))
    before = copy.deepcopy(rgnet.state_dict())
    rng = np.random.RandomState(0)
    X = rng.normal(size=(64, 4)).astype(np.float32)
    y = X @ np.array([1.0, -2.0, 0.5, 0.0], dtype=np.float32)
    # init names the nested block "0" (block2): He init, zero biases, on its 8 layers
    # only; He init keeps this deep, narrow ReLU stack alive (torch's default left
    # 0.0.* without gradient at this seed)
    reg = TorchRegressor(rgnet, init={"0": "kaiming"}, solver="sgd", learning_rate_init=0.01,
                         max_iter=3, n_iter_no_change=np.inf, random_state=0).fit(X, y)
    # the fitted module keeps the nested names (the seed's rgnet[0][1][0].bias)
    names = [n for n, _ in reg.module_.named_parameters()]
    assert names == list(before) and len(names) == 4 * 4 + 2
    assert names[0] == "0.0.0.weight" and names[-1] == "1.bias"
    after = reg.module_.state_dict()
    # the nested biases started at 0, not torch's U(-0.5, 0.5): after 3 epochs at
    # lr 0.01 they are still small (measured max 0.032); before: up to 0.5
    nested_biases = [k for k in names if k.startswith("0.") and k.endswith("bias")]
    assert len(nested_biases) == 8
    assert max(float(before[k].abs().max()) for k in nested_biases) > 0.1
    assert max(float(after[k].abs().max()) for k in nested_biases) < 0.1
    # every parameter, two blocks deep included, was handed to the optimizer and moved
    assert all(not torch.equal(after[k], before[k]) for k in names)
    # the instance passed in is copied, never trained in place
    assert all(torch.equal(rgnet.state_dict()[k], before[k]) for k in names)


@torch.no_grad()  # reading parameters as numbers
def test_seed_init_functions():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    apply_init(net, init_normal)
    # 32 draws: a sample std's relative standard error is about 1/sqrt(2 * 32) = 0.125;
    # rel=0.5 is 4 of those (measured 0.0117, +17%, at manual_seed(0))
    assert net[0].weight.std().item() == pytest.approx(0.01, rel=0.5)
    assert float(net[0].bias.abs().sum()) == 0.0
    apply_init(net, init_constant)
    assert bool((net[0].weight == 1).all()) and bool((net[2].weight == 1).all())
    # xavier on one layer, init_42 on another: a dict keyed by submodule name
    apply_init(net, {"0": xavier, "2": init_42})
    bound = np.sqrt(6 / (4 + 8))  # Glorot uniform's bound
    assert float(net[0].weight.abs().max()) <= bound and not bool((net[0].weight == 1).all())
    assert bool((net[2].weight == 42).all())
    apply_init(net, my_init)
    w = net[0].weight
    assert bool(((w == 0) | ((w.abs() >= 5) & (w.abs() <= 10))).all())


@torch.no_grad()  # reading parameters as numbers
def test_named_init_schemes():
    torch.manual_seed(0)
    net = MLP(200, 100, (300,))
    apply_init(net, "normal")  # the seed's N(0, 0.01^2), biases 0
    # 300 x 200 = 60,000 draws: relative standard error of the sample std about
    # 1/sqrt(2 * 60,000) = 0.003; rel=0.015 is 5 of those (measured within 1e-5 at seed 0)
    assert net.linear1.weight.std().item() == pytest.approx(0.01, rel=0.015)
    assert float(net.linear1.bias.abs().sum()) == 0.0
    apply_init(net, "constant")
    assert bool((net.output.weight == 1).all())
    apply_init(net, "xavier")
    assert float(net.linear1.weight.abs().max()) <= np.sqrt(6 / 500)
    apply_init(net, "kaiming")  # He normal: std sqrt(2 / fan_in)
    # same 60,000 draws, same 5 standard errors (measured +0.05% at seed 0)
    assert net.linear1.weight.std().item() == pytest.approx(np.sqrt(2 / 200), rel=0.015)
    apply_init(net, "zeros")
    assert float(net.output.weight.abs().sum()) == 0.0
    before = copy.deepcopy(net.state_dict())
    apply_init(net, "default")  # keeps what is there
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert set(INIT_SCHEMES) >= {"default", "normal", "xavier", "kaiming", "zeros", "constant"}


@torch.no_grad()  # reading parameters as numbers
def test_init_errors_name_the_problem():
    net = MLP(3, 2, (4,))
    with pytest.raises(ValueError, match=r"does not have.*linear1"):
        apply_init(net, {"hidden": "xavier"})
    with pytest.raises(ValueError, match="init='glorot' is unknown"):
        apply_init(net, "glorot")
