"""Every differentiable operation: gradcheck and gradgradcheck in float64, and the same
values and gradients as PyTorch; hypothesis sweeps broadcast shapes."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import topograd
from topograd.autograd import gradcheck, gradgradcheck

sys.path.insert(0, str(Path(__file__).parent))  # the suite imports tests as files (importlib)
from tensor_cases import CASES, TG, sample, torch_namespace  # noqa: E402

IDS = [c.id for c in CASES]


def _inputs(arrays, dtype=topograd.float64):
    return [topograd.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]


def _first(out):
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradcheck(case):
    xs = _inputs(case.arrays())
    assert gradcheck(lambda *t: case.fn(TG, *t), xs)


@pytest.mark.parametrize("case", [c for c in CASES if c.smooth],
                         ids=[c.id for c in CASES if c.smooth])
def test_gradgradcheck(case):
    xs = _inputs(case.arrays(seed=1))
    assert gradgradcheck(lambda *t: case.fn(TG, *t), xs)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_torch(case):
    torch = pytest.importorskip("torch")
    th = torch_namespace(torch)
    arrays = case.arrays(seed=2)
    ours = _inputs(arrays)
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = _first(case.fn(TG, *ours))
    ref = _first(case.fn(th, *theirs))
    assert tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = np.random.default_rng(3).standard_normal(tuple(ref.shape))
    out.backward(topograd.tensor(upstream, dtype=topograd.float64))
    ref.backward(torch.tensor(upstream))
    for k, (x, t) in enumerate(zip(ours, theirs)):
        expected = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        got = np.zeros(x.shape) if x.grad is None else x.grad.numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12,
                                   err_msg=f"{case.id}: gradient of input {k}")


@pytest.mark.parametrize("case", CASES[::4], ids=IDS[::4])
def test_float32_stays_float32(case):
    xs = _inputs(case.arrays(), dtype=topograd.float32)
    out = _first(case.fn(TG, *xs))
    assert out.dtype == topograd.float32
    out.sum().backward()
    for x in xs:
        assert x.grad is None or x.grad.dtype == topograd.float32


# -- hypothesis: shapes with scalars, size-1 axes and broadcast pairs ------------------

BINARY = {  # fn(m, x, y), the domain of x
    "add": (lambda m, x, y: x + y, "any"),
    "sub": (lambda m, x, y: x - y, "any"),
    "mul": (lambda m, x, y: x * y, "any"),
    "div": (lambda m, x, y: x / y, "any"),
    "pow": (lambda m, x, y: (x.abs() + 0.5) ** y, "any"),
    "maximum": (lambda m, x, y: x.maximum(y), "distinct"),
    "where": (lambda m, x, y: m.where(x > 0, x, y), "away"),
}


def _binary_arrays(shapes, op, seed):
    rng = np.random.default_rng(seed)
    a = sample(shapes.input_shapes[0], BINARY[op][1], rng)
    b = sample(shapes.input_shapes[1], "away" if op == "div" else "any", rng)
    if op == "maximum":  # x's values are 0.37 apart: keep y small so no element ties
        b = b * 0.01
    return a, b


SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                 min_side=1, max_side=3),
       op=st.sampled_from(sorted(BINARY)))
def test_broadcast_binary_gradcheck(shapes, op):
    fn = BINARY[op][0]
    x, y = _inputs(_binary_arrays(shapes, op, 0))
    out = fn(TG, x, y)
    assert tuple(out.shape) == shapes.result_shape
    assert gradcheck(lambda p, q: fn(TG, p, q), [x, y])


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                 min_side=1, max_side=3),
       op=st.sampled_from(sorted(BINARY)))
def test_broadcast_binary_matches_torch(shapes, op):
    torch = pytest.importorskip("torch")
    fn = BINARY[op][0]
    a, b = _binary_arrays(shapes, op, 1)
    x, y = _inputs([a, b])
    tx, ty = (torch.tensor(v, requires_grad=True) for v in (a, b))
    out, ref = fn(TG, x, y), fn(torch_namespace(torch), tx, ty)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-12, atol=1e-14)
    assert x.grad.shape == x.shape and y.grad.shape == y.shape


UNARY = {
    "exp": lambda x: x.exp(), "tanh": lambda x: x.tanh(), "sigmoid": lambda x: x.sigmoid(),
    "sin": lambda x: x.sin(), "neg": lambda x: -x, "pow3": lambda x: x**3,
    "log_abs": lambda x: (x.abs() + 0.5).log(), "sqrt_abs": lambda x: (x * x + 1).sqrt(),
}


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3),
       op=st.sampled_from(sorted(UNARY)))
def test_unary_any_shape(shape, op):
    x = _inputs([sample(shape, "any", np.random.default_rng(2))])[0]
    out = UNARY[op](x)
    assert out.shape == x.shape
    assert gradcheck(UNARY[op], [x])


@st.composite
def reduction_args(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    nd = len(shape)
    dims = draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd,
                         unique_by=lambda d: d % nd))
    dim = dims[0] if len(dims) == 1 and draw(st.booleans()) else tuple(dims)
    return shape, dim, draw(st.booleans())


@SETTINGS
@given(args=reduction_args(), op=st.sampled_from(["sum", "mean", "logsumexp", "amax"]))
def test_reductions_over_any_dims(args, op):
    shape, dim, keepdim = args
    domain = "distinct" if op == "amax" else "any"
    x = _inputs([sample(shape, domain, np.random.default_rng(3))])[0]

    def fn(t):
        return getattr(t, op)(dim, keepdim=keepdim)

    out = fn(x)
    ref = getattr(np, {"sum": "sum", "mean": "mean", "amax": "max",
                       "logsumexp": "sum"}[op])
    dims = (dim,) if isinstance(dim, int) else dim
    axes = tuple(d % len(shape) for d in dims)
    if op == "logsumexp":
        expected = np.log(np.exp(x.numpy()).sum(axis=axes, keepdims=keepdim))
    else:
        expected = ref(x.numpy(), axis=axes, keepdims=keepdim)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert gradcheck(fn, [x])


@st.composite
def matmul_shapes(draw):
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2,
                                                   min_side=1, max_side=2))
    kinds = draw(st.sampled_from(["mm", "mv", "vm", "vv"]))
    a = batch.input_shapes[0] + (m, k) if kinds in ("mm", "mv") else (k,)
    b = batch.input_shapes[1] + (k, n) if kinds in ("mm", "vm") else (k,)
    return a, b


@SETTINGS
@given(shapes=matmul_shapes())
def test_matmul_any_shapes(shapes):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    a, b = (rng.standard_normal(s) for s in shapes)
    x, y = _inputs([a, b])
    out = x @ y
    np.testing.assert_allclose(out.numpy(), np.matmul(a, b), rtol=1e-12)
    assert gradcheck(lambda p, q: p @ q, [x, y])
    tx, ty = (torch.tensor(v, requires_grad=True) for v in (a, b))
    (tx @ ty).sum().backward()
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-12, atol=1e-14)
