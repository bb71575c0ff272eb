"""Function forms of tensor methods (``topograd.exp(x)``, ``topograd.sum(x, dim=1)``, ...).

>>> import topograd
>>> topograd.maximum(topograd.tensor([1.0, 5.0]), topograd.tensor([3.0, 2.0])).tolist()
[3.0, 5.0]
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor, cat, stack, where


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

for _name in _NAMES:
    globals()[_name] = _method(_name)

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
    from .primitives import Pad

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
    return Pad.apply(input, tuple(widths), value)


def numpy_dtype(dtype) -> np.dtype:
    """The NumPy dtype for a topograd dtype (they are the same objects)."""
    return np.dtype(dtype)


__all__ = [*_NAMES, "cat", "concat", "concatenate", "stack", "where", "pad", "is_tensor"]
