"""Reductions: sum, mean, max/min (amax semantics), logsumexp.

``axis`` is None (all axes) or a tuple of non-negative axes, normalized by the caller.
"""

from __future__ import annotations

import numpy as np

from . import _xp
from .elementwise import Primitive


def _expand_grad(g, ctx):
    """Put back the reduced axes as size-1 axes so ``g`` broadcasts against the input."""
    if not ctx.keepdims and ctx.axis is not None:
        g = g.reshape(ctx.kept_shape)
    return g


def _kept_shape(shape, axis):
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else s for i, s in enumerate(shape))


class Sum(Primitive):
    """Sum over ``axis``. Backward broadcasts the gradient back over the summed axes."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axis, ctx.keepdims, ctx.shape = axis, keepdims, x.shape
        ctx.kept_shape = _kept_shape(x.shape, axis)
        out = x.sum(axis=axis, keepdims=keepdims)
        return out

    @staticmethod
    def backward(ctx, g):
        if ctx.axis is None and not ctx.keepdims:
            g = g.reshape(ctx.kept_shape)
        return _xp.broadcast_to(_expand_grad(g, ctx), ctx.shape)


class Mean(Primitive):
    """Mean over ``axis``."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axis, ctx.keepdims, ctx.shape = axis, keepdims, x.shape
        ctx.kept_shape = _kept_shape(x.shape, axis)
        out = x.mean(axis=axis, keepdims=keepdims)
        ctx.n = x.size // max(out.size, 1) if x.size else 0
        return out

    @staticmethod
    def backward(ctx, g):
        if ctx.axis is None and not ctx.keepdims:
            g = g.reshape(ctx.kept_shape)
        g = _expand_grad(g, ctx) / ctx.n
        return _xp.broadcast_to(g, ctx.shape)


class Amax(Primitive):
    """Max over ``axis``; the gradient is shared evenly among tied maxima.

    With ``index`` (the argmax along the single axis, keepdims-shaped) the values are
    taken at that index and the whole gradient goes there: ``max(dim)``'s rule in PyTorch.
    """

    _reduce = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx, x, axis=None, keepdims=False, index=None):
        if x.size == 0:
            raise RuntimeError(
                f"{cls.__name__.lower()}(): expected a non-empty tensor, found shape {x.shape}"
            )
        ctx.axis, ctx.keepdims, ctx.shape = axis, keepdims, x.shape
        ctx.kept_shape = _kept_shape(x.shape, axis)
        if index is not None:
            (ax,) = axis
            out_k = np.take_along_axis(x, index, axis=ax)
            w = np.zeros_like(x)
            np.put_along_axis(w, index, 1, axis=ax)
            ctx.weights = w
        else:
            out_k = cls._reduce(x, axis=axis, keepdims=True)
            mask = (x == out_k) | (np.isnan(x) if x.dtype.kind == "f" else False)
            count = mask.sum(axis=axis, keepdims=True)
            ctx.weights = (mask / count).astype(x.dtype, copy=False)
        return out_k if keepdims else _drop(out_k, axis)

    @staticmethod
    def backward(ctx, g):
        if ctx.axis is None and not ctx.keepdims:
            g = g.reshape(ctx.kept_shape)
        return _expand_grad(g, ctx) * ctx.weights


class Amin(Amax):
    """Min over ``axis``; the gradient is shared evenly among tied minima."""

    _reduce = staticmethod(np.min)


def _drop(out_k, axis):
    if axis is None:
        return out_k.reshape(())
    return out_k.reshape(tuple(s for i, s in enumerate(out_k.shape) if i not in axis))


class LogSumExp(Primitive):
    """log(sum(exp(x))) over ``axis``, computed stably by shifting by the max."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axis, ctx.keepdims, ctx.shape = axis, keepdims, x.shape
        ctx.kept_shape = _kept_shape(x.shape, axis)
        m = np.max(x, axis=axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):  # a row of -inf has logsumexp -inf, as PyTorch
            out_k = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
        ctx.save_for_backward(x, out_k)
        return out_k if keepdims else _drop(out_k, axis)

    @staticmethod
    def backward(ctx, g):
        x, out_k = ctx.saved
        if not isinstance(x, np.ndarray):  # create_graph: out_k must depend on x
            out_k = x.logsumexp(dim=ctx.axis, keepdim=True)
        if ctx.axis is None and not ctx.keepdims:
            g = g.reshape(ctx.kept_shape)
        return _expand_grad(g, ctx) * _xp.exp(x - out_k)
