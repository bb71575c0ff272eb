"""Operations that NumPy spells as functions and Tensors as methods.

Built-in backward rules call these so that the same rule runs on arrays (the fast
path) and on Tensors (when ``create_graph=True`` makes the gradient differentiable).
"""

from __future__ import annotations

import numpy as np


def _is_array(a) -> bool:
    return type(a) is np.ndarray or not hasattr(a, "_data")


def exp(a):
    return np.exp(a) if _is_array(a) else a.exp()


def log(a):
    return np.log(a) if _is_array(a) else a.log()


def sin(a):
    return np.sin(a) if _is_array(a) else a.sin()


def cos(a):
    return np.cos(a) if _is_array(a) else a.cos()


def sign(a):
    return np.sign(a) if _is_array(a) else a.sign()


def where(cond, a, b):
    """``cond`` is a boolean array (never differentiated); a or b may be Tensors."""
    if _is_array(a) and _is_array(b):
        return np.where(cond, a, b)
    from ..tensor import where as _where

    return _where(cond, a, b)


def broadcast_to(a, shape):
    return np.broadcast_to(a, shape) if _is_array(a) else a.expand(*shape)


def permute(a, axes):
    return np.transpose(a, axes) if _is_array(a) else a.permute(*axes)


def swap_last(a):
    return np.swapaxes(a, -1, -2) if _is_array(a) else a.swapaxes(-1, -2)


def scatter(g, index, shape, accumulate: bool):
    """A zero array of ``shape`` with ``g`` added at ``index`` (the backward of indexing)."""
    if _is_array(g):
        out = np.zeros(shape, dtype=g.dtype)
        if accumulate:
            np.add.at(out, index, g)
        else:
            out[index] = g
        return out
    from .movement import Scatter

    return Scatter.apply(g, index=index, shape=shape, accumulate=accumulate)


def concat(parts, axis):
    if all(_is_array(p) for p in parts):
        return np.concatenate(parts, axis=axis)
    from ..tensor import Tensor, cat

    return cat([p if isinstance(p, Tensor) else Tensor._from_array(p) for p in parts], axis)
