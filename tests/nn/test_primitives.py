"""The fused primitives of topograd.primitives.nn: central-difference gradient checks in
float64, dtype preservation, and a property test of cross-entropy against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import topograd
from topograd import nn
from topograd.autograd import gradcheck

F = nn.functional


def _t(a, grad=True):
    return topograd.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def test_gradcheck_batch_norm(rng):
    x = _t(rng.standard_normal((5, 3, 2)))
    w, b = _t(rng.uniform(0.5, 1.5, 3)), _t(rng.standard_normal(3))
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True) ** 2,
                     (x, w, b))
    rm, rv = topograd.tensor(rng.standard_normal(3)), topograd.tensor(rng.uniform(1, 2, 3))
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False) ** 2,
                     (x, w, b))
    assert gradcheck(lambda x: F.batch_norm(x, None, None, training=True) ** 3, (x,))


def test_gradcheck_dropout_with_fixed_mask(rng):
    x = _t(rng.standard_normal((4, 5)))

    def fn(x):
        topograd.manual_seed(7)  # the same mask at every evaluation
        return F.dropout(x, 0.4) ** 2

    assert gradcheck(fn, (x,))


@pytest.mark.parametrize("kw", [{}, {"label_smoothing": 0.25}, {"reduction": "sum"},
                                {"reduction": "none", "ignore_index": 1}])
def test_gradcheck_cross_entropy(kw, rng):
    x = _t(rng.standard_normal((4, 3)))
    w = topograd.tensor(rng.uniform(0.5, 2, 3))
    y = topograd.tensor([0, 1, 2, 1])
    assert gradcheck(lambda x: F.cross_entropy(x, y, weight=w, **kw), (x,))
    p = rng.uniform(size=(4, 3))
    t = _t(p / p.sum(1, keepdims=True))
    assert gradcheck(lambda x, t: F.cross_entropy(x, t, weight=w, **{
        k: v for k, v in kw.items() if k != "ignore_index"}), (x, t))


def test_gradcheck_other_losses(rng):
    x = _t(rng.standard_normal((3, 4)))
    y = _t(rng.uniform(0.1, 0.9, (3, 4)))
    pw = topograd.tensor(rng.uniform(0.5, 2, 4))
    assert gradcheck(lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw), (x, y))
    target = topograd.tensor(rng.uniform(size=(3, 4)))
    assert gradcheck(lambda y: F.binary_cross_entropy(y, target), (y,))
    assert gradcheck(lambda x, y: F.huber_loss(x, y, delta=0.3), (x, y))
    assert gradcheck(lambda x, y: F.smooth_l1_loss(x, y, beta=0.3), (x, y))
    assert gradcheck(lambda x, y: F.kl_div(x, y, reduction="batchmean"), (x, y))
    assert gradcheck(lambda x, y: F.kl_div(x, y, reduction="sum", log_target=True), (x, y))
    idx = topograd.tensor([0, 3, 1])
    assert gradcheck(lambda x: F.nll_loss(x, idx), (x,))
    assert gradcheck(lambda x: F.multi_margin_loss(x, idx, p=2, margin=0.7), (x,))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved_through_a_training_step(dtype, rng):
    model = nn.Sequential(nn.Linear(6, 5, dtype=dtype), nn.BatchNorm1d(5, dtype=dtype),
                          nn.GELU(), nn.Dropout(0.1), nn.Linear(5, 3, dtype=dtype))
    x = topograd.tensor(rng.standard_normal((8, 6)).astype(dtype))
    loss = F.cross_entropy(model(x), topograd.tensor(rng.integers(0, 3, 8)),
                           label_smoothing=0.1)
    loss = loss + 1e-3 * nn.utils.l2_penalty(model)
    assert loss.dtype == dtype
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad.dtype == dtype, name
    assert model[1].running_mean.dtype == dtype


def test_backward_twice_needs_retain_graph():
    x = topograd.randn(3, 4, requires_grad=True)
    loss = F.cross_entropy(x, topograd.tensor([0, 1, 2]))
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


@pytest.mark.parametrize("fn", [
    lambda x: F.leaky_relu(x), lambda x: F.elu(x), lambda x: F.softplus(x),
    lambda x: F.dropout(x, 0.5), lambda x: F.batch_norm(x, None, None, training=True),
    lambda x: F.cross_entropy(x, topograd.tensor([0, 1])),
    lambda x: F.binary_cross_entropy_with_logits(x, topograd.ones(2, 3)),
])
def test_array_only_rules_refuse_double_backward(fn):
    x = topograd.randn(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="double backward"):
        topograd.autograd.grad(fn(x).sum(), x, create_graph=True)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 6), c=st.integers(2, 7), seed=st.integers(0, 2**16),
       smoothing=st.sampled_from([0.0, 0.1]), weighted=st.booleans(),
       reduction=st.sampled_from(["mean", "sum", "none"]))
def test_cross_entropy_property_vs_pytorch(n, c, seed, smoothing, weighted, reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c)) * 5
    y = rng.integers(0, c, n)
    w = rng.uniform(0.1, 3, c) if weighted else None
    xt = topograd.tensor(x, requires_grad=True)
    loss = F.cross_entropy(xt, topograd.tensor(y), weight=None if w is None else
                           topograd.tensor(w), label_smoothing=smoothing, reduction=reduction)
    xr = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(xr, torch.from_numpy(y), weight=None if w is None
                                            else torch.from_numpy(w),
                                            label_smoothing=smoothing, reduction=reduction)
    np.testing.assert_allclose(loss.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    loss.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), xr.grad.numpy(), rtol=1e-9, atol=1e-12)
