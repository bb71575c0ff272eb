"""0-d gradients: NumPy turns 0-d results (g * 2, g.sum()) into scalars; the engine hands
every backward an ndarray, so a loss scaled, summed or combined backpropagates as in
PyTorch (no false "double backward" refusal from the fused primitives)."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
import topograd.nn.functional as F
from topograd.primitives import Primitive

torch = pytest.importorskip("torch")
TF = torch.nn.functional

rng = np.random.default_rng(7)
X = rng.normal(size=(4, 3))
PROBS = rng.uniform(0.05, 0.95, size=(4, 3))
BINARY = (rng.uniform(size=(4, 3)) > 0.5).astype(np.float64)
CLASSES = np.array([0, 2, 1, 2])


def _loss(lib, name, x):
    """``name``'s loss of ``x`` (a tensor of lib) with fixed targets, reduced to 0-d."""
    fn = F if lib is topograd else TF
    if name == "cross_entropy":
        return fn.cross_entropy(x, lib.tensor(CLASSES))
    if name == "nll_loss":
        return fn.nll_loss(fn.log_softmax(x, dim=1), lib.tensor(CLASSES))
    if name == "mse_loss":
        return fn.mse_loss(x, lib.tensor(PROBS, dtype=x.dtype))
    if name == "bce":
        return fn.binary_cross_entropy(fn.sigmoid(x), lib.tensor(BINARY, dtype=x.dtype))
    if name == "bce_with_logits":
        return fn.binary_cross_entropy_with_logits(x, lib.tensor(BINARY, dtype=x.dtype))
    raise AssertionError(name)


COMPOSE = {
    "loss*2": lambda a, b: a * 2,
    "loss/4": lambda a, b: a / 4,
    "0.5*loss1+2*loss2": lambda a, b: 0.5 * a + 2 * b,
    "loss.sum()": lambda a, b: a.sum(),
    "loss.mean()": lambda a, b: a.mean(),
    "-loss": lambda a, b: -a,
    "loss**2": lambda a, b: a**2,
    "loss1*loss2": lambda a, b: a * b,
    "loss1+loss1": lambda a, b: a + a,
}
LOSSES = ["cross_entropy", "nll_loss", "mse_loss", "bce", "bce_with_logits"]


def _grad(lib, loss_name, compose, dtype):
    x = lib.tensor(X.astype(dtype), requires_grad=True)
    loss1 = _loss(lib, loss_name, x)
    loss2 = _loss(lib, loss_name, x * 1.5)
    out = COMPOSE[compose](loss1, loss2)
    out.backward()
    return out.item(), x.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("compose", sorted(COMPOSE))
@pytest.mark.parametrize("loss_name", LOSSES)
def test_composed_scalar_losses_match_torch(loss_name, compose, dtype):
    value, grad = _grad(topograd, loss_name, compose, dtype)
    ref_value, ref_grad = _grad(torch, loss_name, compose, dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-10
    assert grad.dtype == dtype
    np.testing.assert_allclose(value, ref_value, rtol=tol)
    np.testing.assert_allclose(grad, ref_grad, rtol=tol, atol=tol)


@pytest.mark.parametrize("compose", ["loss*2", "loss/4", "0.5*loss1+2*loss2", "loss.mean()"])
def test_linear_model_with_scaled_loss_matches_torch(compose):
    w = rng.normal(size=(3, 3)).astype(np.float32)
    b = rng.normal(size=3).astype(np.float32)
    grads = {}
    for lib in (topograd, torch):
        lin = (topograd.nn if lib is topograd else torch.nn).Linear(3, 3)
        with (topograd if lib is topograd else torch).no_grad():
            lin.weight.copy_(lib.tensor(w))
            lin.bias.copy_(lib.tensor(b))
        x = lib.tensor(X.astype(np.float32))
        out = lin(x)
        loss1 = _loss(lib, "cross_entropy", out)
        loss2 = _loss(lib, "mse_loss", out)
        COMPOSE[compose](loss1, loss2).backward()
        grads[lib.__name__] = (lin.weight.grad.numpy().copy(), lin.bias.grad.numpy().copy())
    for got, ref in zip(grads["topograd"], grads["torch"]):
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


def test_every_backward_gets_arrays_for_0d_gradients():
    seen = []

    class Probe(Primitive):  # sees arrays, as every built-in primitive does
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            seen.append(type(g))
            return g

    x = topograd.tensor(2.0, requires_grad=True)
    p = Probe.apply(x)
    (p * 3 + p / 2).backward()  # two 0-d gradients arrive and are summed
    assert seen == [np.ndarray]
    assert x.grad.item() == 3.5


def test_fused_primitive_still_refuses_create_graph():
    x = topograd.tensor(X, requires_grad=True)
    loss = F.cross_entropy(x, topograd.tensor(CLASSES))
    with pytest.raises(RuntimeError, match="double backward"):
        topograd.autograd.grad(loss * 2, x, create_graph=True)
