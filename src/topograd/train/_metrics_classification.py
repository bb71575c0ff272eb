"""The classification metrics of :mod:`topograd.train.metrics`: accuracies (exact, binary,
categorical, sparse, top-k, and Keras's shape-resolved ``"accuracy"``), precision and recall.
Import them from :mod:`topograd.train.metrics`.

>>> m = SparseCategoricalAccuracy()
>>> m.update_state(np.array([1, 0]), np.array([[0.2, 0.8], [0.3, 0.7]]))
>>> m.result()
0.5
"""

from __future__ import annotations

import numpy as np

from ._metrics_base import MeanMetricWrapper, Metric, _array, _sample_weights


def _labels(y_true: np.ndarray, n: int) -> np.ndarray:
    """Integer class labels from ``(n,)`` or ``(n, 1)`` targets."""
    if y_true.ndim > 1:
        y_true = y_true.reshape(n)
    return y_true


class Accuracy(MeanMetricWrapper):
    """How often predictions equal targets exactly (Keras's ``Accuracy`` class).

    >>> m = Accuracy()
    >>> m.update_state(np.array([1, 2, 3]), np.array([1, 2, 0]))
    >>> round(m.result(), 4)
    0.6667
    """

    default_name = "accuracy"

    def _fn(self, y_true, y_pred):
        return y_true.reshape(y_pred.shape) == y_pred


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches binary targets.

    Args:
        threshold: decision threshold on the predictions (0.5 for probabilities; use 0.0
            for logits).
        name: the metric's name.

    >>> m = BinaryAccuracy()
    >>> m.update_state(np.array([1, 0, 1]), np.array([0.9, 0.2, 0.4]))
    >>> round(m.result(), 4)
    0.6667
    """

    default_name = "binary_accuracy"

    def __init__(self, name: str | None = None, threshold: float = 0.5) -> None:
        self.threshold = float(threshold)
        super().__init__(name=name)

    def _fn(self, y_true, y_pred):
        if y_true.shape != y_pred.shape and y_true.size == y_pred.size:
            y_true = y_true.reshape(y_pred.shape)
        return (y_pred > self.threshold) == (y_true > 0.5)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of the predictions matches the arg-max of one-hot targets.

    >>> m = CategoricalAccuracy()
    >>> m.update_state(np.eye(3)[[0, 1]], np.array([[0.8, 0.1, 0.1], [0.6, 0.3, 0.1]]))
    >>> m.result()
    0.5
    """

    default_name = "categorical_accuracy"
    needs_probabilities = False

    def _fn(self, y_true, y_pred):
        return y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of the predictions equals integer class labels.

    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state(np.array([0, 2]), np.array([[0.8, 0.1, 0.1], [0.6, 0.3, 0.1]]))
    >>> m.result()
    0.5
    """

    default_name = "sparse_categorical_accuracy"
    needs_probabilities = False

    def _fn(self, y_true, y_pred):
        if y_pred.ndim == 2:
            return _labels(y_true, y_pred.shape[0]) == y_pred.argmax(axis=1)
        return y_true.reshape(y_pred.shape[:-1]) == y_pred.argmax(axis=-1)


def _in_top_k(labels: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    pred = y_pred.reshape(-1, y_pred.shape[-1])
    labels = labels.reshape(-1).astype(np.intp, copy=False)
    true_score = pred[np.arange(len(labels)), labels]
    return (pred > true_score[:, None]).sum(axis=1) < k


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the target class (one-hot) is among the ``k`` highest predictions.

    >>> m = TopKCategoricalAccuracy(k=2)
    >>> m.update_state(np.eye(3)[[2, 2]], np.array([[0.5, 0.2, 0.3], [0.5, 0.4, 0.1]]))
    >>> m.result()
    0.5
    """

    default_name = "top_k_categorical_accuracy"
    needs_probabilities = False

    def __init__(self, k: int = 5, name: str | None = None) -> None:
        self.k = int(k)
        super().__init__(name=name)

    def _fn(self, y_true, y_pred):
        return _in_top_k(y_true.argmax(axis=-1), y_pred, self.k)


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """How often the integer label is among the ``k`` highest predictions.

    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state(np.array([0, 1]), np.array([[0.5, 0.2, 0.3], [0.5, 0.4, 0.1]]))
    >>> m.result()
    0.5
    """

    default_name = "sparse_top_k_categorical_accuracy"

    def _fn(self, y_true, y_pred):
        return _in_top_k(y_true, y_pred, self.k)


