"""Regression losses of ``topograd.nn.functional`` (mean squared, L1, Huber, smooth L1),
with PyTorch's signatures and formulas; importable from :mod:`._functional_loss` too."""

from __future__ import annotations

from ..primitives import nn as P
from ..tensor import Tensor
from ._common import as_tensor as _t
from ._loss_reduction import _float_target, _reduce, _reduction, _same_size, _weighted

# -- regression -------------------------------------------------------------------------


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
             weight=None) -> Tensor:
    """Mean squared error ``(x - y)^2``.

    With ``weight`` the mean is the weighted mean ``sum(w (x - y)^2) / sum(w)``.

    Args:
        input: predictions, any shape.
        target: targets, input's shape (a different shape broadcasts, with a warning).
        size_average: deprecated (see ``reduction``).
        reduce: deprecated (see ``reduction``).
        reduction: 'mean', 'sum' or 'none'.
        weight: optional per-element weights, input's shape.

    Returns:
        The loss: a scalar, or per element with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.mse_loss(topograd.tensor([1.0, 3.0]), topograd.tensor([0.0, 0.0])).item()
    5.0
    """
    input, target = _t(input), _float_target(_t(input), target)
    _same_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    d = input - target
    return _weighted(d * d, weight, reduction, mean_by_weight=True)


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
            weight=None) -> Tensor:
    """Mean absolute error ``|x - y|`` (weighted mean as :func:`mse_loss`).

    Args:
        input: predictions, any shape.
        target: targets, input's shape (a different shape broadcasts, with a warning).
        size_average: deprecated (see ``reduction``).
        reduce: deprecated (see ``reduction``).
        reduction: 'mean', 'sum' or 'none'.
        weight: optional per-element weights, input's shape.

    Returns:
        The loss: a scalar, or per element with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.l1_loss(topograd.tensor([1.0, -3.0]), topograd.tensor([0.0, 0.0])).item()
    2.0
    """
    input, target = _t(input), _float_target(_t(input), target)
    _same_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    return _weighted((input - target).abs(), weight, reduction, mean_by_weight=True)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0,
               weight=None) -> Tensor:
    """Huber loss: ``d^2 / 2`` where ``|d| < delta``, else ``delta (|d| - delta / 2)``.

    Args:
        input: predictions, any shape.
        target: targets, input's shape.
        reduction: 'mean', 'sum' or 'none'.
        delta: where the loss turns from quadratic to linear (positive).
        weight: optional per-element weights (the mean is then the plain mean).

    Returns:
        The loss: a scalar, or per element with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.huber_loss(topograd.tensor([0.5, 3.0]), topograd.zeros(2), reduction="none").tolist()
    [0.125, 2.5]
    """
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, "
                           f"found {delta}")
    input, target = _t(input), _float_target(_t(input), target)
    _same_size(input, target)
    reduction = _reduction(None, None, reduction)
    loss = P.HuberLoss.apply(input, target, delta=float(delta))
    return _weighted(loss, weight, reduction, mean_by_weight=False)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Smooth L1: ``d^2 / (2 beta)`` where ``|d| < beta``, else ``|d| - beta / 2``.

    It is the Huber loss divided by beta, and the L1 loss when beta is 0.

    Args:
        input: predictions, any shape.
        target: targets, input's shape.
        size_average: deprecated (see ``reduction``).
        reduce: deprecated (see ``reduction``).
        reduction: 'mean', 'sum' or 'none'.
        beta: the threshold (non-negative).

    Returns:
        The loss: a scalar, or per element with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.smooth_l1_loss(topograd.tensor([0.5, 3.0]), topograd.zeros(2), reduction="sum").item()
    2.625
    """
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, "
                           f"found {beta}")
    input, target = _t(input), _float_target(_t(input), target)
    _same_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta == 0:
        return _reduce((input - target).abs(), reduction)
    loss = P.HuberLoss.apply(input, target, delta=float(beta), scale=1.0 / beta)
    return _reduce(loss, reduction)
