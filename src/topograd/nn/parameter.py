"""Parameter: a tensor that a Module registers as learnable (defined in topograd.tensor)."""

from ..tensor import Parameter

__all__ = ["Parameter"]
