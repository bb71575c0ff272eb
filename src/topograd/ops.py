"""Functions of tensors: ``where``, ``cat``, ``stack``, ``pad``, and the function forms of
tensor methods (``topograd.exp(x)``, ``topograd.sum(x, dim=1)``, ...).

>>> import topograd
>>> topograd.maximum(topograd.tensor([1.0, 5.0]), topograd.tensor([3.0, 2.0])).tolist()
[3.0, 5.0]
"""

from __future__ import annotations

import numpy as np

from . import dtypes
from .primitives import Cat, Pad, Stack, Where
from .tensor import Tensor


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _method(name: str):
    def fn(input, *args, **kwargs):
        return getattr(_t(input), name)(*args, **kwargs)

    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"Function form of ``Tensor.{name}``: ``topograd.{name}(t, ...)``."
    return fn


_NAMES = [
    "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "sign", "square",
    "maximum", "minimum", "clamp", "clip", "sum", "mean", "var", "std", "max", "min", "amax",
    "amin", "logsumexp", "argmax", "argmin", "reshape", "flatten", "transpose", "permute",
    "squeeze", "unsqueeze", "split", "chunk", "unbind", "matmul", "mm", "softmax",
    "log_softmax", "t", "eq", "ne", "lt", "le", "gt", "ge", "equal", "allclose", "isnan",
    "isfinite", "all", "any", "prod", "norm", "masked_fill", "swapaxes", "pow", "neg",
    "add", "sub", "mul", "div", "numel", "floor_divide", "remainder", "clone", "detach",
]

for _name in _NAMES:  # note: this shadows the builtins any, all, max, min, sum, abs, pow
    globals()[_name] = _method(_name)


# -- making one tensor of several -----------------------------------------------------


def where(condition, x, y) -> Tensor:
    """Elementwise ``x`` where ``condition`` holds, else ``y`` (broadcasting).

    Args:
        condition: a bool tensor or array (not differentiated).
        x: values where the condition holds: a tensor, an array or a number.
        y: values elsewhere. A Python number keeps the other operand's dtype (a float
            with an integer tensor gives float32); two tensors are promoted as ``cat``.

    Returns:
        A tensor of the broadcast shape; the gradient flows to ``x`` and ``y`` where
        each was chosen.

    >>> import topograd
    >>> topograd.where(topograd.tensor([True, False]), 1.0, 0.0)
    tensor([1., 0.], dtype=float32)
    """
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x, y = _scalar_pair(x, y)
    else:
        # a Python scalar keeps the tensor's dtype unless it is a float meeting integers
        # (then float32); two tensors are brought to one dtype as cat() does
        if not isinstance(x, Tensor):
            x = Tensor._from_array(np.asarray(x)) if not np.isscalar(x) else x
        if not isinstance(y, Tensor):
            y = Tensor._from_array(np.asarray(y)) if not np.isscalar(y) else y
        if not isinstance(x, Tensor):
            y, x = _scalar_with(y, x)
        elif not isinstance(y, Tensor):
            x, y = _scalar_with(x, y)
        else:
            x, y = _same_dtype([x, y])
    try:
        np.broadcast_shapes(cond.shape, np.shape(_raw(x)), np.shape(_raw(y)))
    except ValueError:
        raise RuntimeError(
            f"where: condition {cond.shape}, x {np.shape(_raw(x))} and y {np.shape(_raw(y))} "
            "cannot be broadcast together"
        ) from None
    return Where.apply(cond, x, y)


def _scalar_with(t: Tensor, scalar):
    """``(t, scalar as a 0-d array)`` in one dtype, by the Python-scalar rule."""
    dt = dtypes.scalar_result_type(t._data.dtype, scalar)
    if dt != t._data.dtype:
        t = t.type(dt)
    return t, np.asarray(scalar, dtype=dt)


def _raw(v):
    return v._data if isinstance(v, Tensor) else v


def _scalar_pair(x, y):
    ax, ay = np.asarray(x), np.asarray(y)
    dt = np.result_type(ax, ay)
    if dt == np.float64 and not (isinstance(x, np.ndarray) or isinstance(y, np.ndarray)):
        dt = np.float32
    return ax.astype(dt), ay.astype(dt)


