"""Helpers shared by the fused primitives of ``nn`` and ``nn_loss``."""

from __future__ import annotations


def _array_only(g, name: str) -> None:
    """Refuse a Tensor gradient (create_graph); an array or a NumPy scalar is fine."""
    if hasattr(g, "_data"):
        raise RuntimeError(
            f"{name}: double backward (create_graph=True) is not supported through this fused "
            "primitive; compose the operation from Tensor methods to differentiate twice"
        )


def _need(ctx, i: int) -> bool:
    e = ctx.next_edges
    return i < len(e) and e[i] is not None
