"""Where PyTorch computes inf or nan silently (log 0, x / 0, 0 * inf inside a loss, the
backward of sqrt or pow at 0), topograd does too: no NumPy RuntimeWarning escapes, and
the values (inf and nan included) are PyTorch's."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import topograd
import topograd.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

inf = np.inf


def _f(lib):
    return F if lib is topograd else TF


# name: (function of (lib, *tensors), values, which tensors require grad)
CASES = {
    "kl_div zero target": (lambda L, x, t: _f(L).kl_div(x, t, reduction="sum"),
                           [[-1.0, -0.5, -2.0], [0.0, 0.5, 0.5]], [True, True]),
    "kl_div -inf input": (lambda L, x, t: _f(L).kl_div(x, t, reduction="none"),
                          [[-inf, -0.5, -inf], [0.0, 0.5, 0.5]], [True, True]),
    "kl_div batchmean": (lambda L, x, t: _f(L).kl_div(x, t, reduction="batchmean"),
                         [[[-1.0, -0.5], [-inf, -2.0]], [[0.0, 1.0], [0.0, 1.0]]], [True, True]),
    "kl_div log_target": (lambda L, x, t: _f(L).kl_div(x, t, reduction="none", log_target=True),
                          [[-1.0, -0.5, -inf], [-inf, -0.5, -inf]], [True, True]),
    "log at 0 and -1": (lambda L, x: x.log(), [[0.0, 1.0, -1.0]], [True]),
    "sqrt at 0 and -1": (lambda L, x: x.sqrt(), [[0.0, 1.0, -1.0]], [True]),
    "x / y with zeros": (lambda L, x, y: x / y, [[1.0, 0.0, -1.0], [0.0, 0.0, 0.0]], [True, True]),
    "x / 0": (lambda L, x: x / 0, [[1.0, 0.0, -1.0]], [True]),
    "1 / x at 0": (lambda L, x: 1 / x, [[1.0, 0.0, -1.0]], [True]),
    "reciprocal at 0": (lambda L, x: x.reciprocal(), [[1.0, 0.0]], [True]),
    "x ** -1 at 0": (lambda L, x: x ** -1, [[0.0, 1.0]], [True]),
    "x ** 0.5 below 0": (lambda L, x: x ** 0.5, [[-1.0, 0.0, 4.0]], [True]),
    "x ** y at 0": (lambda L, x, y: x ** y, [[0.0, -1.0, 0.0, 2.0], [-1.0, 0.5, 0.0, 3.0]],
                    [True, True]),
    "0 ** y": (lambda L, y: 0.0 ** y, [[-1.0, 0.0, 1.0]], [True]),
    "x % 0": (lambda L, x: x % 0, [[1.0, -2.0]], [True]),
    "norm at 0": (lambda L, x: x.norm(), [[0.0, 0.0]], [True]),
    "norm p=3 at 0": (lambda L, x: x.norm(p=3), [[0.0, 0.0]], [True]),
    "std of a constant": (lambda L, x: x.std(), [[1.0, 1.0, 1.0]], [True]),
    "bce at 0 and 1": (lambda L, x, y: _f(L).binary_cross_entropy(x, y, reduction="none"),
                       [[0.0, 1.0, 0.5, 0.0, 1.0], [0.0, 1.0, 1.0, 1.0, 0.0]], [True, True]),
    "bce_with_logits large": (
        lambda L, x, y: _f(L).binary_cross_entropy_with_logits(x, y, reduction="none"),
        [[1e30, -1e30, 0.0], [0.0, 1.0, 1.0]], [True, True]),
    "logsumexp of -inf": (lambda L, x: x.logsumexp(0), [[-inf, -inf]], [True]),
    "mean of nothing": (lambda L, x: x.mean(), [np.zeros(0)], [True]),
    "log_softmax with -inf": (lambda L, x: _f(L).log_softmax(x, dim=0), [[-inf, 0.0, 1.0]],
                              [True]),
}


def _run(lib, name, dtype):
    fn, values, grads = CASES[name]
    ts = [lib.tensor(np.asarray(v, dtype=dtype), requires_grad=g) for v, g in zip(values, grads)]
    out = fn(lib, *ts)
    value = out.detach().numpy().copy()
    out.sum().backward()
    return [value] + [t.grad.numpy().copy() for t in ts if t.requires_grad]


def _same(got, ref, tol):
    assert got.shape == ref.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_array_equal(np.isposinf(got), np.isposinf(ref))
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(ref))
    np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_no_numpy_warning_and_torch_values(name, dtype):
    ref = _run(torch, name, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = _run(topograd, name, dtype)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        _same(g, r, tol)


def test_create_graph_is_silent_too():
    x = topograd.tensor([0.0, 1.0], dtype=topograd.float64, requires_grad=True)
    tx = torch.tensor([0.0, 1.0], dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (g,) = topograd.autograd.grad(x.sqrt().sum(), x, create_graph=True)
        g.sum().backward()
    (tg,) = torch.autograd.grad(tx.sqrt().sum(), tx, create_graph=True)
    tg.sum().backward()
    _same(g.detach().numpy(), tg.detach().numpy(), 1e-12)
    _same(x.grad.numpy(), tx.grad.numpy(), 1e-12)


def test_numpy_error_state_is_left_as_it_was():
    before = np.geterr()
    x = topograd.tensor([0.0, 1.0], requires_grad=True)
    (x.log() / x).sum().backward()
    assert np.geterr() == before
