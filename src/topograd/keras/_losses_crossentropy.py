"""The cross-entropy losses of :mod:`topograd.keras.losses` (categorical, sparse
categorical, binary): per-sample functions and Loss classes; import them from there."""

from __future__ import annotations

import numpy as np

import topograd.nn.functional as F
from topograd.tensor import Tensor

from .losses import EPSILON, Loss, _last_axis, _pred, _target


# -- per-sample functions ----------------------------------------------------------------
def categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1):
    """Per-sample ``-sum(y_true * log(y_pred))`` over the last axis.

    Args:
        y_true: one-hot (or probability) targets shaped like ``y_pred``.
        y_pred: probabilities (normalized and clipped first), or logits with ``from_logits``.
        from_logits: ``y_pred`` holds raw scores.
        label_smoothing: mix the targets with the uniform distribution.
        axis: the class axis (only -1 is supported).

    Returns:
        A Tensor with one loss per sample.

    >>> import numpy as np, topograd
    >>> categorical_crossentropy(np.eye(2)[[1]], topograd.tensor([[0.5, 0.5]])).tolist()
    [0.6931471824645996]
    """
    _last_axis(axis)
    y_pred = _pred(y_pred)
    t = _target(y_true, y_pred)
    if from_logits:
        return F.cross_entropy(y_pred, t, reduction="none", label_smoothing=label_smoothing)
    if label_smoothing:
        c = y_pred.shape[-1]
        t = t * (1.0 - label_smoothing) + label_smoothing / c
    p = y_pred / y_pred.sum(dim=-1, keepdim=True)
    return -(t * p.clamp(EPSILON, 1.0 - EPSILON).log()).sum(dim=-1)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                                    axis: int = -1):
    """Per-sample ``-log(y_pred[y_true])`` for integer class labels.

    Args:
        y_true: integer labels, shape (N,) or (N, 1).
        y_pred: probabilities (N, C) (normalized and clipped first), or logits.
        from_logits: ``y_pred`` holds raw scores.
        axis: the class axis (only -1 is supported).

    Returns:
        A Tensor with one loss per sample.

    >>> import numpy as np, topograd
    >>> sparse_categorical_crossentropy(np.array([1]), topograd.tensor([[0.5, 0.5]])).tolist()
    [0.6931471824645996]
    """
    _last_axis(axis)
    y_pred = _pred(y_pred)
    arr = y_true._data if isinstance(y_true, Tensor) else np.asarray(y_true)
    labels = Tensor._from_array(arr.reshape(y_pred.shape[:-1]).astype(np.int64, copy=False))
    if from_logits:
        return F.cross_entropy(y_pred, labels, reduction="none")
    p = y_pred / y_pred.sum(dim=-1, keepdim=True)
    return F.nll_loss(p.clamp(EPSILON, 1.0 - EPSILON).log(), labels, reduction="none")


def binary_crossentropy(y_true, y_pred, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1):
    """Per-sample mean over the last axis of ``-(y log p + (1 - y) log(1 - p))``.

    >>> import numpy as np, topograd
    >>> binary_crossentropy(np.array([[1.0]]), topograd.tensor([[0.5]])).tolist()
    [0.6931471824645996]
    """
    _last_axis(axis)
    y_pred = _pred(y_pred)
    t = _target(y_true, y_pred)
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        per = F.binary_cross_entropy_with_logits(y_pred, t, reduction="none")
    else:
        p = y_pred.clamp(EPSILON, 1.0 - EPSILON)
        per = -(t * p.log() + (1.0 - t) * (1.0 - p).log())
    return per.mean(dim=-1) if per.ndim > 1 else per


def _fused_cross_entropy(loss, logits, target, sample_weight, **kwargs):
    """The fused log-softmax + NLL of ``logits``, reduced as ``loss`` reduces: PyTorch's
    own mean when that is the same, per-sample values through ``loss._reduce`` when
    there are sample weights or another reduction."""
    if sample_weight is not None or loss.reduction in ("none", "sum"):
        return loss._reduce(F.cross_entropy(logits, target, reduction="none", **kwargs),
                            sample_weight)
    return F.cross_entropy(logits, target, **kwargs)


class CategoricalCrossentropy(Loss):
    """Cross-entropy for one-hot (or probability) targets.

    Args:
        from_logits: the predictions are raw scores.
        label_smoothing: mix the targets with the uniform distribution.
        name: the loss's name.

    >>> import numpy as np, topograd
    >>> loss = CategoricalCrossentropy(from_logits=True)
    >>> round(loss(np.eye(3)[[0]], topograd.tensor([[2.0, 1.0, 0.1]])).item(), 4)
    0.417
    """

    name = "categorical_crossentropy"
    targets = "categorical"
    fusable_activation = "softmax"

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__(name, reduction)
        self.from_logits = from_logits
        self.label_smoothing = float(label_smoothing)
        _last_axis(axis)

    def call(self, y_true, y_pred):
        return categorical_crossentropy(y_true, y_pred, self.from_logits, self.label_smoothing)

    def from_logits_loss(self, y_true, logits, sample_weight=None):
        return _fused_cross_entropy(self, logits, _target(y_true, logits), sample_weight,
                                    label_smoothing=self.label_smoothing)


class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy for integer class labels.

    Args:
        from_logits: the predictions are raw scores.
        name: the loss's name.

    >>> import numpy as np, topograd
    >>> loss = SparseCategoricalCrossentropy(from_logits=True)
    >>> round(loss(np.array([0]), topograd.tensor([[2.0, 1.0, 0.1]])).item(), 4)
    0.417
    """

    name = "sparse_categorical_crossentropy"
    targets = "sparse"
    fusable_activation = "softmax"

    def __init__(self, from_logits: bool = False, ignore_class=None, axis: int = -1,
                 reduction: str = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__(name, reduction)
        if ignore_class is not None:
            raise NotImplementedError("ignore_class is not supported yet")
        self.from_logits = from_logits
        _last_axis(axis)

    def call(self, y_true, y_pred):
        return sparse_categorical_crossentropy(y_true, y_pred, self.from_logits)

    def from_logits_loss(self, y_true, logits, sample_weight=None):
        arr = y_true._data if isinstance(y_true, Tensor) else np.asarray(y_true)
        if arr.dtype != np.int64 or arr.ndim != 1:
            arr = arr.reshape(logits.shape[:-1]).astype(np.int64, copy=False)
        return _fused_cross_entropy(self, logits, Tensor._from_array(arr), sample_weight)


class BinaryCrossentropy(Loss):
    """Cross-entropy for binary (or multi-label) targets in [0, 1].

    Args:
        from_logits: the predictions are raw scores.
        label_smoothing: squeeze the targets towards 0.5.
        name: the loss's name.

    >>> import numpy as np, topograd
    >>> round(BinaryCrossentropy()(np.array([[1.0]]), topograd.tensor([[0.9]])).item(), 4)
    0.1054
    """

    name = "binary_crossentropy"
    targets = "binary"
    fusable_activation = "sigmoid"

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__(name, reduction)
        self.from_logits = from_logits
        self.label_smoothing = float(label_smoothing)
        _last_axis(axis)

    def call(self, y_true, y_pred):
        return binary_crossentropy(y_true, y_pred, self.from_logits, self.label_smoothing)

    def from_logits_loss(self, y_true, logits, sample_weight=None):
        return self._reduce(binary_crossentropy(y_true, logits, True, self.label_smoothing),
                            sample_weight)
