"""Attributes, conversions, repr and the graph flags of a Tensor."""

from __future__ import annotations

import numpy as np
import pytest

import topograd


def test_shape_ndim_size_numel():
    t = topograd.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and isinstance(t.shape, tuple)
    assert repr(t.shape) == "topograd.Size([2, 3, 4])"
    assert t.ndim == 3 and t.dim() == 3
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert t.numel() == 24 and t.shape.numel() == 24
    assert len(t) == 2
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.size(3)
    s = topograd.tensor(5.0)
    assert s.shape == () and s.ndim == 0 and s.numel() == 1
    with pytest.raises(TypeError, match="0-d"):
        len(s)
    assert topograd.zeros(0, 3).numel() == 0


def test_T_and_mT():
    assert topograd.zeros(2, 3).T.shape == (3, 2)
    assert topograd.zeros(3).T.shape == (3,)
    assert topograd.zeros(2, 3, 4).T.shape == (4, 3, 2)
    assert topograd.tensor(1.0).T.shape == ()
    assert topograd.zeros(2, 3, 4).mT.shape == (2, 4, 3)
    x = topograd.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(x.T.numpy(), x.numpy().T)


def test_numpy_item_tolist():
    t = topograd.tensor([[1.0, 2.0]])
    assert isinstance(t.numpy(), np.ndarray) and t.numpy().dtype == np.float32
    t.numpy()[0, 0] = 9.0  # shares memory, as torch's numpy()
    assert t.tolist() == [[9.0, 2.0]]
    assert topograd.tensor([[3.5]]).item() == 3.5 and isinstance(topograd.tensor(2).item(), int)
    with pytest.raises(RuntimeError, match="2 elements cannot be converted to Scalar"):
        topograd.tensor([1.0, 2.0]).item()
    assert topograd.tensor(2.0).tolist() == 2.0
    assert float(topograd.tensor([2.5])) == 2.5 and int(topograd.tensor(3.9)) == 3
    assert np.asarray(topograd.tensor([1, 2])).tolist() == [1, 2]
    assert [1, 2, 3][topograd.tensor(1)] == 2


def test_dtype_casts():
    t = topograd.tensor([1.6, -2.6])
    assert t.float() is t
    assert t.double().dtype == topograd.float64
    assert t.long().tolist() == [1, -2] and t.long().dtype == topograd.int64
    assert t.int().dtype == topograd.int32 and t.half().dtype == topograd.float16
    assert t.bool().tolist() == [True, True]
    assert t.to(topograd.float64).dtype == topograd.float64
    assert t.to(dtype=topograd.float64).dtype == topograd.float64
    assert t.to("cpu") is t and t.cpu() is t
    assert t.type(topograd.float64).dtype == topograd.float64
    assert t.is_floating_point() and not t.long().is_floating_point()


def test_casts_are_differentiable_for_floats():
    x = topograd.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.requires_grad and y.grad_fn.name == "Cast"
    (y * y).sum().backward()
    assert x.grad.dtype == topograd.float32 and x.grad.tolist() == [2.0, 4.0]
    assert not x.long().requires_grad


def test_requires_grad_flags():
    t = topograd.zeros(2)
    assert not t.requires_grad and t.is_leaf and t.grad is None and t.grad_fn is None
    assert t.requires_grad_() is t and t.requires_grad
    t.requires_grad_(False)
    assert not t.requires_grad
    x = topograd.ones(2, requires_grad=True)
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn.name == "Mul"
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match="floating point"):
        topograd.tensor([1, 2]).requires_grad_()


def test_detach_shares_memory_and_leaves_graph():
    x = topograd.ones(2, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d.add_(1)
    assert y.tolist() == [3.0, 3.0]  # same memory, as in PyTorch
    data = x.data
    assert not data.requires_grad and np.shares_memory(data.numpy(), x.numpy())


def test_clone_copies_and_is_differentiable():
    x = topograd.ones(2, requires_grad=True)
    c = x.clone()
    assert c.requires_grad and not c.is_leaf
    assert not np.shares_memory(c.numpy(), x.numpy())
    (c * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    p = topograd.ones(2)
    q = p.clone()
    q.add_(1)
    assert p.tolist() == [1.0, 1.0]


def test_repr_shows_values_dtype_and_grad_fn():
    assert repr(topograd.tensor([1.0, 2.5])) == "tensor([1. , 2.5], dtype=float32)"
    assert repr(topograd.tensor(3)) == "tensor(3, dtype=int64)"
    x = topograd.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], dtype=float32, requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], dtype=float32, grad_fn=<MulBackward>)"
    assert "grad_fn=<SumBackward>" in repr(x.sum())
    assert repr(topograd.zeros(0)) == "tensor([], dtype=float32)"
    big = repr(topograd.zeros(10_000))
    assert "..." in big and len(big) < 200
    assert str(x) == repr(x)
    assert f"{topograd.tensor(2.5):.2f}" == "2.50"


def test_bool_of_tensors():
    assert bool(topograd.tensor([1.0])) and not bool(topograd.tensor(0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(topograd.tensor([1.0, 2.0]))


def test_iteration_and_hash():
    t = topograd.arange(6.0).reshape(3, 2)
    rows = list(t)
    assert len(rows) == 3 and rows[1].tolist() == [2.0, 3.0]
    assert len({t, rows[0]}) == 2  # hashable by identity, though == is elementwise
    with pytest.raises(TypeError, match="0-d"):
        iter(topograd.tensor(1.0)).__next__()


def test_parameter():
    p = topograd.Parameter(topograd.zeros(2))
    assert p.requires_grad and p.is_leaf and isinstance(p, topograd.Tensor)
    assert repr(p).startswith("Parameter containing:\ntensor(")
