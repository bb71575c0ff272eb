"""What every primitive is built on: :class:`Primitive`, and operations on arrays or Tensors.

A primitive is a :class:`~topograd.autograd.Function` whose ``forward`` and ``backward``
see NumPy arrays. Its positional arguments are its inputs, its keyword arguments
settings (``Sum.apply(x, axis=(0,))``). In forward, ``ctx.needs_input_grad[i]`` says
whether input i needs a gradient (the one way to ask it), so forward keeps only what
those gradients need, by index: ``ctx.retain_inputs((0,))``,
``ctx.retain_outputs((0,))``, read back in backward as ``ctx.saved_inputs[i]`` /
``ctx.saved_outputs[i]``. Backward returns one gradient per positional input, None where
``ctx.needs_input_grad[i]`` is False.

Backward rules are written with the operations below, which NumPy spells as functions
and Tensors as methods: the same rule then runs on arrays (the fast path) and on Tensors
(when ``create_graph=True`` makes the gradient differentiable). A rule that cannot run on
Tensors refuses them with :func:`array_only`.

>>> import numpy as np, topograd
>>> exp(np.zeros(1)), exp(topograd.zeros(1))
(array([1.]), tensor([1.], dtype=float32))
"""

from __future__ import annotations

import numpy as np

from .. import tensor as _tensor  # the core loop: Tensor is read at call time
from ..autograd.function import Function


class Primitive(Function):
    """A built-in operation: forward and backward see NumPy arrays.

    >>> import numpy as np, topograd
    >>> class Double(Primitive):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         return x * 2
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         return g * 2
    >>> x = topograd.ones(2, requires_grad=True)
    >>> Double.apply(x).sum().backward()
    >>> x.grad.tolist()
    [2.0, 2.0]
    """

    _array_api = True


def array_only(g, name: str) -> None:
    """Refuse a Tensor gradient (create_graph); an array or a NumPy scalar is fine."""
    if hasattr(g, "_data"):
        raise RuntimeError(
            f"{name}: double backward (create_graph=True) is not supported through this fused "
            "primitive; compose the operation from Tensor methods to differentiate twice"
        )


# -- operations on an array or a Tensor --------------------------------------------------


def is_array(a) -> bool:
    """True for an ndarray or a number, False for a Tensor."""
    return type(a) is np.ndarray or not hasattr(a, "_data")


def data(v) -> np.ndarray:
    """The values of ``v`` as an array: a Tensor's array, or ``v`` itself as one."""
    return v._data if hasattr(v, "_data") else np.asarray(v)


def zeros_like(a):
    """Zeros of ``a``'s shape and dtype (a constant, for a Tensor)."""
    if is_array(a):
        return np.zeros_like(a)
    return _tensor.Tensor._from_array(np.zeros(a.shape, dtype=a.dtype))


def exp(a):
    return np.exp(a) if is_array(a) else a.exp()


def log(a):
    return np.log(a) if is_array(a) else a.log()


def sin(a):
    return np.sin(a) if is_array(a) else a.sin()


def cos(a):
    return np.cos(a) if is_array(a) else a.cos()


def sign(a):
    return np.sign(a) if is_array(a) else a.sign()


def where(cond, a, b):
    """``cond`` is a boolean array (never differentiated); a or b may be Tensors."""
    if is_array(a) and is_array(b):
        return np.where(cond, a, b)
    from ..ops import where as _where

    return _where(cond, a, b)


def broadcast_to(a, shape):
    return np.broadcast_to(a, shape) if is_array(a) else a.expand(*shape)


def permute(a, axes):
    return np.transpose(a, axes) if is_array(a) else a.permute(*axes)


def swap_last(a):
    return np.swapaxes(a, -1, -2) if is_array(a) else a.swapaxes(-1, -2)


def scatter(g, index, shape, accumulate: bool):
    """A zero array of ``shape`` with ``g`` added at ``index`` (the backward of indexing)."""
    if is_array(g):
        out = np.zeros(shape, dtype=g.dtype)
        if accumulate:
            np.add.at(out, index, g)
        else:
            out[index] = g
        return out
    from .movement import Scatter

    return Scatter.apply(g, index=index, shape=shape, accumulate=accumulate)


def concat(parts, axis):
    if all(is_array(p) for p in parts):
        return np.concatenate(parts, axis=axis)
    from ..ops import cat

    Tensor = _tensor.Tensor
    return cat([p if isinstance(p, Tensor) else Tensor._from_array(p) for p in parts], axis)
