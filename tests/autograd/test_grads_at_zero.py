"""Gradients at zero and with empty dimensions, value for value PyTorch's: pow with a
zero base or a zero exponent, norm and std where the result is 0, matmul with a
dimension of size 0; in float32 and float64."""

from __future__ import annotations

import numpy as np
import pytest

import topograd

torch = pytest.importorskip("torch")

inf = np.inf

CASES = {
    # base 0 with a tensor exponent: -inf for y < 0, 0 for y >= 0 (PyTorch)
    "0**y": (lambda L, y: 0 ** y, [[-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0]]),
    "0.0**y": (lambda L, y: 0.0 ** y, [[-2.0, -0.5, 0.0, 0.5, 2.0]]),
    "2**y": (lambda L, y: 2 ** y, [[-1.0, 0.0, 1.5]]),
    "x**y": (lambda L, x, y: x ** y,
             [[0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.5], [-1.0, 0.0, 0.5, 1.0, 2.0, 0.0, -2.0]]),
    "x**0": (lambda L, x: x ** 0, [[0.0, 1.0, -2.0]]),
    "x**0.0": (lambda L, x: x ** 0.0, [[0.0, 1.0, -2.0]]),
    "x**-1": (lambda L, x: x ** -1, [[0.0, 1.0, -2.0]]),
    "x**0.5": (lambda L, x: x ** 0.5, [[0.0, 1.0, 4.0]]),
    "x**3": (lambda L, x: x ** 3, [[0.0, 1.0, -2.0]]),
    "norm": (lambda L, x: x.norm(), [[0.0, 0.0, 0.0]]),
    "norm p=2": (lambda L, x: x.norm(p=2), [[0.0, 0.0, 0.0]]),
    "norm p=1": (lambda L, x: x.norm(p=1), [[0.0, 0.0, 0.0]]),
    "norm p=3": (lambda L, x: x.norm(p=3), [[0.0, 0.0, 0.0]]),
    "norm p=1.5": (lambda L, x: x.norm(p=1.5), [[0.0, 0.0, 0.0]]),
    "norm p=inf": (lambda L, x: x.norm(p=float("inf")), [[0.0, 0.0, 0.0]]),
    "norm p=0.5 nonzero": (lambda L, x: x.norm(p=0.5), [[0.0, 1.0, -2.0]]),
    "norm p=3 nonzero": (lambda L, x: x.norm(p=3), [[0.0, 1.0, -2.0]]),
    "norm dim=1": (lambda L, x: x.norm(dim=1), [[[0.0, 0.0], [3.0, 4.0]]]),
    "norm p=1 dim=1": (lambda L, x: x.norm(p=1, dim=1), [[[0.0, 0.0], [3.0, 4.0]]]),
    "norm p=3 dim=1": (lambda L, x: x.norm(p=3, dim=1), [[[0.0, 0.0], [3.0, 4.0]]]),
    "norm p=inf dim=0": (lambda L, x: x.norm(p=float("inf"), dim=0),
                         [[[0.0, -4.0], [0.0, 4.0]]]),
    "norm dim=0 keepdim": (lambda L, x: x.norm(dim=0, keepdim=True), [[[0.0, 0.0], [0.0, 4.0]]]),
    "std": (lambda L, x: x.std(), [[1.0, 1.0, 1.0, 1.0]]),
    "var": (lambda L, x: x.var(), [[1.0, 1.0, 1.0, 1.0]]),
    "std dim=1": (lambda L, x: x.std(dim=1), [[[1.0, 1.0], [1.0, 3.0]]]),
    "std correction=0": (lambda L, x: x.std(correction=0), [[2.0, 2.0]]),
    "var keepdim": (lambda L, x: x.var(dim=0, keepdim=True), [[[1.0, 2.0], [1.0, 5.0]]]),
    "std of one": (lambda L, x: x.std(), [[2.0]]),
    "(3,0)@(0,4)": (lambda L, a, b: a @ b, [np.zeros((3, 0)), np.zeros((0, 4))]),
    "(0,3)@(3,4)": (lambda L, a, b: a @ b, [np.zeros((0, 3)), np.ones((3, 4))]),
    "(3,4)@(4,0)": (lambda L, a, b: a @ b, [np.ones((3, 4)), np.zeros((4, 0))]),
    "(2,3,0)@(2,0,4)": (lambda L, a, b: a @ b, [np.zeros((2, 3, 0)), np.zeros((2, 0, 4))]),
    "(0,3,2)@(0,2,4)": (lambda L, a, b: a @ b, [np.zeros((0, 3, 2)), np.zeros((0, 2, 4))]),
    "(2,3,0)@(0,4)": (lambda L, a, b: a @ b, [np.zeros((2, 3, 0)), np.zeros((0, 4))]),
    "(3,0)@(0,)": (lambda L, a, b: a @ b, [np.zeros((3, 0)), np.zeros((0,))]),
    "(0,)@(0,4)": (lambda L, a, b: a @ b, [np.zeros((0,)), np.zeros((0, 4))]),
    "(0,)@(0,)": (lambda L, a, b: a @ b, [np.zeros((0,)), np.zeros((0,))]),
    "(2,3,0)@(0,)": (lambda L, a, b: a @ b, [np.zeros((2, 3, 0)), np.zeros((0,))]),
    "(0,)@(2,0,4)": (lambda L, a, b: a @ b, [np.zeros((0,)), np.zeros((2, 0, 4))]),
    "(0,3)@(3,)": (lambda L, a, b: a @ b, [np.zeros((0, 3)), np.ones((3,))]),
    "(3,)@(0,3,4)": (lambda L, a, b: a @ b, [np.ones((3,)), np.zeros((0, 3, 4))]),
}


def _grads(lib, name, dtype):
    fn, values = CASES[name]
    ts = [lib.tensor(np.asarray(v, dtype=dtype), requires_grad=True) for v in values]
    if name == "std of one":  # both warn: nothing is left to divide by
        with pytest.warns(UserWarning, match=r"std\(\): degrees of freedom is <= 0"):
            out = fn(lib, *ts)
    else:
        out = fn(lib, *ts)
    out.sum().backward()
    return [t.grad.numpy() for t in ts]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_torch(name, dtype):
    got = _grads(topograd, name, dtype)
    ref = _grads(torch, name, dtype)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    for g, r in zip(got, ref):
        assert g.shape == r.shape and g.dtype == r.dtype
        np.testing.assert_array_equal(np.isnan(g), np.isnan(r))
        np.testing.assert_array_equal(np.isinf(g) & (g > 0), np.isinf(r) & (r > 0))
        np.testing.assert_array_equal(np.isinf(g) & (g < 0), np.isinf(r) & (r < 0))
        np.testing.assert_allclose(g, r, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", ["norm", "norm p=3 nonzero", "std dim=1", "x**y", "2**y"])
def test_second_derivative_matches_torch(name):
    fn, values = CASES[name]
    values = [np.asarray(v, dtype=np.float64) + 0.25 for v in values]  # away from the kinks
    out = {}
    for lib in (topograd, torch):
        ts = [lib.tensor(v, requires_grad=True) for v in values]
        gs = lib.autograd.grad(fn(lib, *ts).sum(), ts, create_graph=True)
        total = sum((g * g).sum() for g in gs)
        out[lib.__name__] = [g.detach().numpy() for g in lib.autograd.grad(total, ts)]
    for g, r in zip(out["topograd"], out["torch"]):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12)
