"""Reductions: sum, mean, max/min (amax semantics), logsumexp, prod.

``axis`` is None (all axes) or a tuple of non-negative axes, normalized by the caller;
like every setting it is a keyword (``Sum.apply(x, axis=(0,), keepdims=True)``).
"""

from __future__ import annotations

import math

import numpy as np

from . import base as xp
from .base import Primitive


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
    def forward(ctx, x, *, axis=None, keepdims=False):
        ctx.axis, ctx.keepdims, ctx.shape = axis, keepdims, x.shape
        ctx.kept_shape = _kept_shape(x.shape, axis)
        out = x.sum(axis=axis, keepdims=keepdims)
        return out

    @staticmethod
    def backward(ctx, g):
        if ctx.axis is None and not ctx.keepdims:
            g = g.reshape(ctx.kept_shape)
        return xp.broadcast_to(_expand_grad(g, ctx), ctx.shape)


class Mean(Primitive):
    """Mean over ``axis``."""

    @staticmethod
    def forward(ctx, x, *, axis=None, keepdims=False):
        ctx.axis, ctx.keepdims, ctx.shape = axis, keepdims, x.shape
        ctx.kept_shape = _kept_shape(x.shape, axis)
        total = x.sum(axis=axis, keepdims=keepdims)  # what x.mean divides, without its
        ctx.n = n = x.size // max(total.size, 1) if x.size else 0  # empty-slice warning
        if n:
            return total / n
        with np.errstate(invalid="ignore"):  # the mean of nothing is nan, silently
            return total / n

    @staticmethod
    def backward(ctx, g):
        if ctx.axis is None and not ctx.keepdims:
            g = g.reshape(ctx.kept_shape)
        g = _expand_grad(g, ctx) / ctx.n
        return xp.broadcast_to(g, ctx.shape)


class Amax(Primitive):
    """Max over ``axis``; the gradient is shared evenly among tied maxima.

    With ``index`` (the argmax along the single axis, keepdims-shaped) the values are
    taken at that index and the whole gradient goes there: ``max(dim)``'s rule in PyTorch.
    """

    _reduce = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx, x, *, axis=None, keepdims=False, index=None):
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
        out = out_k if keepdims else _drop(out_k, axis)
        if index is None:  # unused by backward, but version-checked (as PyTorch's amax)
            ctx.retain_inputs((0,))
            ctx.retain_outputs((0,))
        return out

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
    def forward(ctx, x, *, axis=None, keepdims=False):
        ctx.axis, ctx.keepdims, ctx.shape = axis, keepdims, x.shape
        ctx.kept_shape = _kept_shape(x.shape, axis)
        m = np.max(x, axis=axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):  # a row of -inf has logsumexp -inf, as PyTorch
            out_k = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
        out = out_k if keepdims else _drop(out_k, axis)
        ctx.retain_inputs((0,))
        ctx.retain_outputs((0,))
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_inputs[0], ctx.saved_outputs[0]
        if not isinstance(x, np.ndarray):  # create_graph: out_k must depend on x
            out_k = x.logsumexp(dim=ctx.axis, keepdim=True)
        else:
            out_k = out.reshape(ctx.kept_shape)
        if ctx.axis is None and not ctx.keepdims:
            g = g.reshape(ctx.kept_shape)
        return _expand_grad(g, ctx) * xp.exp(x - out_k)


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
    def forward(ctx, x, *, axis=None, keepdims=False):
        ctx.axis, ctx.keepdims, ctx.shape = axis, keepdims, x.shape
        ctx.kept_shape = _kept_shape(x.shape, axis)
        out_k = np.prod(x, axis=axis, keepdims=True)
        if x.dtype.kind in "biu":
            out_k = out_k.astype(np.int64)  # integers and bools multiply to int64, as torch
        out = out_k if keepdims else _drop(out_k, axis)
        ctx.retain_inputs((0,))
        ctx.retain_outputs((0,))
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_inputs[0], ctx.saved_outputs[0]
        if x.ndim == 0 or ctx.axis == ():
            return g.reshape(ctx.shape)  # nothing was multiplied
        g = g.reshape(ctx.kept_shape)
        arr = x if xp.is_array(x) else x._data
        if arr.size == 0:
            return xp.broadcast_to(g, ctx.shape)
        zeros = np.count_nonzero(arr == 0)
        if not zeros:
            return g * (out.reshape(ctx.kept_shape) / x)
        if xp.is_array(x):
            if ctx.axis is None and zeros > 1:
                return np.zeros_like(x)  # torch's shortcut for the full product
            return g * _others_product(x, ctx.axis)
        return g * _others_product_graph(x, ctx.axis)


