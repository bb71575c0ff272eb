"""Small helpers shared by topograd.nn: tensor coercion and warnings aimed at user code."""

from __future__ import annotations

import os
import sys

from ..tensor import Tensor

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside topograd."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PKG_DIR):
        frame = frame.f_back
        level += 1
    return level


def as_tensor(x) -> Tensor:
    """``x`` itself when it is a Tensor, else a new Tensor of it."""
    return x if isinstance(x, Tensor) else Tensor(x)
