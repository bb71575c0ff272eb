"""Softmax and log-softmax along one axis, stable for any input (shifted by the max).

The one softmax of both faces: ``Tensor.softmax``, ``nn.functional.softmax`` and Keras's
``activations.softmax`` run :class:`Softmax`; Keras's ``predict`` applies
:func:`softmax_array` in place on the logits of its fused softmax + cross-entropy step.
"""

from __future__ import annotations

import numpy as np

from .base import Primitive


def softmax_array(x: np.ndarray, axis: int = -1, *, inplace: bool = False) -> np.ndarray:
    """exp(x - max) / sum(exp(x - max)) along ``axis``; in ``x`` itself with ``inplace``.

    The same operations in the same order either way, so the same numbers.

    >>> z = np.array([[0.0, 0.0], [1.0, 1.0]], np.float32)
    >>> softmax_array(z, inplace=True) is z, z.tolist()
    (True, [[0.5, 0.5], [0.5, 0.5]])
    """
    if inplace:
        x -= x.max(axis=axis, keepdims=True)
        e = np.exp(x, out=x)
    else:
        e = np.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    """x - logsumexp(x) along ``axis``, without overflow."""
    shifted = x - x.max(axis=axis, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


class Softmax(Primitive):
    """Softmax along ``axis``. Keeps its output y: dx = y * (g - sum(g * y))."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        ctx.retain_outputs((0,))
        return softmax_array(x, axis)

    @staticmethod
    def backward(ctx, g):
        y = ctx.saved_outputs[0]
        gy = g * y
        return gy - y * gy.sum(axis=ctx.axis, keepdims=True)


class LogSoftmax(Primitive):
    """Log-softmax along ``axis``. Keeps its output: dx = g - softmax * sum(g)."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        ctx.retain_outputs((0,))
        return log_softmax_array(x, axis)

    @staticmethod
    def backward(ctx, g):
        out = ctx.saved_outputs[0]
        p = np.exp(out) if isinstance(out, np.ndarray) else out.exp()
        return g - p * g.sum(axis=ctx.axis, keepdims=True)
