"""Flatten parameters into one vector and back."""

from __future__ import annotations

import numpy as np

from ...ops import cat
from ...tensor import Tensor
from .clip_grad import _params


def parameters_to_vector(parameters) -> Tensor:
    """Concatenate the flattened parameters into one 1-D tensor (differentiable).

    >>> from topograd import nn
    >>> nn.utils.parameters_to_vector(nn.Linear(3, 2).parameters()).shape
    topograd.Size([8])
    """
    params = _params(parameters)
    if not params:
        return Tensor(np.zeros(0, dtype=np.float32))
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place.

    >>> import topograd
    >>> from topograd import nn
    >>> layer = nn.Linear(3, 2)
    >>> nn.utils.vector_to_parameters(topograd.zeros(8), layer.parameters())
    >>> layer.bias.tolist()
    [0.0, 0.0]
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected vec to be a Tensor, but got: {type(vec).__name__}")
    params = _params(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != total:
        raise RuntimeError(f"vector_to_parameters: expected a 1-D vector of {total} elements "
                           f"(the parameters' total), found shape {tuple(vec.shape)}")
    data = vec._data
    start = 0
    for p in params:
        n = p.numel()
        chunk = data[start:start + n].reshape(p.shape)
        if p._data.flags.writeable:
            p._data[...] = chunk
        else:
            p._data = chunk.astype(p._data.dtype, copy=True)
        p._bump_version()
        start += n
