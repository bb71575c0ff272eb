"""Metrics by Keras's names: the streaming NumPy metrics of :mod:`topograd.train.metrics`,
plus the loss names (``"categorical_crossentropy"``, ...) usable as metrics.

>>> from topograd.keras import metrics
>>> type(metrics.get("accuracy")).__name__, metrics.get("crossentropy").name
('AutoAccuracy', 'crossentropy')
"""

from __future__ import annotations

import numpy as np

from topograd.train.metrics import (
    METRICS,
    Accuracy,
    AutoAccuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    Mean,
    MeanAbsoluteError,
    MeanMetricWrapper,
    MeanSquaredError,
    Metric,
    Precision,
    Recall,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
)
from topograd.train.metrics import get as _get

__all__ = [
    "Metric", "Mean", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
    "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
    "Precision", "Recall", "MeanSquaredError", "MeanAbsoluteError", "AutoAccuracy",
    "LossMetric", "get",
]


class LossMetric(MeanMetricWrapper):
    """The mean of a Keras loss function over the samples, as a metric.

    >>> import numpy as np
    >>> m = LossMetric("binary_crossentropy")
    >>> m.update_state(np.array([[1.0]]), np.array([[0.5]]))
    >>> round(m.result(), 4)
    0.6931
    """

    def __init__(self, loss, name: str | None = None) -> None:
        from . import losses

        self.loss = losses.get(loss)
        super().__init__(name=name or self.loss.name)

    def _fn(self, y_true, y_pred):
        from topograd.autograd.grad_mode import no_grad
        from topograd.tensor import Tensor

        with no_grad():
            out = self.loss.call(y_true, Tensor._from_array(np.asarray(y_pred)))
        return out._data


_LOSS_METRICS = ("categorical_crossentropy", "sparse_categorical_crossentropy",
                 "binary_crossentropy", "kl_divergence", "hinge", "categorical_hinge")


def get(identifier) -> Metric:
    """A metric from a Keras name, a Metric object or class, or a function on arrays.

    Besides :data:`topograd.train.metrics.METRICS` (``"accuracy"``, ``"precision"``, ...),
    the cross-entropy and hinge loss names are accepted (``"crossentropy"`` picks the loss's
    form from the targets as Keras's does, here: categorical).

    Raises:
        ValueError: an unknown name; the message lists the valid ones.

    >>> get("recall").name
    'recall'
    """
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in _LOSS_METRICS:
            return LossMetric(key)
        if key == "crossentropy":
            return LossMetric("categorical_crossentropy", name="crossentropy")
        if key not in METRICS:
            raise ValueError(f"unknown metric {identifier!r}; valid names: "
                             f"{', '.join(sorted([*METRICS, *_LOSS_METRICS]))}")
    return _get(identifier)
