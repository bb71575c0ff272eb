"""Loss functions by Keras's names, with Keras's formulas and argument order ``(y_true, y_pred)``.

A Loss object returns the mean over the batch of the per-sample losses (``call``); with
``sample_weight`` (one weight per sample) it is Keras's ``"sum_over_batch_size"``:
``sum(w * loss) / batch size``, not divided by the sum of the weights.
Probabilities are clipped to [1e-7, 1 - 1e-7] as Keras does; ``from_logits=True`` takes raw
scores instead. When a model's last layer is a softmax (sigmoid) and the loss is a
categorical (binary) cross-entropy, the model hands the loss the pre-activation logits and
:meth:`Loss.from_logits_loss` computes it in one fused, stable step, as Keras does
internally.

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


def _target(y, like: Tensor, dtype=None) -> Tensor:
    arr = y._data if isinstance(y, Tensor) else np.asarray(y)
    dt = like._data.dtype if dtype is None else dtype
    if arr.dtype != dt:
        arr = arr.astype(dt)
    if dtype is None and arr.shape != like._data.shape and arr.size == like._data.size:
        arr = arr.reshape(like._data.shape)
    return Tensor._from_array(arr)


def _pred(y) -> Tensor:
    return y if isinstance(y, Tensor) else Tensor(np.asarray(y, dtype=np.float32))


# -- per-sample functions ----------------------------------------------------------------
def mean_squared_error(y_true, y_pred):
    """Per-sample mean over the last axis of ``(y_true - y_pred) ** 2``.

    >>> import numpy as np, topograd
    >>> mean_squared_error(np.array([[1.0, 3.0]]), topograd.tensor([[1.0, 1.0]])).tolist()
    [2.0]
    """
    y_pred = _pred(y_pred)
    d = y_pred - _target(y_true, y_pred)
    sq = d * d
    return sq.mean(dim=-1) if sq.ndim > 1 else sq


def mean_absolute_error(y_true, y_pred):
    """Per-sample mean over the last axis of ``|y_true - y_pred|``.

    >>> import numpy as np, topograd
    >>> mean_absolute_error(np.array([[1.0, 3.0]]), topograd.tensor([[1.0, 1.0]])).tolist()
    [1.0]
    """
    y_pred = _pred(y_pred)
    a = (y_pred - _target(y_true, y_pred)).abs()
    return a.mean(dim=-1) if a.ndim > 1 else a


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
    h = (1.0 - t * y_pred).relu()
    return h.mean(dim=-1) if h.ndim > 1 else h


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

    >>> import numpy as np, topograd
    >>> kl_divergence(np.array([[0.5, 0.5]]), topograd.tensor([[0.5, 0.5]])).tolist()
    [0.0]
    """
    y_pred = _pred(y_pred)
    t = _target(y_true, y_pred).clamp(EPSILON, 1.0)
    p = y_pred.clamp(EPSILON, 1.0)
    return (t * (t.log() - p.log())).sum(dim=-1)


def huber(y_true, y_pred, delta: float = 1.0):
    """Per-sample mean of the Huber loss: quadratic within ``delta``, linear outside.

    >>> import numpy as np, topograd
    >>> huber(np.array([[0.0, 0.0]]), topograd.tensor([[0.5, 2.0]])).tolist()
    [0.8125]
    """
    y_pred = _pred(y_pred)
    h = F.huber_loss(y_pred, _target(y_true, y_pred), reduction="none", delta=delta)
    return h.mean(dim=-1) if h.ndim > 1 else h


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


def _last_axis(axis) -> None:
    if axis != -1:
        raise NotImplementedError("only axis=-1 (classes last) is supported")


# -- Loss objects --------------------------------------------------------------------------
class Loss:
    """Base class: ``loss(y_true, y_pred)`` is the batch mean of ``call(y_true, y_pred)``.

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
    """A Loss from a per-sample function ``fn(y_true, y_pred)``.

    >>> import numpy as np, topograd
    >>> LossFunctionWrapper(mean_absolute_error)(np.array([[1.0]]), topograd.tensor([[0.5]])).item()
    0.5
    """

    def __init__(self, fn, name: str | None = None, reduction: str = "sum_over_batch_size",
                 **kwargs) -> None:
        super().__init__(name or getattr(fn, "__name__", "loss"), reduction)
        self.fn = fn
        self.kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.kwargs)


def _wrapper(fn, default_name, cls_name, example, targets="any"):
    class _Loss(LossFunctionWrapper):
        name = default_name

        def __init__(self, reduction="sum_over_batch_size", name=None, **kwargs):
            super().__init__(fn, name or default_name, reduction, **kwargs)

    _Loss.targets = targets
    _Loss.__name__ = _Loss.__qualname__ = cls_name
    summary = (fn.__doc__ or "").strip().splitlines()[0].replace("Per-sample", "Batch mean of")
    _Loss.__doc__ = (f"{summary}\n\n    Keras's ``{default_name}`` loss class (``reduction``, "
                     f"``name`` as :class:`Loss`).\n\n    {example}\n    ")
    return _Loss


_EX = ">>> import numpy as np, topograd\n    >>> {c}()({y}, topograd.tensor({p})).item()\n    {v}"
MeanSquaredError = _wrapper(mean_squared_error, "mean_squared_error", "MeanSquaredError",
                            _EX.format(c="MeanSquaredError", y="np.array([[1.0, 3.0]])",
                                       p="[[1.0, 1.0]]", v="2.0"))
MeanAbsoluteError = _wrapper(mean_absolute_error, "mean_absolute_error", "MeanAbsoluteError",
                             _EX.format(c="MeanAbsoluteError", y="np.array([[1.0, 3.0]])",
                                        p="[[1.0, 1.0]]", v="1.0"))
Hinge = _wrapper(hinge, "hinge", "Hinge",
                 _EX.format(c="Hinge", y="np.array([[1.0]])", p="[[0.25]]", v="0.75"))
CategoricalHinge = _wrapper(categorical_hinge, "categorical_hinge", "CategoricalHinge",
                            _EX.format(c="CategoricalHinge", y="np.eye(2)[[0]]",
                                       p="[[0.75, 0.25]]", v="0.5"), "categorical")
KLDivergence = _wrapper(kl_divergence, "kl_divergence", "KLDivergence",
                        _EX.format(c="KLDivergence", y="np.array([[0.5, 0.5]])",
                                   p="[[0.5, 0.5]]", v="0.0"), "categorical")
Huber = _wrapper(huber, "huber", "Huber",
                 _EX.format(c="Huber", y="np.array([[0.0, 0.0]])", p="[[0.5, 2.0]]",
                            v="0.8125"))

# The cross-entropies live in their own module (they build on Loss above); re-exported.
from ._losses_crossentropy import (  # noqa: E402
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)

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
