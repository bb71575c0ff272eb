"""What each operation saves for backward, seen through in-place changes: as in PyTorch,
changing a value that backward needs raises "modified by an inplace operation", and
changing one it does not need (``d`` in ``d * 2``) is fine and gives PyTorch's gradient."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
import topograd.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

SAVED_MSG = "one of the variables needed for gradient computation has been modified by an inplace"


def _mat(lib, o):
    """A 2x2 matrix that does not require grad, from ``o``."""
    return o.reshape(2, 1).expand(2, 2) * 1


# d requires grad (a non-leaf, d = x * 1); o is a constant tensor that does not
OPS = {
    "d*2": lambda L, d, o: d * 2,
    "2*d": lambda L, d, o: 2 * d,
    "d*2.5": lambda L, d, o: d * 2.5,
    "d/2": lambda L, d, o: d / 2,
    "2/d": lambda L, d, o: 2 / d,
    "d+2": lambda L, d, o: d + 2,
    "d-2": lambda L, d, o: d - 2,
    "2-d": lambda L, d, o: 2 - d,
    "-d": lambda L, d, o: -d,
    "d**2": lambda L, d, o: d**2,
    "d**0": lambda L, d, o: d**0,
    "d**0.5": lambda L, d, o: d**0.5,
    "2**d": lambda L, d, o: 2**d,
    "d*o": lambda L, d, o: d * o,
    "o*d": lambda L, d, o: o * d,
    "d/o": lambda L, d, o: d / o,
    "o/d": lambda L, d, o: o / d,
    "d**o": lambda L, d, o: d**o,
    "o**d": lambda L, d, o: o**d,
    "d%2": lambda L, d, o: d % 2,
    "d%o": lambda L, d, o: d % o,
    "o%d": lambda L, d, o: o % d,
    "d@O": lambda L, d, o: d @ _mat(L, o),
    "O@d": lambda L, d, o: _mat(L, o) @ d,
    "linear(d, O)": lambda L, d, o: (F if L is topograd else TF).linear(d, _mat(L, o)),
    "exp": lambda L, d, o: d.exp(),
    "log": lambda L, d, o: d.log(),
    "sqrt": lambda L, d, o: d.sqrt(),
    "sigmoid": lambda L, d, o: d.sigmoid(),
    "tanh": lambda L, d, o: d.tanh(),
    "relu": lambda L, d, o: d.relu(),
    "softplus": lambda L, d, o: (F if L is topograd else TF).softplus(d),
    "softplus(beta=2)": lambda L, d, o: (F if L is topograd else TF).softplus(d, beta=2),
    "abs": lambda L, d, o: d.abs(),
    "sin": lambda L, d, o: d.sin(),
    "clamp": lambda L, d, o: d.clamp(0.0, 2.0),
    "maximum": lambda L, d, o: L.maximum(d, o),
    "sum": lambda L, d, o: d.sum(),
    "mean": lambda L, d, o: d.mean(),
    "amax": lambda L, d, o: d.amax(0),
    "max": lambda L, d, o: d.max(),
    "max(dim)": lambda L, d, o: d.max(0)[0],
    "logsumexp": lambda L, d, o: d.logsumexp(0),
    "prod": lambda L, d, o: d.prod(),
    "softmax": lambda L, d, o: d.softmax(0),
    "norm": lambda L, d, o: d.norm(),
    "var": lambda L, d, o: d.var(),
    "std": lambda L, d, o: d.std(),
}


def _run(lib, op, modify):
    """Build ``OPS[op]``, change its input (or output) in place, then backward.

    Returns the input's gradient, or "raises" for PyTorch's in-place error."""
    x = lib.tensor([1.5, 2.5], dtype=lib.float64, requires_grad=True)
    o = lib.tensor([2.0, 3.0], dtype=lib.float64)
    d = x * 1
    e = OPS[op](lib, d, o)
    if modify == "input":
        d += 1
    else:
        e += 1
    try:
        e.sum().backward()
    except RuntimeError as err:
        assert SAVED_MSG in str(err)
        return "raises"
    return x.grad.numpy().copy()


@pytest.mark.parametrize("modify", ["input", "output"])
@pytest.mark.parametrize("op", sorted(OPS))
def test_in_place_change_after_use_matches_torch(op, modify):
    got = _run(topograd, op, modify)
    ref = _run(torch, op, modify)
    if isinstance(ref, str) or isinstance(got, str):
        assert got == ref
    else:
        np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_issue_example_multiply_by_scalar_then_modify():
    x = topograd.tensor([1.0, 2.0], requires_grad=True)
    d = x * 1
    e = d * 2
    d += 1
    e.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_needs_input_grad_is_known_in_forward():
    seen = []

    class Probe(topograd.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen.append(ctx.needs_input_grad)
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, g

    a = topograd.ones(2, requires_grad=True)
    Probe.apply(a, topograd.ones(2))
    with topograd.no_grad():
        Probe.apply(a, topograd.ones(2))
    assert seen == [(True, False), (False, False)]


def test_reciprocal_forms_match_torch_values():
    v = np.array([3.0, 7.0, -0.1, 1e-3], dtype=np.float32)
    for fn in (lambda t: 3 / t, lambda t: 1 / t, lambda t: t.reciprocal(), lambda t: 2.5 / t):
        x = topograd.tensor(v, requires_grad=True)
        tx = torch.tensor(v, requires_grad=True)
        y, ty = fn(x), fn(tx)
        np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    assert topograd.tensor([2, 4]).reciprocal().tolist() == [0.5, 0.25]
