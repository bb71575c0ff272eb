"""Loss functions of ``topograd.nn.functional``, with PyTorch's signatures and formulas.

Each takes ``reduction='mean'|'sum'|'none'``. The deprecated ``size_average``/``reduce``
arguments are accepted (with PyTorch's deprecation warning) so positional calls line up.

The regression losses live in :mod:`._loss_regression` and the reduction helpers in
:mod:`._loss_reduction`; both are re-exported here.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..primitives import nn as P
from ..tensor import Tensor
from ._common import as_tensor as _t
from ._common import user_stacklevel
from ._loss_reduction import _float_target as _float_target
from ._loss_reduction import _reduce as _reduce
from ._loss_reduction import _reduction as _reduction
from ._loss_reduction import _same_size as _same_size
from ._loss_reduction import _weighted as _weighted
from ._loss_regression import huber_loss as huber_loss
from ._loss_regression import l1_loss as l1_loss
from ._loss_regression import mse_loss as mse_loss
from ._loss_regression import smooth_l1_loss as smooth_l1_loss

PROBABILITY_INPUT_WARNING = (
    "cross_entropy/CrossEntropyLoss received inputs whose rows are all non-negative and sum "
    "to 1: they look like probabilities (the output of a Softmax). CrossEntropyLoss expects "
    "raw, unnormalized scores (logits) and applies log-softmax itself, so applying softmax "
    "first squashes the gradients. Remove the Softmax layer before the loss (or use "
    "NLLLoss on log-probabilities)."
)
_warned_probabilities = False


# -- classification -----------------------------------------------------------------------


def _class_targets(input: Tensor, target, ignore_index, name: str):
    """Validate class-index targets for ``input`` (class axis 1, or 0 when 1-D).

    Returns the targets as int64 and whether any of them equals ``ignore_index``.
    """
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    shape = tuple(input.shape)
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension, found a 0-d tensor")
    if t.dtype.kind not in "iub":
        hint = ""
        if name == "cross_entropy":
            hint = (f"; for class probabilities pass a floating target of the input's shape "
                    f"{shape}")
        raise RuntimeError(f"{name}: expected class-index targets of an integer dtype (int64), "
                           f"found {t.dtype} target of shape {tuple(t.shape)}{hint}")
    expected = () if input.ndim == 1 else (shape[0],) + shape[2:]
    if t.shape != expected:
        if input.ndim >= 2 and (t.ndim == 0 or t.shape[0] != shape[0]):
            found = t.shape[0] if t.ndim else "a 0-d tensor"
            raise ValueError(f"Expected input batch_size ({shape[0]}) to match target "
                             f"batch_size ({found}).")
        raise RuntimeError(f"{name}: expected target size {list(expected)} for input of size "
                           f"{list(shape)}, got {list(t.shape)}")
    t = t.astype(np.int64, copy=False)
    n_classes = shape[1] if input.ndim >= 2 else shape[0]
    if not t.size:
        return t, False
    lo, hi = t.min(), t.max()
    if 0 <= lo and hi < n_classes:  # the common case: two reductions, nothing to skip
        ignored = (ignore_index is not None and 0 <= ignore_index < n_classes
                   and bool((t == ignore_index).any()))
        return t, ignored
    counted = t if ignore_index is None else t[t != ignore_index]
    if counted.size:
        lo, hi = counted.min(), counted.max()
        if lo < 0 or hi >= n_classes:
            bad = int(hi if hi >= n_classes else lo)
            raise IndexError(f"Target {bad} is out of bounds: expected class indices in "
                             f"[0, {n_classes})" + ("" if ignore_index is None else
                                                    f" or ignore_index={ignore_index}"))
    return t, True


def _class_weight(weight, input: Tensor, name: str):
    if weight is None:
        return None
    w = weight._data if isinstance(weight, Tensor) else np.asarray(weight)
    c = input.shape[1] if input.ndim >= 2 else input.shape[0]
    if w.shape != (c,):
        raise RuntimeError(f"{name}: weight should be a 1D tensor of one value per class "
                           f"(shape ({c},)), found shape {tuple(w.shape)}")
    return w.astype(input._data.dtype, copy=False)


def _check_float_input(input: Tensor, name: str) -> None:
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected a floating-point input (logits), found "
                           f"{input._data.dtype}")


def _warn_if_probabilities(x: np.ndarray) -> None:
    global _warned_probabilities
    axis = 1 if x.ndim >= 2 else 0
    if x.size == 0 or x.shape[axis] < 2 or x.min() < 0:
        return
    if np.allclose(x.sum(axis=axis), 1.0, rtol=0, atol=1e-3):
        _warned_probabilities = True
        warnings.warn(PROBABILITY_INPUT_WARNING, UserWarning, stacklevel=user_stacklevel())


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of raw scores (logits) against class indices or class probabilities.

    Log-softmax and the negative log-likelihood run as one fused node. Formulas are
    PyTorch's: with class indices the mean is divided by the summed ``weight`` of the
    counted targets; ``ignore_index`` targets count for nothing; ``label_smoothing`` mixes
    in the uniform distribution. Warns once per process when the input rows already
    look like probabilities (a Softmax before this loss is a common mistake).

    Args:
        input: logits (N, C), (C,) or (N, C, d1, ...).
        target: class indices (N,) / () / (N, d1, ...), or probabilities shaped as input.
        weight: optional per-class weights (C,).
        ignore_index: a class-index target value to skip.
        reduction: 'mean', 'sum' or 'none'.
        label_smoothing: in [0, 1].
        size_average: deprecated (see ``reduction``).
        reduce: deprecated (see ``reduction``).

    Returns:
        The loss (a scalar, or per-sample with reduction='none').

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> logits = topograd.tensor([[2.0, 1.0, 0.1]], requires_grad=True)
    >>> loss = F.cross_entropy(logits, topograd.tensor([0]))
    >>> round(loss.item(), 4)
    0.417
    >>> loss.backward()
    >>> [round(v, 4) for v in logits.grad.tolist()[0]]
    [-0.341, 0.2424, 0.0986]
    """
    input = _t(input)
    _check_float_input(input, "cross_entropy")
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if not _warned_probabilities:
        _warn_if_probabilities(input._data)
    w = _class_weight(weight, input, "cross_entropy")
    target = _t(target)
    if target._data.dtype.kind == "f":
        index_shape = () if input.ndim == 1 else (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) == index_shape:
            _class_targets(input, target, ignore_index, "cross_entropy")  # explains the dtype
        if target.shape != input.shape:
            raise RuntimeError(
                f"cross_entropy: a floating target holds class probabilities and must have "
                f"the input's shape {tuple(input.shape)}, found {tuple(target.shape)}; class "
                "indices must be integers (use .long())")
        if ignore_index != -100:
            raise RuntimeError("ignore_index is not supported for floating point target")
        target = _float_target(input, target)
        return P.SoftCrossEntropy.apply(input, target, weight=w,
                                        label_smoothing=float(label_smoothing),
                                        reduction=reduction)
    t, ignored = _class_targets(input, target, ignore_index, "cross_entropy")
    return P.CrossEntropy.apply(input, t, weight=w, ignore_index=ignore_index if ignored else None,
                                label_smoothing=float(label_smoothing), reduction=reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` at class-index ``target``.

    ``nll_loss(log_softmax(x, 1), y)`` equals ``cross_entropy(x, y)``.

    Args:
        input: log-probabilities (N, C), (C,) or (N, C, d1, ...).
        target: class indices (N,), () or (N, d1, ...).
        weight: optional per-class weights (C,); the mean divides by their sum.
        size_average: deprecated (see ``reduction``).
        ignore_index: a target value to skip.
        reduce: deprecated (see ``reduction``).
        reduction: 'mean', 'sum' or 'none'.

    Returns:
        The loss: a scalar, or per sample with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.nll_loss(topograd.tensor([[-0.5, -1.0]]), topograd.tensor([1])).item()
    1.0
    """
    input = _t(input)
    _check_float_input(input, "nll_loss")
    reduction = _reduction(size_average, reduce, reduction)
    t, ignored = _class_targets(input, target, ignore_index, "nll_loss")
    w = _class_weight(weight, input, "nll_loss")
    return P.NllLoss.apply(input, t, weight=w, ignore_index=ignore_index if ignored else None,
                           reduction=reduction)


def _same_size_strict(input: Tensor, target: Tensor, name: str) -> None:
    if input.shape != target.shape:
        raise ValueError(f"{name}: Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")


def _broadcast_weight(weight, shape, dtype):
    if weight is None:
        return None
    w = weight._data if isinstance(weight, Tensor) else np.asarray(weight)
    try:
        return np.broadcast_to(w, shape).astype(dtype, copy=False)
    except ValueError:
        raise RuntimeError(f"weight of shape {tuple(w.shape)} cannot be broadcast to the input "
                           f"shape {tuple(shape)}") from None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities ``input`` in [0, 1] against ``target``.

    Logs are floored at -100 as in PyTorch. For raw scores use
    :func:`binary_cross_entropy_with_logits` (stable, and faster).

    Args:
        input: probabilities in [0, 1], any shape.
        target: targets in [0, 1], input's shape.
        weight: optional weights broadcast to input's shape.
        size_average: deprecated (see ``reduction``).
        reduce: deprecated (see ``reduction``).
        reduction: 'mean', 'sum' or 'none'.

    Returns:
        The loss: a scalar, or per element with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> round(F.binary_cross_entropy(topograd.tensor([0.8]), topograd.tensor([1.0])).item(), 4)
    0.2231
    """
    input = _t(input)
    target = _float_target(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _same_size_strict(input, target, "binary_cross_entropy")
    x = input._data
    if x.size and (x.min() < 0 or x.max() > 1):
        raise RuntimeError("all elements of input should be between 0 and 1 (binary_cross_"
                           "entropy takes probabilities; for raw scores use "
                           "binary_cross_entropy_with_logits)")
    w = _broadcast_weight(weight, x.shape, x.dtype)
    return _reduce(P.BinaryCrossEntropy.apply(input, target, w), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction: str = "mean", pos_weight=None) -> Tensor:
    """Binary cross-entropy of raw scores: ``sigmoid`` and the loss in one stable node.

    Args:
        input: raw scores, any shape.
        target: targets in [0, 1], input's shape.
        weight: optional weights broadcast to input's shape.
        size_average: deprecated (see ``reduction``).
        reduce: deprecated (see ``reduction``).
        reduction: 'mean', 'sum' or 'none'.
        pos_weight: optional weight of the positive term, broadcast along the last dim.

    Returns:
        The loss: a scalar, or per element with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> F.binary_cross_entropy_with_logits(topograd.tensor([1000.0]), topograd.tensor([1.0])).item()
    0.0
    """
    input = _t(input)
    target = _float_target(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _same_size_strict(input, target, "binary_cross_entropy_with_logits")
    x = input._data
    w = _broadcast_weight(weight, x.shape, x.dtype)
    pw = _broadcast_weight(pos_weight, x.shape, x.dtype)
    return _reduce(P.BinaryCrossEntropyWithLogits.apply(input, target, w, pw), reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence ``target (log target - input)``, input log-probabilities.

    ``reduction='batchmean'`` divides the sum by the batch size (the KL definition);
    'mean' divides by the number of elements and warns, as PyTorch does.

    Args:
        input: log-probabilities, any shape.
        target: probabilities (or log-probabilities with ``log_target``), input's shape.
        size_average: deprecated (see ``reduction``).
        reduce: deprecated (see ``reduction``).
        reduction: 'batchmean', 'mean', 'sum' or 'none'.
        log_target: the target holds log-probabilities.

    Returns:
        The loss: a scalar, or per element with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> p = topograd.tensor([[0.5, 0.5]])
    >>> F.kl_div(p.log(), p, reduction="batchmean").item()
    0.0
    """
    input = _t(input)
    target = _float_target(input, target)
    reduction = _reduction(size_average, reduce, reduction,
                           allowed=("none", "mean", "sum", "batchmean"))
    if reduction == "mean" and size_average is None and reduce is None:
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.", stacklevel=user_stacklevel())
    loss = P.KLDiv.apply(input, target, log_target=bool(log_target))
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Multiclass hinge (SVM) loss, per sample ``sum_{j != y} w_y max(0, m - x_y + x_j)^p / C``.

    Args:
        input: scores (N, C) or (C,).
        target: class indices (N,) or ().
        p: 1 or 2.
        margin: the margin the correct score should win by.
        weight: optional per-class weights (C,), applied by the target's class.
        size_average: deprecated (see ``reduction``).
        reduce: deprecated (see ``reduction``).
        reduction: 'mean', 'sum' or 'none'.

    Returns:
        The loss: a scalar, or per sample with reduction='none'.

    >>> import topograd
    >>> import topograd.nn.functional as F
    >>> x = topograd.tensor([[0.1, 0.2, 0.4, 0.8]])
    >>> round(F.multi_margin_loss(x, topograd.tensor([3])).item(), 4)
    0.325
    """
    input = _t(input)
    _check_float_input(input, "multi_margin_loss")
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError(f"only p == 1 and p == 2 supported, found p={p}")
    if input.ndim not in (1, 2) or input.numel() == 0:
        raise RuntimeError(f"multi_margin_loss: expected a non-empty (C,) or (N, C) input, "
                           f"found shape {tuple(input.shape)}")
    t, _ = _class_targets(input, target, None, "multi_margin_loss")
    w = _class_weight(weight, input, "multi_margin_loss")
    loss = P.MultiMargin.apply(input, t, p=int(p), margin=float(margin), weight=w)
    return _reduce(loss, reduction)
