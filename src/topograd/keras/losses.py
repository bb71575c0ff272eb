"""Loss functions by Keras's names, with Keras's formulas and argument order ``(y_true, y_pred)``.

A thin face over :mod:`topograd.nn.functional`: every loss the PyTorch face also has
(cross-entropy from logits, negative log-likelihood, binary cross-entropy, mean squared and
absolute error, Huber, KL divergence) is computed by the same function there, so by the
same primitive. What is Keras's own stays here: the argument order, the clipping of
probabilities to [1e-7, 1 - 1e-7] (``from_logits=True`` takes raw scores instead), label
smoothing of one-hot targets, the mean over the last axis that makes a per-sample loss,
broadcasting the target against the predictions, and the reductions.

A Loss object returns the mean over the batch of the per-sample losses (``call``); with
``sample_weight`` (one weight per sample) it is Keras's ``"sum_over_batch_size"``:
``sum(w * loss) / batch size``, not divided by the sum of the weights. When a model's
last layer is a softmax (sigmoid) and the loss is a categorical (binary) cross-entropy,
the model hands the loss the pre-activation logits and :meth:`Loss.from_logits_loss`
computes it in one fused, stable step, as Keras does internally.

The file reads in banner sections: inputs, per-sample functions (cross-entropies, then
regression and margins), the Loss base, the Loss classes, lookup by name.

>>> import numpy as np, topograd
>>> from topograd.keras import losses
>>> y_true = np.array([[0.0, 1.0]], np.float32)
>>> y_pred = topograd.tensor([[0.2, 0.8]])
>>> round(losses.get("categorical_crossentropy")(y_true, y_pred).item(), 4)
0.2231
"""

from __future__ import annotations

import numpy as np

import topograd.nn.functional as F
from topograd._registry import from_registry
from topograd.tensor import Tensor

__all__ = [
    "Loss", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "BinaryCrossentropy",
    "MeanSquaredError", "MeanAbsoluteError", "Hinge", "CategoricalHinge", "KLDivergence",
    "Huber", "LossFunctionWrapper", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "binary_crossentropy", "mean_squared_error",
    "mean_absolute_error", "hinge", "categorical_hinge", "kl_divergence", "huber", "get",
    "LOSSES",
]

EPSILON = 1e-7  # Keras's backend.epsilon()


# -- inputs -------------------------------------------------------------------------------


def _pred(y) -> Tensor:
    return y if isinstance(y, Tensor) else Tensor(np.asarray(y, dtype=np.float32))


def _target(y, like: Tensor) -> Tensor:
    """``y`` as a constant Tensor of ``like``'s dtype; reshaped to ``like``'s shape when it
    holds as many values ((N,) labels for (N, 1) predictions)."""
    arr = y._data if isinstance(y, Tensor) else np.asarray(y)
    if arr.dtype != like._data.dtype:
        arr = arr.astype(like._data.dtype)
    if arr.shape != like._data.shape and arr.size == like._data.size:
        arr = arr.reshape(like._data.shape)
    return Tensor._from_array(arr)


def _pair(y_true, y_pred: Tensor) -> tuple[Tensor, Tensor]:
    """The target and the predictions at one shape: Keras broadcasts the one against the
    other, where ``nn.functional``'s losses want (or warn about) equal shapes."""
    t = _target(y_true, y_pred)
    if t.shape == y_pred.shape:
        return t, y_pred
    try:
        shape = np.broadcast_shapes(tuple(t.shape), tuple(y_pred.shape))
    except ValueError:  # the loss function raises PyTorch's error about the shapes
        return t, y_pred
    if t.shape != shape:
        t = Tensor._from_array(np.broadcast_to(t._data, shape))
    return t, (y_pred if y_pred.shape == shape else y_pred.expand(shape))


def _per_sample(values: Tensor) -> Tensor:
    """The mean over the last (class or output) axis: one loss per sample."""
    return values.mean(dim=-1) if values.ndim > 1 else values


def _last_axis(axis) -> None:
    if axis != -1:
        raise NotImplementedError("only axis=-1 (classes last) is supported")


