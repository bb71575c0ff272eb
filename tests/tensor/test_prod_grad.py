"""Tensor.prod: values, gradients and second derivatives as PyTorch's, zeros included.

PyTorch's rule: an element's gradient is the product of the other elements of its
slice, so with one zero in a slice only the zero gets a gradient and with two or more
none does. Checked against torch to 1e-12 in float64, and against central
differences with gradcheck / gradgradcheck.
"""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

SHAPES = [(5,), (3, 4), (2, 3, 4), (1, 4, 1)]
# (shape, dim) pairs: every dimension of every shape, and the full product (None)
CASES = [(s, d) for s in SHAPES for d in [None, *range(-len(s), len(s))]]
IDS = [f"{'x'.join(map(str, s))}-dim{d}" for s, d in CASES]


def _prod(lib, x, dim, keepdim):
    return x.prod() if dim is None else x.prod(dim, keepdim)


def _values(seed, shape, zeros=0, same_slice_dim=None):
    """Random values away from 0, with ``zeros`` zeros (in one slice along
    ``same_slice_dim`` when it is given, else anywhere)."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    if zeros:
        if same_slice_dim is None:
            a.flat[rng.choice(a.size, zeros, replace=False)] = 0.0
        else:
            d = same_slice_dim % a.ndim
            where = [int(rng.integers(n)) for n in a.shape]
            for k in rng.choice(a.shape[d], zeros, replace=False):
                where[d] = int(k)
                a[tuple(where)] = 0.0
    return a


def _both(a, dim, keepdim, seed=0):
    """Value, gradient and second derivative (a VJP of the gradient) in both libraries."""
    rng = np.random.default_rng(seed + 1)
    out = {}
    for lib in (torch, topograd):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        y = _prod(lib, x, dim, keepdim)
        if lib is torch:
            go = rng.standard_normal(tuple(y.shape))
            v = rng.standard_normal(a.shape)
        (g1,) = lib.autograd.grad(y, x, lib.tensor(go, dtype=lib.float64), retain_graph=True)
        (g,) = lib.autograd.grad(y, x, lib.tensor(go, dtype=lib.float64), create_graph=True)
        if g.requires_grad:
            (gg,) = lib.autograd.grad(g, x, lib.tensor(v, dtype=lib.float64),
                                      allow_unused=True)
        else:  # torch, over a dim of size 1 with zeros: the gradient is a constant
            gg = None
        gg = lib.zeros_like(x) if gg is None else gg
        out[lib.__name__] = [np.array(t.detach().numpy()) for t in (y, g1, g, gg)]
    return out["torch"], out["topograd"]


def _assert_same(want, got):
    for name, w, g in zip(["value", "grad", "grad (create_graph)", "second derivative"],
                          want, got):
        assert g.shape == w.shape, name
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", CASES, ids=IDS)
@pytest.mark.parametrize("zeros", [0, 1, 2, 3])
def test_matches_torch(shape, dim, keepdim, zeros):
    if zeros > int(np.prod(shape)):
        pytest.skip("not that many elements")
    for seed in range(3):
        a = _values(seed, shape, zeros)
        _assert_same(*_both(a, dim, keepdim, seed))


@pytest.mark.parametrize("zeros", [1, 2])
@pytest.mark.parametrize("shape,dim", [c for c in CASES if c[1] is not None
                                       and c[0][c[1]] >= 2],
                         ids=[i for c, i in zip(CASES, IDS) if c[1] is not None
                              and c[0][c[1]] >= 2])
def test_zeros_in_one_slice_match_torch(shape, dim, zeros):
    for seed in range(3):
        a = _values(seed, shape, zeros, same_slice_dim=dim)
        _assert_same(*_both(a, dim, False, seed))


def test_one_zero_gets_the_product_of_the_others():
    x = topograd.tensor([[2.0, 0.0, 5.0], [1.0, 3.0, 4.0]], dtype=topograd.float64,
                        requires_grad=True)
    x.prod(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 10.0, 0.0], [12.0, 4.0, 3.0]])


def test_two_zeros_in_a_slice_give_no_gradient_there():
    x = topograd.tensor([[0.0, 2.0, 0.0], [1.0, 3.0, 4.0]], dtype=topograd.float64,
                        requires_grad=True)
    x.prod(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.0, 0.0], [12.0, 4.0, 3.0]])
    x.grad = None
    x.prod().backward()  # the full product: two zeros anywhere
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


def test_second_derivative_with_two_zeros_is_the_product_of_the_rest():
    # d2/dxi dxj prod(x) = product of the others: nonzero for the two zeros' pair
    x = topograd.tensor([0.0, 2.0, 0.0, 3.0], dtype=topograd.float64, requires_grad=True)
    (g,) = topograd.autograd.grad(x.prod(), x, create_graph=True)
    np.testing.assert_array_equal(g.numpy(), np.zeros(4))
    (h0,) = topograd.autograd.grad(g[2], x)
    np.testing.assert_array_equal(h0.numpy(), [6.0, 0.0, 0.0, 0.0])


@pytest.mark.parametrize("zeros", [0, 1, 2])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_gradcheck_and_gradgradcheck(dim, zeros):
    a = _values(7, (3, 4), zeros, same_slice_dim=None if dim is None else dim)
    x = topograd.tensor(a, dtype=topograd.float64, requires_grad=True)
    for keepdim in (False, True):
        assert gradcheck(lambda t, k=keepdim: _prod(topograd, t, dim, k), (x,))
        assert gradgradcheck(lambda t, k=keepdim: _prod(topograd, t, dim, k), (x,))


def test_large_slice_with_a_zero_differentiates_twice_without_a_square_table():
    rng = np.random.default_rng(3)
    a = rng.uniform(0.999, 1.001, 4000)
    a[17] = 0.0
    x = topograd.tensor(a, requires_grad=True, dtype=topograd.float64)
    (g,) = topograd.autograd.grad(x.prod(), x, create_graph=True)
    rest = np.delete(a, 17)
    np.testing.assert_allclose(g.numpy()[17], np.prod(rest), rtol=1e-12)
    assert np.count_nonzero(g.numpy()) == 1
    (h,) = topograd.autograd.grad(g[17], x)
    want = np.divide(np.prod(rest), a, out=np.zeros_like(a), where=a != 0)
    np.testing.assert_allclose(h.numpy(), want, rtol=1e-10)


def test_zero_dim_and_empty_inputs_match_torch():
    for lib in (torch, topograd):
        s = lib.tensor(3.0, dtype=lib.float64, requires_grad=True)
        s.prod(0).backward()
        assert s.grad.item() == 1.0
        assert tuple(s.prod(0, True).shape) == ()
        e = lib.zeros(0, 3, dtype=lib.float64, requires_grad=True)
        e.prod(0).sum().backward()
        assert tuple(e.grad.shape) == (0, 3)
        np.testing.assert_array_equal(lib.zeros(2, 0).prod(1).numpy(), [1.0, 1.0])


def test_dtype_argument_and_integer_inputs_match_torch():
    for lib in (torch, topograd):
        assert str(lib.tensor([[1, 2], [3, 4]]).prod(1).dtype).endswith("int64")
        assert str(lib.tensor([True, False]).prod().dtype).endswith("int64")
        assert str(lib.tensor([1, 2], dtype=lib.int32).prod().dtype).endswith("int64")
    xs = {}
    for lib in (torch, topograd):
        x = lib.tensor([[1.0, 2.0], [3.0, 0.5]], requires_grad=True)  # float32
        y = lib.prod(x, 1, dtype=lib.float64)
        assert str(y.dtype).endswith("float64")
        y.sum().backward()
        assert str(x.grad.dtype).endswith("float32")
        xs[lib.__name__] = (y.detach().numpy(), x.grad.numpy())
    np.testing.assert_allclose(xs["topograd"][0], xs["torch"][0], rtol=1e-12)
    np.testing.assert_allclose(xs["topograd"][1], xs["torch"][1], rtol=1e-7)


def test_function_form_and_keepdim_spellings():
    a = _values(1, (2, 3), 1)
    x = topograd.tensor(a, dtype=topograd.float64)
    np.testing.assert_allclose(topograd.prod(x, 1).numpy(), a.prod(1), rtol=1e-15)
    np.testing.assert_allclose(topograd.prod(x).numpy(), a.prod(), rtol=1e-15)
    assert x.prod(axis=0, keepdims=True).shape == (1, 3)
    assert x.prod(dim=-1, keepdim=True).shape == (2, 1)


def test_several_dims_at_once_as_flattening_them():
    # an extension of PyTorch's single-dim prod: the same as moving the dims last,
    # flattening them and taking the product along that dim
    a = _values(5, (2, 3, 4), 2, same_slice_dim=None)
    x = topograd.tensor(a, dtype=topograd.float64, requires_grad=True)
    y = x.prod((0, 2))
    xt = torch.tensor(a, requires_grad=True)
    yt = xt.permute(1, 0, 2).reshape(3, -1).prod(-1)
    go = np.array([0.5, -1.0, 2.0])
    y.backward(topograd.tensor(go, dtype=topograd.float64))
    yt.backward(torch.tensor(go))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert gradgradcheck(lambda t: t.prod((0, 2), keepdim=True), (x,))


def test_no_grad_input_stays_off_the_graph():
    y = topograd.tensor([2.0, 3.0]).prod()
    assert y.grad_fn is None and not y.requires_grad and y.item() == 6.0
