"""Softmax and log-softmax along one axis, stable for any input (shifted by the max)."""

from __future__ import annotations

import numpy as np

from .elementwise import Primitive


def softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    """exp(x - max) / sum(exp(x - max)) along ``axis``."""
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
        out = softmax_array(x, axis)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved
        gy = g * y
        return gy - y * gy.sum(axis=ctx.axis, keepdims=True)


class LogSoftmax(Primitive):
    """Log-softmax along ``axis``. Keeps its output: dx = g - softmax * sum(g)."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        out = log_softmax_array(x, axis)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        p = np.exp(out) if isinstance(out, np.ndarray) else out.exp()
        return g - p * g.sum(axis=ctx.axis, keepdims=True)
