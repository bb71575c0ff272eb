"""Random tensors: rand, randn, randint, randperm and the ``*_like`` forms, drawn from the
generator :func:`~topograd.manual_seed` seeds (re-exported by :mod:`topograd.creation`)."""

from __future__ import annotations

from .creation import _check_device, _dt, _finish, _size, int64
from .random import default_generator
from .tensor import Tensor


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
