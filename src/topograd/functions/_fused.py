"""Helpers shared by the fused primitives of ``nn`` and ``nn_loss``."""

from __future__ import annotations

import numpy as np


def _array_only(g, name: str) -> None:
    if type(g) is not np.ndarray:
        raise RuntimeError(
            f"{name}: double backward (create_graph=True) is not supported through this fused "
            "primitive; compose the operation from Tensor methods to differentiate twice"
        )


def _need(ctx, i: int) -> bool:
    e = ctx.next_edges
    return i < len(e) and e[i] is not None
