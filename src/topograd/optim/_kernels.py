"""In-place array building blocks the update rules share."""

from __future__ import annotations

import numpy as np


def _decayed(p: np.ndarray, g: np.ndarray, weight_decay, out: np.ndarray) -> np.ndarray:
    """``g + weight_decay * p`` into ``out`` (L2 weight decay folded into the gradient)."""
    np.multiply(p, weight_decay, out=out)
    out += g
    return out


def _lerp_(a: np.ndarray, b: np.ndarray, weight, tmp: np.ndarray) -> None:
    """``a += weight * (b - a)`` in place, with ``torch.lerp``'s two-sided formula."""
    w = a.dtype.type(weight)
    np.subtract(b, a, out=tmp)
    if abs(w) < 0.5:
        tmp *= w
        a += tmp
    else:
        tmp *= 1 - w
        np.subtract(b, tmp, out=a)
