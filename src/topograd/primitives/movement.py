"""Shape and movement primitives: reshape, permute, expand, indexing, cat, stack, pad.

None of these computes anything; their backward moves the gradient back to where each
input element came from. Indexing scatters it back, adding where an index repeats.

The view operations (indexing, reshape, permute, expand) are also replayed from a
recorded list of steps (:func:`view_array`, :func:`view_tensor`), and
:class:`CopySlices` is a base after an in-place update of one of its views: see
:mod:`topograd.autograd.inplace`.
"""

from __future__ import annotations

import numpy as np

from . import base as xp
from .base import Primitive


class Reshape(Primitive):
    """View x with another shape (same number of elements)."""

    @staticmethod
    def forward(ctx, x, *, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape)


class Permute(Primitive):
    """Reorder the axes of x (``axes`` is a full permutation)."""

    @staticmethod
    def forward(ctx, x, *, axes):
        ctx.inverse = tuple(np.argsort(axes))
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, g):
        return xp.permute(g, ctx.inverse)


class Expand(Primitive):
    """Broadcast x to ``shape`` (a read-only view); the engine sums the gradient back."""

    @staticmethod
    def forward(ctx, x, *, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g


def is_basic_index(index) -> bool:
    """True for indices made only of ints, slices, None and Ellipsis (no repeats possible)."""
    items = index if isinstance(index, tuple) else (index,)
    for it in items:
        if it is None or it is Ellipsis or isinstance(it, (slice, int, np.integer)):
            continue
        if isinstance(it, np.ndarray) and it.dtype == bool:
            continue
        return False
    return True


class GetItem(Primitive):
    """x[index]: basic, integer-array and boolean indexing.

    Backward scatters the gradient into a zero array of x's shape; integer arrays may
    repeat an element, so their gradients are added (``np.add.at``), never overwritten.
    """

    @staticmethod
    def forward(ctx, x, *, index):
        ctx.index, ctx.shape = index, x.shape
        out = x[index]
        if type(out) is not np.ndarray:
            # an int for every dimension: NumPy gives a scalar (a copy); x[i, ...] gives
            # the 0-d view PyTorch's x[i] is
            out = x[(index if type(index) is tuple else (index,)) + (Ellipsis,)]
        ctx.accumulate = not is_basic_index(index)
        return out

    @staticmethod
    def backward(ctx, g):
        return xp.scatter(g, ctx.index, ctx.shape, ctx.accumulate)


class Scatter(Primitive):
    """The backward of indexing as an operation of its own (used by ``create_graph``)."""

    @staticmethod
    def forward(ctx, g, *, index, shape, accumulate):
        ctx.index = index
        return xp.scatter(g, index, shape, accumulate)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.index]


class Cat(Primitive):
    """Concatenate arrays along ``axis``."""

    @staticmethod
    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        ctx.bounds = np.cumsum([x.shape[axis] for x in xs])[:-1].tolist()
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        ax = ctx.axis % len(g.shape)
        edges = [0] + ctx.bounds + [g.shape[ax]]
        lead = (slice(None),) * ax
        return tuple(
            g[lead + (slice(a, b),)] if need else None
            for a, b, need in zip(edges[:-1], edges[1:], ctx.needs_input_grad)
        )


class Stack(Primitive):
    """Stack same-shaped arrays along a new axis."""

    @staticmethod
    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        ax = ctx.axis % len(g.shape)
        lead = (slice(None),) * ax
        return tuple(
            g[lead + (i,)] if need else None for i, need in enumerate(ctx.needs_input_grad)
        )


class Pad(Primitive):
    """Constant padding; ``widths`` is NumPy's ((before, after), ...) per axis.

    Negative widths crop, as in PyTorch's ``F.pad``.
    """

    @staticmethod
    def forward(ctx, x, *, widths, value=0.0):
        grow = [(max(a, 0), max(b, 0)) for a, b in widths]
        crop = tuple(
            slice(max(-a, 0), (n + max(a, 0) + max(b, 0)) - max(-b, 0))
            for (a, b), n in zip(widths, x.shape)
        )
        out = np.pad(x, grow, mode="constant", constant_values=value)[crop]
        # the part of the input that survives cropping, and where it lands
        ctx.src = tuple(
            slice(max(-a, 0), n - max(-b, 0)) for (a, b), n in zip(widths, x.shape)
        )
        ctx.dst = tuple(
            slice(max(a, 0), max(a, 0) + (n - max(-a, 0) - max(-b, 0)))
            for (a, b), n in zip(widths, x.shape)
        )
        ctx.shape = x.shape
        return out

    @staticmethod
    def backward(ctx, g):
        return xp.scatter(g[ctx.dst], ctx.src, ctx.shape, False)


# -- views replayed, and in-place updates of views ----------------------------------------

# the primitive that makes each kind of view step, and the name of its setting
VIEW_STEPS = {"index": (GetItem, "index"), "reshape": (Reshape, "shape"),
              "permute": (Permute, "axes"), "expand": (Expand, "shape")}


def view_array(arr: np.ndarray, steps) -> np.ndarray:
    """Apply view ``steps`` (``((kind, arg), ...)``) to an array: a view of it where NumPy can.

    >>> view_array(np.arange(6), (("reshape", (2, 3)), ("index", 1))).tolist()
    [3, 4, 5]
    """
    for kind, arg in steps:
        if kind == "index":
            out = arr[arg]
            if type(out) is not np.ndarray:  # every index an int: a scalar, not a view
                out = arr[(arg if type(arg) is tuple else (arg,)) + (Ellipsis,)]
            arr = out
        elif kind == "reshape":
            arr = arr.reshape(arg)
        elif kind == "permute":
            arr = np.transpose(arr, arg)
        else:
            arr = np.broadcast_to(arr, arg)
    return arr


def view_tensor(t, steps):
    """Apply view ``steps`` to a tensor through the view primitives (recorded in grad mode)."""
    for kind, arg in steps:
        primitive, setting = VIEW_STEPS[kind]
        t = primitive.apply(t, **{setting: arg})
    return t


class CopySlices(Primitive):
    """The base after an in-place update of one of its views (PyTorch's ``CopySlices``).

    Inputs: the base before the update and the view's new value (``steps`` are the
    view's); the view's values are already written into the base's memory, which
    forward returns as is. Backward gives the base's old value the gradient outside the
    view's region and the view's new value the gradient inside it.
    """

    @staticmethod
    def forward(ctx, base, value, *, steps):
        ctx.steps = steps
        return base

    @staticmethod
    def backward(ctx, g):
        shape = ctx.in_shapes[0]
        n = int(np.prod(shape, dtype=np.int64))
        pos = view_array(np.arange(n, dtype=np.intp).reshape(shape), ctx.steps)
        need_base, need_value = ctx.needs_input_grad
        g_base = g_value = None
        if need_base:
            if type(g) is np.ndarray:
                g_base = g.copy()  # C order: np.put's flat positions are the base's
                np.put(g_base, pos, 0)
            else:
                keep = np.ones(shape, dtype=bool)
                np.put(keep, pos, False)
                g_base = xp.where(keep, g, np.zeros((), g.dtype))
        if need_value:
            g_value = g.reshape(-1)[pos]
        return g_base, g_value
