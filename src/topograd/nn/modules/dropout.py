"""Dropout: randomly zero activations while training (a regularizer); identity in eval."""

from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from .module import Module


class Dropout(Module):
    """Inverted dropout: while training, zero elements with probability p, scale the rest.

    Survivors are scaled by ``1 / (1 - p)``, so eval mode (the identity) needs no
    rescaling.

    Masks come from the global generator (``topograd.manual_seed`` makes them repeat).

    Args:
        p: the drop probability, in [0, 1].
        inplace: accepted for PyTorch compatibility; the result is a new tensor.

    >>> import topograd
    >>> from topograd import nn
    >>> drop = nn.Dropout(p=0.5)
    >>> sorted(set(drop(topograd.ones(1000)).tolist()))
    [0.0, 2.0]
    >>> drop.eval()(topograd.ones(3)).tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