def cat(tensors, dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Concatenate tensors along an existing dimension.

    Args:
        tensors: a non-empty sequence of tensors (at least 1-D) that agree in every other
            dimension; integer and float tensors together give the float dtype.
        dim: the dimension (negative counts from the end); ``axis`` is NumPy's spelling.

    Returns:
        A tensor; backward hands each input its slice of the gradient.

    >>> import topograd
    >>> topograd.cat([topograd.ones(2), topograd.zeros(1)]).tolist()
    [1.0, 1.0, 0.0]
    """
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat expected a non-empty list of tensors")
    for k, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(
                f"zero-dimensional tensor (at position {k}) cannot be concatenated"
            )
    d = tensors[0]._norm_dim(dim if axis is None else axis)
    ref = tensors[0].shape
    for k, t in enumerate(tensors[1:], 1):
        s = t.shape
        if len(s) != len(ref) or [a for i, a in enumerate(s) if i != d] != [
                b for i, b in enumerate(ref) if i != d]:
            raise RuntimeError(
                f"Sizes of tensors must match except in dimension {d}: expected "
                f"{tuple(ref)} (tensor 0) but found {tuple(s)} (tensor {k})"
            )
    return Cat.apply(*_same_dtype(tensors), axis=d)


def stack(tensors, dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Stack same-shaped tensors along a new dimension.

    Args:
        tensors: a non-empty sequence of tensors of one shape.
        dim: where the new dimension goes (negative counts from the end); ``axis`` is
            NumPy's spelling.

    Returns:
        A tensor with one more dimension.

    >>> import topograd
    >>> topograd.stack([topograd.zeros(2), topograd.ones(2)], dim=1).tolist()
    [[0.0, 1.0], [0.0, 1.0]]
    """
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack expects a non-empty list of tensors")
    ref = tensors[0].shape
    for k, t in enumerate(tensors[1:], 1):
        if t.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {tuple(ref)} at entry 0 "
                f"and {tuple(t.shape)} at entry {k}"
            )
    d = dim if axis is None else axis
    nd = len(ref) + 1
    if not -nd <= d < nd:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {d})"
        )
    return Stack.apply(*_same_dtype(tensors), axis=d % nd)


def _same_dtype(tensors):
    """Bring tensors to one dtype: NumPy promotion, except that integers joining floats
    take the float dtype (int64 with float32 gives float32, not float64)."""
    dts = {t._data.dtype for t in tensors}
    if len(dts) == 1:
        return tensors
    dt = dtypes.result_type(*dts)
    return [t if t._data.dtype == dt else t.type(dt) for t in tensors]


concat = concatenate = cat


def is_tensor(obj) -> bool:
    """True for topograd tensors.

    >>> import topograd
    >>> topograd.is_tensor(topograd.ones(1)), topograd.is_tensor([1.0])
    (True, False)
    """
    return isinstance(obj, Tensor)


def pad(input: Tensor, pad, mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad the last dimensions with a constant, as ``torch.nn.functional.pad``.

    Args:
        input: the tensor.
        pad: (left, right) widths, starting from the last dimension:
            ``(1, 2)`` pads the last, ``(1, 2, 0, 3)`` the last two; negative widths crop.
        mode: only ``"constant"``.
        value: the fill value.

    Returns:
        The padded tensor; the gradient of the kept input elements flows back.

    >>> import topograd
    >>> topograd.pad(topograd.ones(2), (1, 2)).tolist()
    [0.0, 1.0, 1.0, 0.0, 0.0]
    """
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is supported, found {mode!r}")
    pad = tuple(int(p) for p in pad)
    nd = input.ndim
    if len(pad) % 2 or len(pad) // 2 > nd:
        raise RuntimeError(
            f"Padding length must be divisible by 2 and at most twice the number of "
            f"dimensions of the input ({nd}), found {len(pad)}"
        )
    widths = [(0, 0)] * nd
    for i in range(len(pad) // 2):
        widths[nd - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    for (a, b), n in zip(widths, input.shape):
        if n + a + b < 0:
            raise RuntimeError(f"pad: padding {pad} would give a negative size for shape "
                               f"{tuple(input.shape)}")
    return Pad.apply(input, widths=tuple(widths), value=value)


def numpy_dtype(dtype) -> np.dtype:
    """The NumPy dtype for a topograd dtype (they are the same objects)."""
    return np.dtype(dtype)


__all__ = [*_NAMES, "cat", "concat", "concatenate", "stack", "where", "pad", "is_tensor"]