class Norm(Primitive):
    """The vector p-norm over ``axis`` (PyTorch's ``linalg.vector_norm``), one node.

    ``p`` is a number: 2, 1, inf, -inf, 0 (the count of nonzeros) or any other. Backward
    is PyTorch's rule, so the gradient where the norm is 0 is 0 (not 0 / 0 = nan), and
    for p < 1 it is 0 where an element is 0.

    >>> import topograd
    >>> x = topograd.zeros(3, requires_grad=True)
    >>> x.norm().backward()
    >>> x.grad.tolist()
    [0.0, 0.0, 0.0]
    """

    @staticmethod
    def forward(ctx, x, *, p=2.0, axis=None, keepdims=False):
        ctx.axis, ctx.keepdims, ctx.shape, ctx.p = axis, keepdims, x.shape, p
        ctx.kept_shape = _kept_shape(x.shape, axis)
        a = np.abs(x)
        if p == 2:
            out_k = np.sqrt((a * a).sum(axis=axis, keepdims=True))
        elif p == 1:
            out_k = a.sum(axis=axis, keepdims=True)
        elif p == math.inf or p == -math.inf:
            if x.size == 0:
                raise RuntimeError(
                    f"linalg.vector_norm cannot compute the {p} norm on an empty tensor "
                    "because the operation does not have an identity")
            out_k = (np.max if p > 0 else np.min)(a, axis=axis, keepdims=True)
        elif p == 0:
            out_k = (x != 0).sum(axis=axis, keepdims=True).astype(x.dtype)
        else:
            with np.errstate(divide="ignore", over="ignore"):  # 0 ** -1: inf, as PyTorch
                out_k = (a**p).sum(axis=axis, keepdims=True) ** (1.0 / p)
        out = out_k if keepdims else _drop(out_k, axis)
        ctx.retain_inputs((0,))
        ctx.retain_outputs((0,))
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_inputs[0], ctx.saved_outputs[0]
        p = ctx.p
        if not ctx.keepdims:
            g = g.reshape(ctx.kept_shape)
            out = out.reshape(ctx.kept_shape)
        xd = x if xp.is_array(x) else x._data
        dt = xd.dtype
        if p == 0:
            return None  # no gradient at all, as PyTorch (the count of nonzeros)
        if p == 1:
            return xp.sign(x) * g
        zero = np.zeros((), dt)
        if p == math.inf or p == -math.inf:  # shared among the elements at the norm (or nan)
            ad = np.abs(xd)
            od = out if xp.is_array(out) else out._data
            mask = (ad == od) | np.isnan(ad)
            count = mask.sum(axis=ctx.axis, keepdims=True).astype(dt)
            return xp.sign(x) * ((g / count) * mask.astype(dt))
        od = out if xp.is_array(out) else out._data
        at_zero = od == 0  # where the norm is 0 the gradient is 0 (PyTorch masks it)
        safe = xp.where(at_zero, np.ones((), dt), out) if at_zero.any() else out
        if p == 2:
            return g * xp.where(at_zero, zero, x / safe)
        if p < 1:
            x_zero = xd == 0
            ax = abs(xp.where(x_zero, np.ones((), dt), x)) if x_zero.any() else abs(x)
            scaled = xp.sign(x) * xp.where(x_zero, zero, ax ** (p - 1))
            return scaled * g * out ** (1 - p)
        scaled = xp.sign(x) * abs(x) ** (p - 1) if p < 2 else x * abs(x) ** (p - 2)
        return scaled * xp.where(at_zero, zero, g / safe ** (p - 1))


class Var(Primitive):
    """Variance over ``axis``: the squared deviations from the mean summed and divided by
    ``max(0, n - correction)`` (PyTorch's rule; no divisor left gives inf or nan)."""

    @staticmethod
    def forward(ctx, x, *, axis=None, correction=1, keepdims=False):
        out = _var_forward(ctx, x, axis, correction, keepdims)
        ctx.retain_inputs((0,))
        return out

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved_inputs[0]
        return _var_backward(ctx, x, g)


class Std(Primitive):
    """Standard deviation, the square root of :class:`Var`; PyTorch's gradient: 0 where
    the result is 0 (a constant slice), not 1 / (2 sqrt 0) times 0 = nan."""

    @staticmethod
    def forward(ctx, x, *, axis=None, correction=1, keepdims=False):
        out = _var_forward(ctx, x, axis, correction, keepdims)
        with np.errstate(invalid="ignore"):
            out = np.sqrt(out)
        ctx.retain_inputs((0,))
        ctx.retain_outputs((0,))
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_inputs[0], ctx.saved_outputs[0]
        od = out if xp.is_array(out) else out._data
        at_zero = od == 0
        if at_zero.any():
            dt = od.dtype
            g = xp.where(at_zero, np.zeros((), dt),
                          g / (xp.where(at_zero, np.ones((), dt), out) * 2))
        else:
            g = g / (out * 2)
        return _var_backward(ctx, x, g)


def _var_forward(ctx, x, axis, correction, keepdims):
    ctx.axis, ctx.keepdims, ctx.shape = axis, keepdims, x.shape
    ctx.kept_shape = _kept_shape(x.shape, axis)
    n = x.size if axis is None else math.prod(x.shape[a] for a in axis)
    ctx.dof = dof = max(n - correction, 0)
    with np.errstate(divide="ignore", invalid="ignore"):  # no elements, or no divisor
        c = x - x.sum(axis=axis, keepdims=True) / n if n else x
        return (c * c).sum(axis=axis, keepdims=keepdims) / dof


def _var_backward(ctx, x, g):
    """PyTorch's var_backward: (2 / (n - correction)) g (x - mean(x))."""
    if not ctx.keepdims:
        g = g.reshape(ctx.kept_shape)
    xd = x if xp.is_array(x) else x._data
    if xd.size == 0:
        return np.zeros_like(xd)
    scale = 2.0 / ctx.dof if ctx.dof > 0 else math.inf
    return (scale * g) * (x - x.mean(axis=ctx.axis, keepdims=True))


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
        pre = pre * xp.concat([ones(step), pre[..., : n - step]], -1)
        suf = suf * xp.concat([suf[..., step:], ones(step)], -1)
        step *= 2
    left = xp.concat([ones(1), pre[..., : n - 1]], -1)
    right = xp.concat([suf[..., 1:], ones(1)], -1)
    others = (left * right).reshape(*(shape[i] for i in perm))
    return others.permute(*(int(i) for i in np.argsort(perm)))
