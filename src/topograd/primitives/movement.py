"""Shape and movement primitives: reshape, permute, expand, indexing, cat, stack, pad.

None of these computes anything; their backward moves the gradient back to where each
input element came from. Indexing scatters it back, adding where an index repeats.
"""

from __future__ import annotations

import numpy as np

from . import _xp
from .elementwise import Primitive


class Reshape(Primitive):
    """View x with another shape (same number of elements)."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape)


class Permute(Primitive):
    """Reorder the axes of x (``axes`` is a full permutation)."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.inverse = tuple(np.argsort(axes))
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, g):
        return _xp.permute(g, ctx.inverse)


class Expand(Primitive):
    """Broadcast x to ``shape`` (a read-only view); the engine sums the gradient back."""

    @staticmethod
    def forward(ctx, x, shape):
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
    def forward(ctx, x, index):
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
        return _xp.scatter(g, ctx.index, ctx.shape, ctx.accumulate)


class Scatter(Primitive):
    """The backward of indexing as an operation of its own (used by ``create_graph``)."""

    @staticmethod
    def forward(ctx, g, index, shape, accumulate):
        ctx.index = index
        return _xp.scatter(g, index, shape, accumulate)

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
            g[lead + (slice(a, b),)] if e is not None else None
            for a, b, e in zip(edges[:-1], edges[1:], ctx.next_edges)
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
            g[lead + (i,)] if e is not None else None for i, e in enumerate(ctx.next_edges)
        )


class Pad(Primitive):
    """Constant padding; ``widths`` is NumPy's ((before, after), ...) per axis.

    Negative widths crop, as in PyTorch's ``F.pad``.
    """

    @staticmethod
    def forward(ctx, x, widths, value=0.0):
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
        return _xp.scatter(g[ctx.dst], ctx.src, ctx.shape, False)
