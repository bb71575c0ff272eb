"""``topograd.backends.mps``: Apple's Metal backend is neither built nor available.

>>> import topograd as torch
>>> torch.backends.mps.is_available()
False
"""

from __future__ import annotations

__all__ = ["is_available", "is_built"]


def is_available() -> bool:
    """False: topograd computes on the CPU.

    >>> import topograd
    >>> topograd.backends.mps.is_available()
    False
    """
    return False


def is_built() -> bool:
    """False: topograd has no MPS backend.

    >>> import topograd
    >>> topograd.backends.mps.is_built()
    False
    """
    return False
