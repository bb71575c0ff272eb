"""Reductions: sum, mean, max/min (amax semantics), logsumexp, prod.

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


class Prod(Primitive):
    """Product over ``axis``, differentiable where inputs are zero (PyTorch's rule).

    With no zero in the input the gradient is ``g * out / x``. With zeros each element
    gets the product of the *other* elements of its slice, computed with exclusive
    cumulative products: an element that is a slice's only zero gets the product of
    the rest, and every element of a slice with two zeros or more gets zero. Under
    ``create_graph`` those exclusive products are built from differentiable
    multiplications, so the gradient can be differentiated again.

    >>> import topograd
    >>> x = topograd.tensor([2.0, 0.0, 5.0], requires_grad=True)
    >>> x.prod().backward()
    >>> x.grad.tolist()
    [0.0, 10.0, 0.0]
    """

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axis, ctx.keepdims, ctx.shape = axis, keepdims, x.shape
        ctx.kept_shape = _kept_shape(x.shape, axis)
        out_k = np.prod(x, axis=axis, keepdims=True)
        if x.dtype.kind in "biu":
            out_k = out_k.astype(np.int64)  # integers and bools multiply to int64, as torch
        out = out_k if keepdims else _drop(out_k, axis)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved
        if x.ndim == 0 or ctx.axis == ():
            return g.reshape(ctx.shape)  # nothing was multiplied
        g = g.reshape(ctx.kept_shape)
        arr = x if _xp._is_array(x) else x._data
        if arr.size == 0:
            return _xp.broadcast_to(g, ctx.shape)
        zeros = np.count_nonzero(arr == 0)
        if not zeros:
            return g * (out.reshape(ctx.kept_shape) / x)
        if _xp._is_array(x):
            if ctx.axis is None and zeros > 1:
                return np.zeros_like(x)  # torch's shortcut for the full product
            return g * _others_product(x, ctx.axis)
        return g * _others_product_graph(x, ctx.axis)


def _to_last(shape, axis):
    """The permutation that moves ``axis`` (None: all) last, and the reduced size."""
    red = tuple(range(len(shape))) if axis is None else axis
    keep = tuple(i for i in range(len(shape)) if i not in red)
    n = 1
    for i in red:
        n *= shape[i]
    return keep + red, keep, n


def _others_product(x, axis):
    """For each element, the product of the other elements of its slice (arrays).

    The exclusive products from the left and from the right, multiplied: PyTorch's
    ``prod_safe_zeros_backward``, in the same order of operations.
    """
    perm, keep, n = _to_last(x.shape, axis)
    xt = np.transpose(x, perm).reshape(tuple(x.shape[i] for i in keep) + (n,))
    ones = np.ones(xt.shape[:-1] + (1,), dtype=x.dtype)
    left = np.cumprod(np.concatenate([ones, xt[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, xt[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = (left * right).reshape(tuple(x.shape[i] for i in perm))
    return np.transpose(others, np.argsort(perm))


def _others_product_graph(x, axis):
    """:func:`_others_product` for a Tensor, differentiably (``create_graph``).

    The exclusive products come from prefix and suffix products, each a scan of
    log2(n) shifted multiplications: only products (no division), so zeros are exact,
    and the graph holds O(n log n) values per slice.
    """
    from ..tensor import Tensor

    shape = tuple(x.shape)
    perm, keep, n = _to_last(shape, axis)
    kept = tuple(shape[i] for i in keep)
    xt = x.permute(*perm).reshape(*kept, n)

    def ones(k):
        return Tensor._from_array(np.ones(kept + (k,), dtype=x.dtype))

    pre = suf = xt
    step = 1
    while step < n:
        pre = pre * _xp.concat([ones(step), pre[..., : n - step]], -1)
        suf = suf * _xp.concat([suf[..., step:], ones(step)], -1)
        step *= 2
    left = _xp.concat([ones(1), pre[..., : n - 1]], -1)
    right = _xp.concat([suf[..., 1:], ones(1)], -1)
    others = (left * right).reshape(*(shape[i] for i in perm))
    return others.permute(*(int(i) for i in np.argsort(perm)))