def _weights_for(sample_weight, per: Tensor) -> np.ndarray:
    """One weight per sample, shaped to scale the per-sample losses ``per`` along axis 0."""
    w = sample_weight._data if isinstance(sample_weight, Tensor) else np.asarray(sample_weight)
    if w.dtype != per._data.dtype:
        w = w.astype(per._data.dtype)
    if w.ndim == 2 and w.shape[1] == 1:
        w = w.reshape(len(w))
    if per.ndim == 0 or w.ndim == 0:  # a loss already reduced: Keras broadcasts it
        return w
    if w.ndim != 1 or len(w) != per.shape[0]:
        raise ValueError(f"sample_weight expected one weight per sample, shape "
                         f"({per.shape[0]},), found shape {w.shape}")
    return w.reshape((len(w),) + (1,) * (per.ndim - 1))


# -- per-sample functions: cross-entropies ------------------------------------------------


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1):
    """Per-sample ``-sum(y_true * log(y_pred))`` over the last axis.

    From logits it is ``nn.functional.cross_entropy`` with probability targets (whose
    label smoothing is Keras's); from probabilities, Keras's normalized and clipped form.

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


def _labels(y_true, logits: Tensor) -> Tensor:
    """Integer labels (N,) or (N, 1) as the int64 class indices of ``logits`` (N, C)."""
    arr = y_true._data if isinstance(y_true, Tensor) else np.asarray(y_true)
    if arr.dtype != np.int64 or arr.shape != tuple(logits.shape[:-1]):
        arr = arr.reshape(logits.shape[:-1]).astype(np.int64, copy=False)
    return Tensor._from_array(arr)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                                    ignore_class=None, axis: int = -1):
    """Per-sample ``-log(y_pred[y_true])`` for integer class labels.

    From logits it is ``nn.functional.cross_entropy``; from probabilities,
    ``nn.functional.nll_loss`` of Keras's normalized and clipped log-probabilities.

    Args:
        y_true: integer labels, shape (N,) or (N, 1).
        y_pred: probabilities (N, C) (normalized and clipped first), or logits.
        from_logits: ``y_pred`` holds raw scores.
        ignore_class: not supported (must be None).
        axis: the class axis (only -1 is supported).

    Returns:
        A Tensor with one loss per sample.

    >>> import numpy as np, topograd
    >>> sparse_categorical_crossentropy(np.array([1]), topograd.tensor([[0.5, 0.5]])).tolist()
    [0.6931471824645996]
    """
    _last_axis(axis)
    if ignore_class is not None:
        raise NotImplementedError("ignore_class is not supported yet")
    y_pred = _pred(y_pred)
    labels = _labels(y_true, y_pred)
    if from_logits:
        return F.cross_entropy(y_pred, labels, reduction="none")
    p = y_pred / y_pred.sum(dim=-1, keepdim=True)
    return F.nll_loss(p.clamp(EPSILON, 1.0 - EPSILON).log(), labels, reduction="none")


def binary_crossentropy(y_true, y_pred, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1):
    """Per-sample mean over the last axis of ``-(y log p + (1 - y) log(1 - p))``.

    ``nn.functional.binary_cross_entropy`` of the probabilities clipped as Keras clips
    them, or ``binary_cross_entropy_with_logits`` with ``from_logits``; label smoothing
    squeezes the targets towards 0.5.

    Args:
        y_true: targets in [0, 1].
        y_pred: probabilities, or logits with ``from_logits``.
        from_logits: ``y_pred`` holds raw scores.
        label_smoothing: in [0, 1].
        axis: the class axis (only -1 is supported).

    Returns:
        A Tensor with one loss per sample.

    >>> import numpy as np, topograd
    >>> binary_crossentropy(np.array([[1.0]]), topograd.tensor([[0.5]])).tolist()
    [0.6931471824645996]
    """
    _last_axis(axis)
    t, y_pred = _pair(y_true, _pred(y_pred))
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        per = F.binary_cross_entropy_with_logits(y_pred, t, reduction="none")
    else:
        per = F.binary_cross_entropy(y_pred.clamp(EPSILON, 1.0 - EPSILON), t, reduction="none")
    return _per_sample(per)


# -- per-sample functions: regression and margins -----------------------------------------


def mean_squared_error(y_true, y_pred):
    """Per-sample mean over the last axis of ``(y_true - y_pred) ** 2``.

    >>> import numpy as np, topograd
    >>> mean_squared_error(np.array([[1.0, 3.0]]), topograd.tensor([[1.0, 1.0]])).tolist()
    [2.0]
    """
    t, y_pred = _pair(y_true, _pred(y_pred))
    return _per_sample(F.mse_loss(y_pred, t, reduction="none"))


def mean_absolute_error(y_true, y_pred):
    """Per-sample mean over the last axis of ``|y_true - y_pred|``.

    >>> import numpy as np, topograd
    >>> mean_absolute_error(np.array([[1.0, 3.0]]), topograd.tensor([[1.0, 1.0]])).tolist()
    [1.0]
    """
    t, y_pred = _pair(y_true, _pred(y_pred))
    return _per_sample(F.l1_loss(y_pred, t, reduction="none"))


def huber(y_true, y_pred, delta: float = 1.0):
    """Per-sample mean of the Huber loss: quadratic within ``delta``, linear outside.

    >>> import numpy as np, topograd
    >>> huber(np.array([[0.0, 0.0]]), topograd.tensor([[0.5, 2.0]])).tolist()
    [0.8125]
    """
    t, y_pred = _pair(y_true, _pred(y_pred))
    return _per_sample(F.huber_loss(y_pred, t, reduction="none", delta=delta))


def hinge(y_true, y_pred):
    """Per-sample mean of ``max(1 - y_true * y_pred, 0)``; 0/1 labels are mapped to -1/1.

    >>> import numpy as np, topograd
    >>> hinge(np.array([[1.0]]), topograd.tensor([[0.25]])).tolist()
    [0.75]
    """
    y_pred = _pred(y_pred)
    arr = y_true._data if isinstance(y_true, Tensor) else np.asarray(y_true)
    if arr.size and ((arr == 0) | (arr == 1)).all():
        arr = 2.0 * arr - 1.0
    t = _target(arr, y_pred)
    return _per_sample((1.0 - t * y_pred).relu())


def categorical_hinge(y_true, y_pred):
    """Per-sample ``max(max((1 - y) * p) - sum(y * p) + 1, 0)``.

    >>> import numpy as np, topograd
    >>> categorical_hinge(np.eye(2)[[0]], topograd.tensor([[0.75, 0.25]])).tolist()
    [0.5]
    """
    y_pred = _pred(y_pred)
    t = _target(y_true, y_pred)
    pos = (t * y_pred).sum(dim=-1)
    neg = ((1.0 - t) * y_pred).amax(dim=-1)
    return (neg - pos + 1.0).relu()


def kl_divergence(y_true, y_pred):
    """Per-sample ``sum(y_true * log(y_true / y_pred))``, both clipped to [1e-7, 1].

    ``nn.functional.kl_div`` of the clipped log-probabilities, summed over the last axis.

    >>> import numpy as np, topograd
    >>> kl_divergence(np.array([[0.5, 0.5]]), topograd.tensor([[0.5, 0.5]])).tolist()
    [0.0]
    """
    y_pred = _pred(y_pred)
    t = _target(y_true, y_pred).clamp(EPSILON, 1.0)
    log_p = y_pred.clamp(EPSILON, 1.0).log()
    return F.kl_div(log_p, t, reduction="none").sum(dim=-1)


# -- the Loss base ------------------------------------------------------------------------


class Loss:
    """Base class: ``loss(y_true, y_pred)`` is the batch mean of ``call(y_true, y_pred)``.

    Args:
        name: the loss's name (default: the class's Keras name).
        reduction: Keras's ``"sum_over_batch_size"`` (the default; ``"auto"`` and
            ``"mean"`` are the same), ``"sum"``, ``"none"`` or ``"mean_with_sample_weight"``.

    Attributes:
        name: Keras's name of the loss.
        targets: what ``y_true`` must look like: ``"sparse"`` (integer labels),
            ``"categorical"`` (one row per sample with one column per class), ``"binary"``
            (values in [0, 1]) or ``"any"``; the model checks the data against it.
        fusable_activation: the last-layer activation this loss can fuse with (computing
            the loss from the logits), or None.

    >>> import numpy as np, topograd
    >>> class AbsError(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return (y_pred - topograd.tensor(y_true)).abs().sum(dim=-1)
    >>> AbsError()(np.array([[1.0, 2.0]]), topograd.tensor([[0.0, 0.0]])).item()
    3.0
    """

    name = "loss"
    targets = "any"
    fusable_activation = None
    from_logits = False

    def __init__(self, name: str | None = None, reduction: str = "sum_over_batch_size") -> None:
        if name is not None:
            self.name = name
        if reduction not in ("sum_over_batch_size", "sum", "none", "mean", "auto",
                             "mean_with_sample_weight"):
            raise ValueError(f"reduction expected 'sum_over_batch_size', 'sum', 'none' or "
                             f"'mean_with_sample_weight', found {reduction!r}")
        self.reduction = reduction

    def call(self, y_true, y_pred):
        """The per-sample losses (a Tensor)."""
        raise NotImplementedError

    def _reduce(self, per, sample_weight=None):
        if sample_weight is not None:
            w = _weights_for(sample_weight, per)
            per = per * Tensor._from_array(w)
            if self.reduction == "mean_with_sample_weight":  # Keras: 0 when the weights are
                total = float(np.broadcast_to(w, per.shape).sum())  # all zero
                return per.sum() / total if total else per.sum() * 0.0
        if self.reduction == "none":
            return per
        if self.reduction == "sum":
            return per.sum()
        return per.mean()  # Keras's "sum_over_batch_size": sum / number of values

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced loss; ``sample_weight`` (one weight per sample) scales each sample's
        loss before the reduction, as Keras does.

        >>> import numpy as np, topograd
        >>> y, p = np.zeros((2, 1)), topograd.tensor([[1.0], [2.0]])  # losses 1 and 4
        >>> MeanSquaredError()(y, p, sample_weight=np.array([3.0, 0.5])).item()  # 5 / 2
        2.5
        """
        return self._reduce(self.call(y_true, _pred(y_pred)), sample_weight)

    def from_logits_loss(self, y_true, logits, sample_weight=None):
        """The reduced (and weighted) loss from the last layer's pre-activation ``logits``."""
        raise NotImplementedError

    def get_config(self) -> dict:
        """The constructor arguments."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class LossFunctionWrapper(Loss):
    """A Loss from a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Args:
        fn: returns one loss per sample.
        reduction: as :class:`Loss`.
        name: the loss's name (default: ``fn``'s name).
        **kwargs: passed to ``fn`` on every call.

    >>> import numpy as np, topograd
    >>> LossFunctionWrapper(mean_absolute_error)(np.array([[1.0]]), topograd.tensor([[0.5]])).item()
    0.5
    """

    def __init__(self, fn, reduction: str = "sum_over_batch_size", name: str | None = None,
                 **kwargs) -> None:
        super().__init__(name or getattr(fn, "__name__", "loss"), reduction)
        self.fn = fn
        self.kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.kwargs)


# -- Loss classes: cross-entropies --------------------------------------------------------


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
        axis: the class axis (only -1 is supported).
        reduction: as :class:`Loss`.
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
        ignore_class: not supported (must be None).
        reduction: as :class:`Loss`.
        name: the loss's name.
        axis: the class axis (only -1 is supported); keyword-only, as Keras's
            constructor has none.

    >>> import numpy as np, topograd
    >>> loss = SparseCategoricalCrossentropy(from_logits=True)
    >>> round(loss(np.array([0]), topograd.tensor([[2.0, 1.0, 0.1]])).item(), 4)
    0.417
    """

    name = "sparse_categorical_crossentropy"
    targets = "sparse"
    fusable_activation = "softmax"

    def __init__(self, from_logits: bool = False, ignore_class=None,
                 reduction: str = "sum_over_batch_size", name: str | None = None, *,
                 axis: int = -1) -> None:
        super().__init__(name, reduction)
        if ignore_class is not None:
            raise NotImplementedError("ignore_class is not supported yet")
        self.from_logits = from_logits
        _last_axis(axis)

    def call(self, y_true, y_pred):
        return sparse_categorical_crossentropy(y_true, y_pred, self.from_logits)

    def from_logits_loss(self, y_true, logits, sample_weight=None):
        return _fused_cross_entropy(self, logits, _labels(y_true, logits), sample_weight)


