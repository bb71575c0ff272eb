"""Making tensors: from data, filled, ranges, identity, random (from the seeded generator).

>>> import topograd
>>> topograd.zeros(2, 3).shape
topograd.Size([2, 3])
>>> topograd.arange(3).tolist()
[0, 1, 2]
"""

from __future__ import annotations

import builtins

import numpy as np

from .random import default_generator
from .tensor import Tensor, _array_from, _as_dtype

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
float = float32  # noqa: A001 - PyTorch's alias
double = float64
long = int64
half = float16


def _finish(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._from_array(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"size must be a sequence of ints, found {type(s).__name__} ({s!r})")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _dt(dtype, default=float32) -> np.dtype:
    return default if dtype is None else _as_dtype(dtype)


def tensor(data, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A new tensor holding a copy of ``data``.

    Python floats become float32 and ints int64; a NumPy array keeps its dtype.

    >>> import topograd
    >>> topograd.tensor([1.5, 2.0]).dtype
    dtype('float32')
    """
    _check_device(device)
    arr = _array_from(data, dtype)
    if isinstance(data, (np.ndarray, Tensor)) or arr is data:
        arr = arr.copy()
    return _finish(arr, requires_grad)


def as_tensor(data, dtype=None) -> Tensor:
    """Like :func:`tensor` but shares memory with an ndarray when it can."""
    return Tensor._from_array(_array_from(data, dtype))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` and keeping its dtype (float64 stays float64).

    >>> import numpy as np, topograd
    >>> topograd.from_numpy(np.zeros(2)).dtype
    dtype('float64')
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expected an np.ndarray, found {type(array).__name__}")
    return Tensor._from_array(array)


def _check_device(device) -> None:
    if device is not None and str(device) != "cpu":
        raise RuntimeError(f"topograd runs on the CPU only; device {device!r} is not available")


def zeros(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor of zeros."""
    _check_device(device)
    return _finish(np.zeros(_size(size), dtype=_dt(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor of ones."""
    _check_device(device)
    return _finish(np.ones(_size(size), dtype=_dt(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """An uninitialized tensor (zeros in topograd)."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad, device=device)


def full(size, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor filled with ``fill_value`` (its dtype inferred as :func:`tensor` does)."""
    _check_device(device)
    if dtype is None:
        dtype = _array_from(fill_value).dtype
    return _finish(np.full(_size((size,)), fill_value, dtype=_as_dtype(dtype)), requires_grad)


def zeros_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    """Zeros with ``t``'s shape and dtype."""
    return _finish(np.zeros(t.shape, dtype=_dt(dtype, t.dtype)), requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    """Ones with ``t``'s shape and dtype."""
    return _finish(np.ones(t.shape, dtype=_dt(dtype, t.dtype)), requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` with ``t``'s shape and dtype."""
    return _finish(np.full(t.shape, fill_value, dtype=_dt(dtype, t.dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    is_float = any(isinstance(v, (builtins.float, np.floating)) for v in (start, end, step))
    default = float32 if is_float else int64
    return _finish(np.arange(start, end, step).astype(_dt(dtype, default)), requires_grad)


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    return _finish(np.linspace(start, end, steps).astype(_dt(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    """The identity matrix (n x m)."""
    return _finish(np.eye(n, m, dtype=_dt(dtype)), requires_grad)


def rand(*size, dtype=None, requires_grad: bool = False, generator=None) -> Tensor:
    """Uniform draws from [0, 1)."""
    g = generator or default_generator()
    return _finish(g.random(_size(size)).astype(_dt(dtype)), requires_grad)


def randn(*size, dtype=None, requires_grad: bool = False, generator=None) -> Tensor:
    """Standard normal draws."""
    g = generator or default_generator()
    return _finish(g.standard_normal(_size(size)).astype(_dt(dtype)), requires_grad)


def randint(low, high=None, size=None, dtype=None, generator=None) -> Tensor:
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or
    ``randint(low, high, size)``.

    >>> import topograd
    >>> _ = topograd.manual_seed(0)
    >>> topograd.randint(8, (4,)).shape
    topograd.Size([4])
    """
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint expected a size tuple: randint(high, size) or "
                            "randint(low, high, size)")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    g = generator or default_generator()
    return _finish(g.integers(low, high, size=_size((size,))).astype(_dt(dtype, int64)), False)


def rand_like(t: Tensor, dtype=None) -> Tensor:
    """Uniform draws with ``t``'s shape."""
    return rand(*t.shape, dtype=_dt(dtype, t.dtype))


def randn_like(t: Tensor, dtype=None) -> Tensor:
    """Normal draws with ``t``'s shape."""
    return randn(*t.shape, dtype=_dt(dtype, t.dtype))


def randperm(n: int, dtype=None, generator=None) -> Tensor:
    """A random permutation of 0..n-1."""
    g = generator or default_generator()
    return _finish(g.permutation(n).astype(_dt(dtype, int64)), False)