class _Confusion(Metric):
    """Counts true/false positives and false negatives of thresholded predictions."""

    def __init__(self, thresholds: float | None = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None) -> None:
        self.threshold = 0.5 if thresholds is None else float(thresholds)
        self.top_k = top_k
        self.class_id = class_id
        super().__init__(name=name)

    def reset_state(self) -> None:
        self.tp = 0
        self.fp = 0
        self.fn = 0

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true = _array(y_true)
        y_pred = _array(y_pred)
        if y_true.shape != y_pred.shape:
            if y_true.size != y_pred.size:
                raise ValueError(
                    f"{self.name}: y_true and y_pred must have the same shape (one-hot targets "
                    f"for several classes), found {y_true.shape} and {y_pred.shape}")
            y_true = y_true.reshape(y_pred.shape)
        if self.top_k is not None:
            kth = -np.sort(-y_pred, axis=-1)[..., self.top_k - 1:self.top_k]
            pred = (y_pred >= kth) & (y_pred > self.threshold)
        else:
            pred = y_pred > self.threshold
        true = y_true > 0.5
        if self.class_id is not None:
            pred = pred[..., self.class_id]
            true = true[..., self.class_id]
        if sample_weight is None:
            self.tp += int(np.count_nonzero(pred & true))
            self.fp += int(np.count_nonzero(pred & ~true))
            self.fn += int(np.count_nonzero(~pred & true))
            return
        w = _sample_weights(sample_weight, pred.shape)  # each sample counts with its weight
        self.tp += float(w[pred & true].sum())
        self.fp += float(w[pred & ~true].sum())
        self.fn += float(w[~pred & true].sum())


class Precision(_Confusion):
    """True positives / predicted positives, predictions thresholded at ``thresholds``.

    Args:
        thresholds: decision threshold (default 0.5).
        top_k: count only the ``top_k`` highest predictions of each sample as positive.
        class_id: restrict to one class (column) of multi-class predictions.
        name: the metric's name.

    >>> m = Precision()
    >>> m.update_state(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.2, 0.1]))
    >>> m.result()
    0.5
    """

    default_name = "precision"

    def result(self) -> float:
        d = self.tp + self.fp
        return self.tp / d if d else 0.0


class Recall(_Confusion):
    """True positives / actual positives, predictions thresholded at ``thresholds``.

    Args:
        thresholds: decision threshold (default 0.5).
        top_k: count only the ``top_k`` highest predictions of each sample as positive.
        class_id: restrict to one class (column) of multi-class predictions.
        name: the metric's name.

    >>> m = Recall()
    >>> m.update_state(np.array([1, 0, 1, 1]), np.array([0.9, 0.8, 0.2, 0.7]))
    >>> round(m.result(), 4)
    0.6667
    """

    default_name = "recall"

    def result(self) -> float:
        d = self.tp + self.fn
        return self.tp / d if d else 0.0


class AutoAccuracy(Metric):
    """Keras's ``"accuracy"``: binary, sparse-categorical or categorical, from the shapes.

    On the first batch: predictions with one column (or one dimension) mean binary accuracy;
    targets with one dimension fewer than the predictions (or a last dimension of 1) mean
    sparse categorical accuracy; otherwise categorical accuracy.

    >>> m = AutoAccuracy()
    >>> m.update_state(np.array([1, 0]), np.array([[0.2, 0.8], [0.9, 0.1]]))
    >>> type(m.resolved).__name__, m.result()
    ('SparseCategoricalAccuracy', 1.0)
    """

    default_name = "accuracy"

    def __init__(self, name: str | None = None) -> None:
        self.resolved = None
        super().__init__(name=name)

    @property
    def needs_probabilities(self) -> bool:  # binary accuracy thresholds probabilities
        return self.resolved is None or self.resolved.needs_probabilities

    def resolve(self, y_true_shape, y_pred_shape) -> Metric:
        """Pick the concrete accuracy for targets and predictions of these shapes."""
        if len(y_pred_shape) <= 1 or y_pred_shape[-1] == 1:
            cls = BinaryAccuracy
        elif len(y_true_shape) == len(y_pred_shape) - 1 or (
                len(y_true_shape) == len(y_pred_shape) and y_true_shape[-1] == 1):
            cls = SparseCategoricalAccuracy
        else:
            cls = CategoricalAccuracy
        self.resolved = cls(name=self.name)
        return self.resolved

    def reset_state(self) -> None:
        if self.resolved is not None:
            self.resolved.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = _array(y_true), _array(y_pred)
        if self.resolved is None:
            self.resolve(y_true.shape, y_pred.shape)
        if sample_weight is None:
            self.resolved.update_state(y_true, y_pred)
        else:
            self.resolved.update_state(y_true, y_pred, sample_weight=sample_weight)

    def result(self) -> float:
        return 0.0 if self.resolved is None else self.resolved.result()
