"""nn.init: gains, fans, the variances the seeds state (Xavier 1/N, He 2/N), seeding, and
a demonstration that initialization decides whether a deep network's signal survives."""

from __future__ import annotations

import math

import numpy as np
import pytest

import topograd
from topograd import nn

init = nn.init


@pytest.mark.parametrize("name,param", [("linear", None), ("sigmoid", None), ("tanh", None),
                                        ("relu", None), ("leaky_relu", None),
                                        ("leaky_relu", 0.2), ("selu", None), ("conv2d", None)])
def test_calculate_gain_matches_pytorch(name, param):
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param))


def test_bad_arguments():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(topograd.empty(5))
    with pytest.raises(ValueError, match="Mode fan_middle not supported"):
        init.kaiming_normal_(topograd.empty(3, 3), mode="fan_middle")


N = 512


def _var(fn, shape=(N, N), **kw):
    topograd.manual_seed(0)
    w = fn(topograd.empty(*shape), **kw)
    return float(w.numpy().astype(np.float64).var())


@pytest.mark.parametrize("fn", [init.xavier_normal_, init.xavier_uniform_])
def test_xavier_square_layer_variance_is_one_over_n(fn):
    # 2 / (fan_in + fan_out) = 1/N for an N x N layer; the seeds' N(0, 1/N)
    assert _var(fn) * N == pytest.approx(1.0, rel=0.03)


@pytest.mark.parametrize("fn", [init.kaiming_normal_, init.kaiming_uniform_])
def test_he_square_layer_variance_is_two_over_n(fn):
    assert _var(fn, nonlinearity="relu") * N == pytest.approx(2.0, rel=0.03)


def test_fans_of_conv_shaped_weights_and_modes():
    # (out=64, in=32, 3, 3): fan_in = 32 * 9, fan_out = 64 * 9
    v_in = _var(init.kaiming_normal_, shape=(64, 32, 3, 3), nonlinearity="relu")
    v_out = _var(init.kaiming_normal_, shape=(64, 32, 3, 3), mode="fan_out",
                 nonlinearity="relu")
    assert v_in * 32 * 9 == pytest.approx(2.0, rel=0.05)
    assert v_out * 64 * 9 == pytest.approx(2.0, rel=0.05)
    assert _var(init.xavier_normal_, shape=(300, 100), gain=2.0) == pytest.approx(
        4 * 2 / 400, rel=0.05)


def test_simple_fills_and_ranges():
    t = topograd.empty(1000, dtype=topograd.float64)
    init.uniform_(t, -0.5, 2.0)
    assert t.numpy().min() >= -0.5 and t.numpy().max() < 2.0
    assert t.numpy().mean() == pytest.approx(0.75, abs=0.1)
    init.normal_(t, mean=3.0, std=0.1)
    assert t.numpy().mean() == pytest.approx(3.0, abs=0.02)
    assert t.numpy().std() == pytest.approx(0.1, rel=0.1)
    assert (init.constant_(t, 0.25).numpy() == 0.25).all()
    assert not init.zeros_(t).numpy().any()
    assert (init.ones_(t).numpy() == 1).all()
    assert t.dtype == np.float64
    np.testing.assert_array_equal(init.eye_(topograd.empty(2, 3)).numpy(), np.eye(2, 3))
    tn = init.trunc_normal_(topograd.empty(2000), std=1.0, a=-1.0, b=1.5).numpy()
    assert tn.min() >= -1.0 and tn.max() <= 1.5


@pytest.mark.parametrize("shape", [(4, 4), (3, 6), (6, 3), (4, 2, 3)])
def test_orthogonal(shape):
    w = init.orthogonal_(topograd.empty(*shape, dtype=topograd.float64), gain=2.0).numpy()
    flat = w.reshape(shape[0], -1)
    small = min(flat.shape)
    gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-10)


def test_in_place_outside_the_graph_and_seeded():
    layer = nn.Linear(4, 4)
    layer(topograd.ones(1, 4)).sum().backward()  # the weight is in a (used) graph
    w = layer.weight
    assert init.kaiming_uniform_(w) is w
    assert w.requires_grad and w.grad_fn is None and isinstance(w, nn.Parameter)
    topograd.manual_seed(42)
    a = init.xavier_uniform_(topograd.empty(3, 3)).numpy().copy()
    topograd.manual_seed(42)
    b = init.xavier_uniform_(topograd.empty(3, 3)).numpy()
    np.testing.assert_array_equal(a, b)
    assert init.normal_(topograd.empty(3, dtype=topograd.float32)).dtype == np.float32


def _activation_variances(act, weight_init, depth=10, width=256, batch=512):
    topograd.manual_seed(0)
    layers = []
    for _ in range(depth):
        lin = nn.Linear(width, width)
        weight_init(lin.weight)
        nn.init.zeros_(lin.bias)
        layers += [lin, act()]
    model = nn.Sequential(*layers)
    variances = []
    for m in model:
        if not isinstance(m, nn.Linear):
            m.register_forward_hook(lambda mod, args, out: variances.append(
                float(out.numpy().var())))
    with topograd.no_grad():
        model(topograd.randn(batch, width))
    return np.array(variances)


def _within_factor_two(v):
    return v.max() / v.min() <= 2.0


def test_initialization_decides_if_the_signal_survives():
    # tanh with Xavier scaled by tanh's gain (5/3) keeps its activation variance
    tanh_ok = _activation_variances(
        nn.Tanh, lambda w: init.xavier_normal_(w, gain=init.calculate_gain("tanh")))
    assert _within_factor_two(tanh_ok), tanh_ok
    # ReLU with He (kaiming, fan_in) keeps it too
    relu_ok = _activation_variances(
        nn.ReLU, lambda w: init.kaiming_normal_(w, nonlinearity="relu"))
    assert _within_factor_two(relu_ok), relu_ok
    # plain Xavier is meant for tanh; under ReLU it halves the variance at every layer
    relu_xavier = _activation_variances(nn.ReLU, init.xavier_normal_)
    assert relu_xavier[-1] / relu_xavier[0] < 0.01
    # too small: the signal collapses; too large: ReLU explodes, tanh saturates
    relu_small = _activation_variances(nn.ReLU, lambda w: init.normal_(w, std=0.01))
    assert relu_small[-1] < 1e-15
    tanh_small = _activation_variances(nn.Tanh, lambda w: init.normal_(w, std=0.01))
    assert tanh_small[-1] < 1e-15
    relu_big = _activation_variances(nn.ReLU, lambda w: init.normal_(w, std=1.0))
    assert relu_big[-1] > 1e15
    tanh_big = _activation_variances(nn.Tanh, lambda w: init.normal_(w, std=1.0))
    assert tanh_big[-1] > 0.9  # saturated: almost every unit sits at -1 or +1
    assert math.isfinite(relu_big[-1])
