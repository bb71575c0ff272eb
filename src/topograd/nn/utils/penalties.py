"""Differentiable weight penalties for regularization: add one to the loss.

L1 (``sum |w|``) pushes weights to exactly zero (sparse models); L2 (``sum w^2``) shrinks
them smoothly (weight decay); the elastic net mixes both.
"""

from __future__ import annotations

import numpy as np

from ...tensor import Tensor
from .clip_grad import _params


def _zero(params) -> Tensor:
    dt = params[0]._data.dtype if params else np.float32
    return Tensor(np.array(0.0, dtype=dt))


def l1_penalty(parameters) -> Tensor:
    """``sum |w|`` over every element of every parameter (a differentiable scalar).

    Args:
        parameters: a tensor, an iterable of tensors, or a Module.

    Returns:
        A 0-d tensor; add ``lam * l1_penalty(...)`` to the loss.

    >>> import topograd
    >>> from topograd import nn
    >>> nn.utils.l1_penalty([topograd.tensor([1.0, -2.0])]).item()
    3.0
    """
    params = _params(parameters)
    total = None
    for p in params:
        term = p.abs().sum()
        total = term if total is None else total + term
    return _zero(params) if total is None else total


def l2_penalty(parameters) -> Tensor:
    """``sum w^2`` over every element of every parameter (no 1/2 factor).

    Adding ``lam * l2_penalty(params)`` to the loss adds ``2 lam w`` to each gradient:
    SGD weight decay of ``2 lam``.

    >>> import topograd
    >>> from topograd import nn
    >>> nn.utils.l2_penalty([topograd.tensor([1.0, -2.0])]).item()
    5.0
    """
    params = _params(parameters)
    total = None
    for p in params:
        term = (p * p).sum()
        total = term if total is None else total + term
    return _zero(params) if total is None else total


def elastic_net_penalty(parameters, l1: float = 0.5, l2: float = 0.5) -> Tensor:
    """``l1 * sum |w| + l2 * sum w^2``: the elastic net (both penalties mixed).

    >>> import topograd
    >>> from topograd import nn
    >>> nn.utils.elastic_net_penalty([topograd.tensor([1.0, -2.0])], l1=1.0, l2=0.1).item()
    3.5
    """
    params = _params(parameters)
    return l1_penalty(params) * l1 + l2_penalty(params) * l2
