"""Making tensors: from data, filled, ranges, identity, and random (drawn from the
generator :func:`topograd.manual_seed` seeds, see :mod:`topograd.random`).

>>> import topograd
>>> topograd.zeros(2, 3).shape
topograd.Size([2, 3])
>>> topograd.arange(3).tolist()
[0, 1, 2]
"""

from __future__ import annotations

import builtins

import numpy as np

from ._device import check_device as _check_device
from .dtypes import as_array, as_dtype, float32, int64
from .random import default_generator
from .tensor import Tensor


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
    return default if dtype is None else as_dtype(dtype)


def tensor(data, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A new tensor holding a copy of ``data``.

    Args:
        data: a number, nested lists of numbers, an ndarray or a Tensor.
        dtype: the dtype; by default Python floats become float32, ints int64, bools
            bool, and an ndarray keeps its dtype (float64 stays float64).
        requires_grad: record operations on it for ``backward`` (floating dtypes only).
        device: ``None`` (the default device) or ``"cpu"``; topograd computes with NumPy,
            and a CUDA device raises PyTorch's CPU-build error.

    Returns:
        A leaf Tensor that owns its memory.

    >>> import topograd
    >>> topograd.tensor([1.5, 2.0]).dtype
    dtype('float32')
    >>> topograd.tensor([[1, 2]], dtype=topograd.float64, requires_grad=True)
    tensor([[1., 2.]], dtype=float64, requires_grad=True)
    """
    _check_device(device, "tensor", False)
    arr = as_array(data, dtype)
    if isinstance(data, (np.ndarray, Tensor)) or arr is data:
        arr = arr.copy()
    return _finish(arr, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor`, but shares memory with ``data`` when it can (no copy).

    Args:
        data: array-like; an ndarray of the right dtype is wrapped, not copied.
        dtype: optional dtype (a different one means a copy).
        device: ``None`` or ``"cpu"``.

    Returns:
        A Tensor that does not require grad.

    >>> import numpy as np, topograd
    >>> a = np.zeros(2, dtype=np.float32)
    >>> t = topograd.as_tensor(a)
    >>> a[0] = 7.0
    >>> t.tolist()
    [7.0, 0.0]
    """
    _check_device(device, "as_tensor", False)
    return Tensor._from_array(as_array(data, dtype))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` and keeping its dtype (float64 stays float64).

    Args:
        array: a NumPy array.

    Returns:
        A Tensor wrapping ``array`` (writes to one show in the other).

    >>> import numpy as np, topograd
    >>> topograd.from_numpy(np.zeros(2)).dtype
    dtype('float64')
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expected an np.ndarray, found {type(array).__name__}")
    return Tensor._from_array(array)


def zeros(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor of zeros.

    Args:
        *size: the shape, as ints or one tuple/list.
        dtype: default float32.
        requires_grad: whether the tensor records operations for ``backward``.
        device: ``None`` or ``"cpu"``.

    Returns:
        A new leaf Tensor.

    >>> import topograd
    >>> topograd.zeros(2, 3).shape
    topograd.Size([2, 3])
    """
    _check_device(device, "zeros")
    return _finish(np.zeros(_size(size), dtype=_dt(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor of ones.

    Args:
        *size: the shape, as ints or one tuple/list.
        dtype: default float32.
        requires_grad: whether the tensor records operations for ``backward``.
        device: ``None`` or ``"cpu"``.

    Returns:
        A new leaf Tensor.

    >>> import topograd
    >>> topograd.ones((2,), dtype=topograd.int64).tolist()
    [1, 1]
    """
    _check_device(device, "ones")
    return _finish(np.ones(_size(size), dtype=_dt(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """An "uninitialized" tensor: zeros in topograd, which costs NumPy nothing extra.

    Args:
        *size: the shape, as ints or one tuple/list.
        dtype: default float32.
        requires_grad: whether the tensor records operations for ``backward``.
        device: ``None`` or ``"cpu"``.

    Returns:
        A new leaf Tensor.

    >>> import topograd
    >>> topograd.empty(3).shape
    topograd.Size([3])
    """
    _check_device(device, "empty")
    return _finish(np.zeros(_size(size), dtype=_dt(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor filled with ``fill_value``.

    Args:
        size: the shape (an int or a tuple).
        fill_value: the value; it sets the dtype as :func:`tensor` would (1.5 gives
            float32, 7 int64) unless ``dtype`` is given.
        dtype: optional dtype.
        requires_grad: whether the tensor records operations for ``backward``.
        device: ``None`` or ``"cpu"``.

    Returns:
        A new leaf Tensor.

    >>> import topograd
    >>> topograd.full((2,), 1.5)
    tensor([1.5, 1.5], dtype=float32)
    """
    _check_device(device, "full")
    if dtype is None:
        dtype = as_array(fill_value).dtype
    return _finish(np.full(_size((size,)), fill_value, dtype=as_dtype(dtype)), requires_grad)


def zeros_like(t: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Zeros with ``t``'s shape and dtype.

    Args:
        t: the tensor whose shape (and dtype) to copy.
        dtype: optional dtype instead of ``t``'s.
        requires_grad: whether the result records operations for ``backward``.
        device: ``None`` (``t``'s device, the CPU) or ``"cpu"``.

    Returns:
        A new leaf Tensor.

    >>> import topograd
    >>> topograd.zeros_like(topograd.ones(2, dtype=topograd.float64))
    tensor([0., 0.], dtype=float64)
    """
    if device is not None:
        _check_device(device, "zeros_like")
    return _finish(np.zeros(t.shape, dtype=_dt(dtype, t.dtype)), requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Ones with ``t``'s shape and dtype.

    Args:
        t: the tensor whose shape (and dtype) to copy.
        dtype: optional dtype instead of ``t``'s.
        requires_grad: whether the result records operations for ``backward``.
        device: ``None`` (``t``'s device, the CPU) or ``"cpu"``.

    Returns:
        A new leaf Tensor.

    >>> import topograd
    >>> topograd.ones_like(topograd.zeros(2, 1)).shape
    topograd.Size([2, 1])
    """
    if device is not None:
        _check_device(device, "ones_like")
    return _finish(np.ones(t.shape, dtype=_dt(dtype, t.dtype)), requires_grad)


def empty_like(t: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """An "uninitialized" tensor with ``t``'s shape and dtype (zeros in topograd).

    Args:
        t: the tensor whose shape (and dtype) to copy.
        dtype: optional dtype instead of ``t``'s.
        requires_grad: whether the result records operations for ``backward``.
        device: ``None`` (``t``'s device, the CPU) or ``"cpu"``.

    Returns:
        A new leaf Tensor.

    >>> import topograd
    >>> topograd.empty_like(topograd.ones(2, 3)).shape
    topograd.Size([2, 3])
    """
    if device is not None:
        _check_device(device, "empty_like")
    return _finish(np.zeros(t.shape, dtype=_dt(dtype, t.dtype)), requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, requires_grad: bool = False,
              device=None) -> Tensor:
    """``fill_value`` with ``t``'s shape and dtype.

    Args:
        t: the tensor whose shape (and dtype) to copy.
        fill_value: the value.
        dtype: optional dtype instead of ``t``'s.
        requires_grad: whether the result records operations for ``backward``.
        device: ``None`` (``t``'s device, the CPU) or ``"cpu"``.

    Returns:
        A new leaf Tensor.

    >>> import topograd
    >>> topograd.full_like(topograd.zeros(2), 3.0).tolist()
    [3.0, 3.0]
    """
    if device is not None:
        _check_device(device, "full_like")
    return _finish(np.full(t.shape, fill_value, dtype=_dt(dtype, t.dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False,
           device=None) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``.

    Args:
        start: the first value, or the end when ``end`` is omitted (``arange(5)``).
        end: the bound, not included.
        step: the spacing (nonzero).
        dtype: default int64, or float32 when any of start, end, step is a float.
        requires_grad: whether the result records operations for ``backward``.
        device: ``None`` (the default device) or ``"cpu"``.

    Returns:
        A 1-D leaf Tensor.

    >>> import topograd
    >>> topograd.arange(1, 7, 2).tolist()
    [1, 3, 5]
    >>> topograd.arange(0, 1, 0.25)
    tensor([0.  , 0.25, 0.5 , 0.75], dtype=float32)
    """
    _check_device(device, "arange")
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    is_float = any(isinstance(v, (builtins.float, np.floating)) for v in (start, end, step))
    default = float32 if is_float else int64
    return _finish(np.arange(start, end, step).astype(_dt(dtype, default)), requires_grad)


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False,
             device=None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Args:
        start: the first value.
        end: the last value.
        steps: how many values.
        dtype: default float32.
        requires_grad: whether the result records operations for ``backward``.
        device: ``None`` (the default device) or ``"cpu"``.

    Returns:
        A 1-D leaf Tensor.

    >>> import topograd
    >>> topograd.linspace(0, 1, 3).tolist()
    [0.0, 0.5, 1.0]
    """
    _check_device(device, "linspace")
    return _finish(np.linspace(start, end, steps).astype(_dt(dtype)), requires_grad)


def logspace(start, end, steps: int, base=10.0, dtype=None, requires_grad: bool = False,
             device=None) -> Tensor:
    """``steps`` values from ``base ** start`` to ``base ** end``, evenly spaced in the exponent.

    Args:
        start: the first exponent.
        end: the last exponent.
        steps: how many values.
        base: the base (default 10).
        dtype: default float32.
        requires_grad: whether the result records operations for ``backward``.
        device: ``None`` (the default device) or ``"cpu"``.

    Returns:
        A 1-D leaf Tensor.

    >>> import topograd
    >>> topograd.logspace(0, 2, 3).tolist()
    [1.0, 10.0, 100.0]
    """
    _check_device(device, "logspace")
    return _finish(np.logspace(start, end, steps, base=base).astype(_dt(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False,
        device=None) -> Tensor:
    """The identity matrix (n x m).

    Args:
        n: rows.
        m: columns (default ``n``).
        dtype: default float32.
        requires_grad: whether the result records operations for ``backward``.
        device: ``None`` (the default device) or ``"cpu"``.

    Returns:
        A 2-D leaf Tensor with ones on the diagonal.

    >>> import topograd
    >>> topograd.eye(2).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    _check_device(device, "eye")
    return _finish(np.eye(n, m, dtype=_dt(dtype)), requires_grad)


# -- random ---------------------------------------------------------------------------


def rand(*size, dtype=None, requires_grad: bool = False, generator=None,
         device=None) -> Tensor:
    """Uniform draws from [0, 1), from the generator :func:`manual_seed` seeds.

    Args:
        *size: the shape, as ints or one tuple/list.
        dtype: default float32.
        requires_grad: whether the result records operations for ``backward``.
        generator: a ``numpy.random.Generator`` to draw from instead.
        device: ``None`` (the default device) or ``"cpu"``.

    Returns:
        A new leaf Tensor.

    >>> import topograd
    >>> _ = topograd.manual_seed(0)
    >>> bool(((topograd.rand(100) >= 0) & (topograd.rand(100) < 1)).all())
    True
    """
    _check_device(device, "rand")
    g = generator or default_generator()
    return _finish(g.random(_size(size)).astype(_dt(dtype)), requires_grad)


def randn(*size, dtype=None, requires_grad: bool = False, generator=None,
          device=None) -> Tensor:
    """Standard normal draws, from the generator :func:`manual_seed` seeds.

    Args:
        *size: the shape, as ints or one tuple/list.
        dtype: default float32.
        requires_grad: whether the result records operations for ``backward``.
        generator: a ``numpy.random.Generator`` to draw from instead.
        device: ``None`` (the default device) or ``"cpu"``.

    Returns:
        A new leaf Tensor.

    >>> import topograd
    >>> _ = topograd.manual_seed(0)
    >>> topograd.randn(2, 3).shape
    topograd.Size([2, 3])
    """
    _check_device(device, "randn")
    g = generator or default_generator()
    return _finish(g.standard_normal(_size(size)).astype(_dt(dtype)), requires_grad)


def randint(low, high=None, size=None, dtype=None, generator=None, device=None) -> Tensor:
    """Integers drawn uniformly from [low, high).

    Called as ``randint(high, size)`` or ``randint(low, high, size)``, as in PyTorch.

    Args:
        low: the lowest value, or ``high`` in the two-argument form.
        high: one past the highest value, or the size in the two-argument form.
        size: the shape (a tuple).
        dtype: default int64.
        generator: a ``numpy.random.Generator`` to draw from instead of the global one.
        device: ``None`` (the default device) or ``"cpu"``.

    Returns:
        A new integer Tensor.

    >>> import topograd
    >>> _ = topograd.manual_seed(0)
    >>> topograd.randint(8, (4,)).shape
    topograd.Size([4])
    """
    _check_device(device, "randint")
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


def rand_like(t: Tensor, dtype=None, device=None) -> Tensor:
    """Uniform draws from [0, 1) with ``t``'s shape and dtype.

    Args:
        t: the tensor whose shape (and dtype) to copy.
        dtype: optional dtype instead of ``t``'s.
        device: ``None`` (``t``'s device, the CPU) or ``"cpu"``.

    Returns:
        A new leaf Tensor.

    >>> import topograd
    >>> topograd.rand_like(topograd.zeros(2, dtype=topograd.float64)).dtype
    dtype('float64')
    """
    if device is not None:
        _check_device(device, "rand_like")
    return rand(*t.shape, dtype=_dt(dtype, t.dtype), device="cpu")


def randn_like(t: Tensor, dtype=None, device=None) -> Tensor:
    """Standard normal draws with ``t``'s shape and dtype.

    Args:
        t: the tensor whose shape (and dtype) to copy.
        dtype: optional dtype instead of ``t``'s.
        device: ``None`` (``t``'s device, the CPU) or ``"cpu"``.

    Returns:
        A new leaf Tensor.

    >>> import topograd
    >>> topograd.randn_like(topograd.zeros(3)).shape
    topograd.Size([3])
    """
    if device is not None:
        _check_device(device, "randn_like")
    return randn(*t.shape, dtype=_dt(dtype, t.dtype), device="cpu")


def randperm(n: int, dtype=None, generator=None, device=None) -> Tensor:
    """A random permutation of 0..n-1.

    Args:
        n: how many integers.
        dtype: default int64.
        generator: a ``numpy.random.Generator`` to draw from instead of the global one.
        device: ``None`` (the default device) or ``"cpu"``.

    Returns:
        A 1-D integer Tensor.

    >>> import topograd
    >>> sorted(topograd.randperm(4).tolist())
    [0, 1, 2, 3]
    """
    _check_device(device, "randperm")
    g = generator or default_generator()
    return _finish(g.permutation(n).astype(_dt(dtype, int64)), False)
