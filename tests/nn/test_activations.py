"""Activations against PyTorch (values and gradients, float32 and float64), numerical
stability at +/-1000, Softmax's implicit dim, and the erf fallback."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import topograd
from topograd import nn
from topograd.primitives import nn as prims

DTYPES = [np.float32, np.float64]

# (our module, the PyTorch module's name and arguments)
CASES = [
    (lambda: nn.ReLU(), ("ReLU", {})),
    (lambda: nn.LeakyReLU(), ("LeakyReLU", {})),
    (lambda: nn.LeakyReLU(0.2), ("LeakyReLU", {"negative_slope": 0.2})),
    (lambda: nn.Sigmoid(), ("Sigmoid", {})),
    (lambda: nn.Tanh(), ("Tanh", {})),
    (lambda: nn.Softmax(dim=1), ("Softmax", {"dim": 1})),
    (lambda: nn.Softmax(dim=0), ("Softmax", {"dim": 0})),
    (lambda: nn.LogSoftmax(dim=1), ("LogSoftmax", {"dim": 1})),
    (lambda: nn.LogSoftmax(dim=-1), ("LogSoftmax", {"dim": -1})),
    (lambda: nn.ELU(), ("ELU", {})),
    (lambda: nn.ELU(alpha=0.5), ("ELU", {"alpha": 0.5})),
    (lambda: nn.GELU(), ("GELU", {})),
    (lambda: nn.GELU(approximate="tanh"), ("GELU", {"approximate": "tanh"})),
    (lambda: nn.Softplus(), ("Softplus", {})),
    (lambda: nn.Softplus(beta=2.0, threshold=5.0), ("Softplus", {"beta": 2.0, "threshold": 5.0})),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("make,ref", CASES, ids=[f"{r[0]}{r[1]}" for _, r in CASES])
def test_activation_matches_pytorch(make, ref, dtype, both, rng):
    torch = both.torch
    name, kwargs = ref
    theirs = getattr(torch.nn, name)(**kwargs)
    x = (rng.standard_normal((5, 7)) * 4).astype(dtype)
    x[0, :3] = [0.0, 12.0, -12.0]
    both(make(), theirs, [x], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_activations_on_3d_input(dtype, both, rng):
    torch = both.torch
    x = rng.standard_normal((2, 3, 4)).astype(dtype)
    both(nn.GELU(), torch.nn.GELU(), [x], dtype=dtype)
    both(nn.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1), [x], dtype=dtype)


STABLE = [nn.Sigmoid(), nn.Softplus(), nn.Softmax(dim=1), nn.LogSoftmax(dim=1), nn.Tanh(),
          nn.ELU(), nn.GELU(), nn.LeakyReLU(), nn.Softplus(beta=3.0, threshold=1e9)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("act", STABLE, ids=lambda m: repr(m))
def test_no_overflow_at_large_inputs(act, dtype):
    x = topograd.tensor(np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]],
                                 dtype=dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning (overflow) fails the test
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            y = act(x)
            y.backward(topograd.ones_like(y))
    assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad.numpy()).all()
    assert y.dtype == dtype


def test_stable_values_at_extremes():
    x = topograd.tensor([[1000.0, -1000.0]])
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), [[1.0, 0.0]])
    np.testing.assert_allclose(nn.Softplus()(x).numpy(), [[1000.0, 0.0]])
    np.testing.assert_allclose(nn.Softmax(dim=1)(x).numpy(), [[1.0, 0.0]])
    np.testing.assert_allclose(nn.LogSoftmax(dim=1)(x).numpy(), [[0.0, -2000.0]])


@pytest.mark.parametrize("shape,expected_dim", [((5,), 0), ((2, 5), 1), ((2, 3, 4), 0),
                                                ((2, 3, 4, 5), 1)])
def test_softmax_implicit_dim_as_pytorch(shape, expected_dim):
    x = topograd.randn(*shape)
    with pytest.warns(UserWarning, match=r"Implicit dimension choice for softmax has been "
                                         r"deprecated. Change the call to include dim=X as an "
                                         r"argument.") as rec:
        y = nn.Softmax()(x)
    assert rec[0].filename == __file__  # the warning points at the caller
    np.testing.assert_allclose(y.numpy().sum(axis=expected_dim), 1, rtol=1e-5)
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        z = nn.functional.log_softmax(x)
    np.testing.assert_allclose(np.exp(z.numpy()).sum(axis=expected_dim), 1, rtol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.Softmax(dim=expected_dim)(x)


def test_functional_forms(rng):
    F = nn.functional
    x = topograd.tensor(rng.standard_normal((3, 4)))
    for fn, mod in [(F.relu, nn.ReLU()), (F.sigmoid, nn.Sigmoid()), (F.tanh, nn.Tanh()),
                    (F.elu, nn.ELU()), (F.gelu, nn.GELU()), (F.softplus, nn.Softplus()),
                    (F.leaky_relu, nn.LeakyReLU())]:
        np.testing.assert_array_equal(fn(x).numpy(), mod(x).numpy())
    np.testing.assert_array_equal(F.softmax(x, dim=1).numpy(), nn.Softmax(1)(x).numpy())
    assert F.softmax(x, dim=1, dtype=topograd.float64).dtype == np.float64
    assert float(F.softmax(topograd.tensor(3.0), dim=0)) == 1.0
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(x, approximate="fast")


def test_erf_fallback_without_scipy(monkeypatch):
    pytest.importorskip("scipy")
    from scipy.special import erf as ref_erf

    monkeypatch.setattr(prims, "_scipy_erf", None)
    x64 = np.linspace(-6, 6, 2001)
    np.testing.assert_allclose(prims.erf(x64), ref_erf(x64), rtol=0, atol=1e-15)
    x32 = x64.astype(np.float32)
    got = prims.erf(x32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, ref_erf(x64), rtol=0, atol=3e-7)
    y = nn.GELU()(topograd.tensor(x32)).numpy()
    np.testing.assert_allclose(y, 0.5 * x64 * (1 + ref_erf(x64 / np.sqrt(2))), atol=2e-6)


def test_fused_activation_gradcheck(rng):
    from topograd.autograd import gradcheck

    F = nn.functional
    x = topograd.tensor(rng.standard_normal((3, 4)) * 2, requires_grad=True)
    for fn in [lambda t: F.leaky_relu(t, 0.1), F.elu, F.gelu,
               lambda t: F.gelu(t, approximate="tanh"), F.softplus,
               lambda t: F.softplus(t, beta=2.0, threshold=1.0)]:
        assert gradcheck(fn, (x,))


def test_array_only_backward_refuses_create_graph():
    x = topograd.randn(3, requires_grad=True)
    y = nn.functional.gelu(x).sum()
    with pytest.raises(RuntimeError, match="double backward .* not supported"):
        topograd.autograd.grad(y, x, create_graph=True)
