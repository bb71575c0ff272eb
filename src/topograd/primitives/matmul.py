"""Matrix product (vectors, matrices, batched), kept as one primitive with its own backward."""

from __future__ import annotations

import numpy as np

from . import base as xp
from .base import Primitive


def _shape_str(shape) -> str:
    return "x".join(str(d) for d in shape)


def check_matmul(a_shape, b_shape) -> None:
    """Raise PyTorch's error when the inner dimensions of a @ b do not agree."""
    if len(a_shape) == 0 or len(b_shape) == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are "
            f"{len(a_shape)}D and {len(b_shape)}D"
        )
    k_a = a_shape[-1]
    k_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if k_a == k_b:
        if len(a_shape) > 2 or len(b_shape) > 2:
            _check_batch(a_shape, b_shape)
        return
    if len(a_shape) <= 2 and len(b_shape) == 2:
        a2 = a_shape if len(a_shape) == 2 else (1,) + tuple(a_shape)  # PyTorch shows (1xk)
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(a2)} and "
            f"{_shape_str(b_shape)})"
        )
    if len(a_shape) == 1 and len(b_shape) == 1:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{a_shape[0]}] and src "
            f"[{b_shape[0]}] to have the same number of elements, but got {a_shape[0]} "
            f"and {b_shape[0]} elements respectively"
        )
    if len(b_shape) == 1:
        raise RuntimeError(
            f"size mismatch, got input ({a_shape[0] if len(a_shape) == 2 else a_shape}), "
            f"mat ({_shape_str(a_shape)}), vec ({b_shape[0]})"
        )
    raise RuntimeError(
        f"matmul: shapes {tuple(a_shape)} and {tuple(b_shape)} cannot be multiplied: "
        f"the last dimension of the first ({k_a}) must equal the second-to-last of the "
        f"second ({k_b})"
    )


def _check_batch(a_shape, b_shape) -> None:
    batch_a = a_shape[:-2] if len(a_shape) > 1 else ()
    batch_b = b_shape[:-2] if len(b_shape) > 1 else ()
    try:
        np.broadcast_shapes(batch_a, batch_b)
    except ValueError:
        raise RuntimeError(
            f"matmul: the batch dimensions of {tuple(a_shape)} and {tuple(b_shape)} cannot be "
            f"broadcast together ({tuple(batch_a)} and {tuple(batch_b)})"
        ) from None


class MatMul(Primitive):
    """a @ b with NumPy's matmul rules: 1-D operands are promoted and the added axis removed."""

    @staticmethod
    def forward(ctx, a, b):
        check_matmul(a.shape, b.shape)
        need_a, need_b = ctx.needs_input_grad
        if need_a or need_b:  # each gradient needs the other operand only (as PyTorch)
            ctx.retain_inputs((0, 1) if need_a and need_b else (1,) if need_a else (0,))
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_inputs
        need_a, need_b = ctx.needs_input_grad
        a_nd, b_nd = (len(s) for s in ctx.in_shapes)
        if a_nd == 1 and b_nd == 1:
            return (g * b if need_a else None, g * a if need_b else None)
        if b_nd == 1:  # (..., m, n) @ (n,) -> (..., m)
            g2 = g[..., None]
            ga = g2 * b if need_a else None
            gb = None
            if need_b:  # summed over every axis but the last (sizes may be 0)
                gb = (a * g2).sum(axis=tuple(range(a_nd - 1)))
            return ga, gb
        if a_nd == 1:  # (m,) @ (..., m, n) -> (..., n)
            g2 = g[..., None, :]
            ga = None
            if need_a:
                gab = g2 @ xp.swap_last(b)  # (..., 1, m)
                ga = gab.sum(axis=tuple(range(len(gab.shape) - 1)))
            gb = a[:, None] * g2 if need_b else None
            return ga, gb
        ga = g @ xp.swap_last(b) if need_a else None
        gb = xp.swap_last(a) @ g if need_b else None
        return ga, gb
