"""Reduction and target helpers shared by the functional losses (:mod:`._functional_loss`,
:mod:`._loss_regression`): the ``reduction`` argument (with the deprecated
``size_average``/``reduce``), reducing, weighting, and matching the target to the input."""

from __future__ import annotations

import warnings

from ..tensor import Tensor
from ._common import as_tensor as _t
from ._common import user_stacklevel


def _reduction(size_average, reduce, reduction: str, allowed=("none", "mean", "sum")) -> str:
    if size_average is not None or reduce is not None:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      "reduction='mean' (or 'sum', 'none') instead.", stacklevel=3)
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction: expected one of "
                         + ", ".join(repr(a) for a in allowed))
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _same_size(input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            stacklevel=user_stacklevel(),
        )


def _float_target(input: Tensor, target) -> Tensor:
    target = _t(target)
    if target._data.dtype != input._data.dtype and input._data.dtype.kind == "f":
        target = target.type(input._data.dtype)
    return target


def _weighted(loss: Tensor, weight, reduction: str, mean_by_weight: bool) -> Tensor:
    if weight is None:
        return _reduce(loss, reduction)
    weight = _t(weight)
    if weight.shape != loss.shape:
        raise ValueError(f"Weights and input must have the same size: weight "
                         f"{tuple(weight.shape)}, input {tuple(loss.shape)}")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)