class BinaryCrossentropy(Loss):
    """Cross-entropy for binary (or multi-label) targets in [0, 1].

    Args:
        from_logits: the predictions are raw scores.
        label_smoothing: squeeze the targets towards 0.5.
        axis: the class axis (only -1 is supported).
        reduction: as :class:`Loss`.
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


# -- Loss classes: regression and margins -------------------------------------------------


class MeanSquaredError(LossFunctionWrapper):
    """Batch mean of :func:`mean_squared_error`; Keras's ``mean_squared_error`` (``mse``).

    >>> import numpy as np, topograd
    >>> MeanSquaredError()(np.array([[1.0, 3.0]]), topograd.tensor([[1.0, 1.0]])).item()
    2.0
    """

    name = "mean_squared_error"

    def __init__(self, reduction: str = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__(mean_squared_error, reduction, name or type(self).name)


class MeanAbsoluteError(LossFunctionWrapper):
    """Batch mean of :func:`mean_absolute_error`; Keras's ``mean_absolute_error`` (``mae``).

    >>> import numpy as np, topograd
    >>> MeanAbsoluteError()(np.array([[1.0, 3.0]]), topograd.tensor([[1.0, 1.0]])).item()
    1.0
    """

    name = "mean_absolute_error"

    def __init__(self, reduction: str = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__(mean_absolute_error, reduction, name or type(self).name)


class Huber(LossFunctionWrapper):
    """Batch mean of :func:`huber`; Keras's ``huber``.

    Args:
        delta: where the loss turns from quadratic to linear.
        reduction: as :class:`Loss`.
        name: the loss's name.

    >>> import numpy as np, topograd
    >>> Huber()(np.array([[0.0, 0.0]]), topograd.tensor([[0.5, 2.0]])).item()
    0.8125
    """

    name = "huber"

    def __init__(self, delta: float = 1.0, reduction: str = "sum_over_batch_size",
                 name: str | None = None) -> None:
        super().__init__(huber, reduction, name or type(self).name, delta=delta)


class Hinge(LossFunctionWrapper):
    """Batch mean of :func:`hinge`; Keras's ``hinge``.

    >>> import numpy as np, topograd
    >>> Hinge()(np.array([[1.0]]), topograd.tensor([[0.25]])).item()
    0.75
    """

    name = "hinge"

    def __init__(self, reduction: str = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__(hinge, reduction, name or type(self).name)


class CategoricalHinge(LossFunctionWrapper):
    """Batch mean of :func:`categorical_hinge`; Keras's ``categorical_hinge``.

    >>> import numpy as np, topograd
    >>> CategoricalHinge()(np.eye(2)[[0]], topograd.tensor([[0.75, 0.25]])).item()
    0.5
    """

    name = "categorical_hinge"
    targets = "categorical"

    def __init__(self, reduction: str = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__(categorical_hinge, reduction, name or type(self).name)


class KLDivergence(LossFunctionWrapper):
    """Batch mean of :func:`kl_divergence`; Keras's ``kl_divergence`` (``kld``).

    >>> import numpy as np, topograd
    >>> KLDivergence()(np.array([[0.5, 0.5]]), topograd.tensor([[0.5, 0.5]])).item()
    0.0
    """

    name = "kl_divergence"
    targets = "categorical"

    def __init__(self, reduction: str = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__(kl_divergence, reduction, name or type(self).name)


# -- lookup by name -----------------------------------------------------------------------

#: Keras names (and aliases) -> Loss classes.
LOSSES = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "hinge": Hinge, "categorical_hinge": CategoricalHinge,
    "kl_divergence": KLDivergence, "kld": KLDivergence, "kullback_leibler_divergence": KLDivergence,
    "huber": Huber,
}

_FUNCTIONS = {
    categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    binary_crossentropy: BinaryCrossentropy, mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError, hinge: Hinge, categorical_hinge: CategoricalHinge,
    kl_divergence: KLDivergence, huber: Huber,
}


def get(identifier) -> Loss:
    """A Loss object from a Keras name, a Loss, a Loss class or a function.

    Args:
        identifier: e.g. ``"categorical_crossentropy"`` or ``"mse"``; a Loss; a Loss class;
            or ``fn(y_true, y_pred)`` returning per-sample losses.

    Returns:
        A :class:`Loss`.

    Raises:
        ValueError: an unknown name; the message lists the valid ones.

    >>> get("mse").name
    'mean_squared_error'
    """
    found = from_registry(identifier, Loss, LOSSES, "loss")
    if found is not None:
        return found
    if identifier in _FUNCTIONS:
        return _FUNCTIONS[identifier]()
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise TypeError(f"loss expected a name, a Loss or a function, found "
                    f"{type(identifier).__name__}")
