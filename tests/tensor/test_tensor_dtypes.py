"""Dtype rules: float32 by default, float64 kept, Python scalars weak, ints join floats.

float32 with float64 follows NumPy promotion (float64), which PyTorch does too for
tensors of the same rank; integer/bool tensors combined with a float tensor take that
float dtype.
"""

from __future__ import annotations

import numpy as np
import pytest

import topograd

f32, f64, i64, i32 = topograd.float32, topograd.float64, topograd.int64, topograd.int32


def t(v, dtype=None):
    return topograd.tensor(v, dtype=dtype)


def test_dtypes_are_numpy_dtypes():
    assert topograd.float32 == np.dtype("float32") and topograd.float == topograd.float32
    assert topograd.double == f64 and topograd.long == i64
    assert t([1.0]).dtype == np.float32


@pytest.mark.parametrize("scalar", [2.0, 2, True, np.float64(2.0), np.int64(2)])
@pytest.mark.parametrize("op", ["add", "radd", "sub", "rsub", "mul", "rmul", "div", "rdiv",
                                "pow", "rpow"])
@pytest.mark.parametrize("dtype", [f32, f64, topograd.float16])
def test_python_scalar_keeps_float_dtype(scalar, op, dtype):
    x = t([1.0, 2.0], dtype)
    fn = {"add": lambda: x + scalar, "radd": lambda: scalar + x, "sub": lambda: x - scalar,
          "rsub": lambda: scalar - x, "mul": lambda: x * scalar, "rmul": lambda: scalar * x,
          "div": lambda: x / scalar, "rdiv": lambda: scalar / x, "pow": lambda: x**scalar,
          "rpow": lambda: scalar**x}[op]
    assert fn().dtype == dtype


def test_int_tensor_with_scalars():
    i = t([1, 2, 3])
    assert (i + 1).dtype == i64 and (i * 2).dtype == i64 and (2**i).dtype == i64
    assert (i * 2.5).dtype == f32 and (2.5 - i).tolist() == [1.5, 0.5, -0.5]
    assert (i / 2).dtype == f32 and (i / 2).tolist() == [0.5, 1.0, 1.5]
    assert (i / t([2, 2, 2])).dtype == f32
    assert (i**0.5).dtype == f32
    assert (t([1, 2], i32) + 1).dtype == i32
    assert (t([1, 2], i32) + t([1, 2])).dtype == i64


def test_integer_division_and_remainder():
    i = t([7, -7])
    assert (i // 2).tolist() == [3, -4] and (i // 2).dtype == i64
    assert (i % 3).tolist() == [1, 2] and (i % 3).dtype == i64
    assert (7 // t([2, 3])).tolist() == [3, 2]
    assert (7.5 % t([2.0, 3.0])).tolist() == [1.5, 1.5]
    f = t([7.5, -7.5])
    assert (f // 2).tolist() == [3.0, -4.0] and (f // 2).dtype == f32
    assert i.floor_divide(2).tolist() == [3, -4] and i.remainder(3).tolist() == [1, 2]
    x = topograd.tensor([5.0, -3.5], requires_grad=True)
    q = x // 2
    assert not q.requires_grad  # floor has no useful gradient: no node


def test_int_and_float_tensors_take_the_float_dtype():
    i, f = t([1, 2]), t([0.5, 0.5])
    assert (i + f).dtype == f32 and (f + i).dtype == f32 and (i * f).dtype == f32
    assert (i + t([0.5, 0.5], f64)).dtype == f64
    assert topograd.cat([f, i]).dtype == f32
    assert topograd.stack([i, f]).dtype == f32
    assert topograd.where(t([True, False]), i, f).dtype == f32
    assert topograd.where(t([True, False]), i, 0.5).dtype == f32
    assert topograd.where(t([True, False]), f, 3).dtype == f32
    assert i.maximum(f).dtype == f32
    assert (i @ t([[0.5], [0.5]])).dtype == f32


def test_float32_with_float64_promotes():
    a, b = t([1.0], f32), t([1.0], f64)
    assert (a + b).dtype == f64 and (b * a).dtype == f64
    assert (a @ b).dtype == f64
    assert topograd.cat([a, b]).dtype == f64
    assert (np.ones(1) + a).dtype == f64  # a float64 ndarray is a float64 tensor


def test_bool_tensors():
    b = t([True, False])
    assert b.dtype == topograd.bool_
    assert (b & t([True, True])).tolist() == [True, False]
    assert (b | t([False, False])).tolist() == [True, False]
    assert (~b).tolist() == [False, True]
    assert (b * 1.5).dtype == f32 and (b * 1.5).tolist() == [1.5, 0.0]
    assert (b + t([1, 2])).tolist() == [2, 2]
    assert b.sum().item() == 1 and b.sum().dtype == i64
    assert b.float().tolist() == [1.0, 0.0]
    assert b.any().item() and not b.all().item()
    with pytest.raises(TypeError, match="bool tensor is not supported"):
        _ = -b


def test_comparisons_and_eq_are_not_differentiable():
    x = topograd.tensor([1.0, 2.0], requires_grad=True)
    for out in (x > 1, x >= 1, x < 1, x <= 1, x == 1, x != 1, x.eq(x), x.ne(1), x.gt(0)):
        assert out.dtype == topograd.bool_ and not out.requires_grad
    assert x.argmax().item() == 1 and x.argmax().dtype == i64
    assert x.argmin(0).item() == 0
    m = topograd.tensor([[1.0, 5.0], [7.0, 2.0]])
    assert m.argmax(1).tolist() == [1, 0] and m.argmax(-1, keepdim=True).shape == (2, 1)
    assert x.equal(topograd.tensor([1.0, 2.0])) and x.allclose(topograd.tensor([1.0, 2.0]))


def test_reduction_dtypes():
    assert t([1, 2]).sum().dtype == i64
    assert t([1, 2], i32).sum().dtype == i64  # PyTorch too
    assert t([1.0]).sum(dtype=f64).dtype == f64
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        t([1, 2]).mean()
    assert t([1, 5, 3]).max().item() == 5 and t([1, 5, 3]).max().dtype == i64


def test_ndarray_operands_defer_to_tensor():
    x = topograd.tensor([1.0, 2.0], requires_grad=True)
    out = np.array([2.0, 3.0], dtype=np.float32) * x
    assert isinstance(out, topograd.Tensor) and out.requires_grad
    assert isinstance(np.ones(2) + x, topograd.Tensor)
    assert isinstance(np.ones((2, 2)) @ x, topograd.Tensor)
    assert isinstance(np.float64(2.0) * x, topograd.Tensor) and (np.float64(2.0) * x).dtype == f32
    assert ([1.0, 1.0] + x).tolist() == [2.0, 3.0]
