"""Streaming metrics on NumPy arrays: each batch adds to running sums, ``result()`` reads them.

Metrics never see Tensors or build graph nodes: the training loop hands them the batch's
targets and predictions as arrays, and they keep a few Python numbers. Names and classes
follow Keras (``"accuracy"`` picks categorical, sparse-categorical or binary accuracy from
the shapes of the first batch, as Keras does). The built-in metrics take Keras's
``sample_weight`` (one weight per sample): a weighted mean is ``sum(w * value) / sum(w)``
over the samples, and precision/recall count each sample with its weight.

>>> import numpy as np
>>> m = get("accuracy")
>>> m.update_state(np.array([2, 0]), np.array([[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]]))
>>> m.result()
0.5
"""

from __future__ import annotations

from .._registry import from_registry
from ._metrics_base import (
    Mean,
    MeanAbsoluteError,
    MeanMetricWrapper,
    MeanSquaredError,
    Metric,
)
from ._metrics_base import _array as _array
from ._metrics_base import _sample_weights as _sample_weights
from ._metrics_classification import (
    Accuracy,
    AutoAccuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    Precision,
    Recall,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
)
from ._metrics_classification import _Confusion as _Confusion
from ._metrics_classification import _in_top_k as _in_top_k
from ._metrics_classification import _labels as _labels

__all__ = [
    "Metric", "Mean", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
    "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
    "Precision", "Recall", "MeanSquaredError", "MeanAbsoluteError", "AutoAccuracy", "get",
    "METRICS",
]


def _mse(y_true, y_pred):
    return MeanSquaredError()._fn(y_true, y_pred)


#: Keras spellings of the built-in metrics: name -> factory.
METRICS = {
    "accuracy": AutoAccuracy,
    "acc": lambda: AutoAccuracy(name="acc"),
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "precision": Precision,
    "recall": Recall,
    "mean_squared_error": MeanSquaredError,
    "mse": lambda: MeanSquaredError(name="mse"),
    "mean_absolute_error": MeanAbsoluteError,
    "mae": lambda: MeanAbsoluteError(name="mae"),
}


def get(identifier) -> Metric:
    """A metric object from a Keras name, a Metric, a Metric class or a function.

    Args:
        identifier: ``"accuracy"``, ``"precision"``, ... (see ``METRICS``); a Metric
            instance (returned as is); a Metric subclass (instantiated); or a function
            ``(y_true, y_pred) -> per-sample values`` on arrays (averaged over samples).

    Returns:
        A fresh :class:`Metric`.

    Raises:
        ValueError: an unknown name; the message lists the valid ones.

    >>> get("top_k_categorical_accuracy").k
    5
    """
    found = from_registry(identifier, Metric, METRICS, "metric")
    if found is not None:
        return found
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(f"expected a metric name, a Metric or a function, found "
                    f"{type(identifier).__name__}")
