"""Streaming metrics on NumPy arrays: each batch adds to running sums, ``result()`` reads them.

Metrics never see Tensors or build graph nodes: the training loop hands them the batch's
targets and predictions as arrays, and they keep a few Python numbers. Names and classes
follow Keras (``"accuracy"`` picks categorical, sparse-categorical or binary accuracy from
the shapes of the first batch, as Keras does). The built-in metrics take Keras's
``sample_weight`` (one weight per sample): a weighted mean is ``sum(w * value) / sum(w)``
over the samples, and precision/recall count each sample with its weight.

Sections: the base (:class:`Metric`, the means, the regression metrics), the classification
metrics (accuracies, precision, recall, Keras's shape-resolved ``"accuracy"``), and the
names (:data:`METRICS`, :func:`get`). The loop tracks its loss mean with :class:`Mean`.

>>> import numpy as np
>>> m = get("accuracy")
>>> m.update_state(np.array([2, 0]), np.array([[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]]))
>>> m.result()
0.5
"""

from __future__ import annotations

import numpy as np

from .._registry import from_registry

__all__ = [
    "Metric", "Mean", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
    "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
    "Precision", "Recall", "MeanSquaredError", "MeanAbsoluteError", "AutoAccuracy", "get",
    "METRICS",
]


# -- the base: Metric, the means, the regression metrics -----------------------------------
def _array(a) -> np.ndarray:
    return a._data if hasattr(a, "_data") else np.asarray(a)


def _sample_weights(sample_weight, shape) -> np.ndarray:
    """Per-sample weights (``(n,)`` or ``(n, 1)``) as float64, broadcast over the other axes
    of per-sample values of ``shape`` (Keras: one weight per sample)."""
    w = np.asarray(_array(sample_weight), dtype=np.float64)
    if w.ndim == 2 and w.shape[1] == 1:
        w = w.reshape(len(w))
    if w.ndim == 0 or not shape:
        return np.broadcast_to(w, shape)
    if w.ndim != 1 or len(w) != shape[0]:
        raise ValueError(f"sample_weight expected one weight per sample, shape ({shape[0]},), "
                         f"found shape {w.shape}")
    return np.broadcast_to(w.reshape((len(w),) + (1,) * (len(shape) - 1)), shape)


class Metric:
    """Base class: ``update_state(y_true, y_pred)`` per batch, ``result()``, ``reset_state()``.

    Attributes:
        name: the key the metric gets in the logs (``val_`` + name for validation).
        needs_probabilities: False when the metric gives the same result on logits as on
            probabilities (argmax-based), so a fused softmax/cross-entropy step can skip
            computing probabilities for it.

    >>> class Count(Metric):
    ...     def reset_state(self):
    ...         self.n = 0
    ...     def update_state(self, y_true, y_pred):
    ...         self.n += len(y_true)
    ...     def result(self):
    ...         return float(self.n)
    >>> c = Count(name="count"); c.update_state([1, 2], None); c.result()
    2.0
    """

    needs_probabilities = True
    default_name = "metric"

    def __init__(self, name: str | None = None) -> None:
        self.name = name or self.default_name
        self.reset_state()

    def reset_state(self) -> None:
        """Forget everything seen so far (called at the start of each epoch)."""

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Add one batch: ``y_true`` targets and ``y_pred`` predictions, as arrays, and
        optionally one weight per sample (a metric given as ``weighted_metrics`` is called
        with ``sample_weight=`` on weighted batches only)."""
        raise NotImplementedError

    def result(self) -> float:
        """The metric over every batch since the last reset, as a Python float."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


class Mean(Metric):
    """The (weighted) mean of the values given to ``update_state``.

    >>> m = Mean()
    >>> m.update_state(2.0, sample_weight=3); m.update_state(6.0)
    >>> m.result()
    3.0
    """

    default_name = "mean"

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None) -> None:
        """Add ``values`` (a number or an array) with weight ``sample_weight`` (default 1 each)."""
        if type(values) is float and (sample_weight is None or type(sample_weight) is int):
            # one Python number (the loop's batch loss, weighted by the batch size): the same
            # float64 arithmetic as below, without building arrays on every batch
            w = 1 if sample_weight is None else sample_weight
            self.total += values * w
            self.count += w
            return
        v = np.asarray(values, dtype=np.float64)
        if sample_weight is None:
            self.total += float(v.sum())
            self.count += v.size
        else:
            w = np.broadcast_to(np.asarray(sample_weight, dtype=np.float64), v.shape)
            self.total += float((v * w).sum())
            self.count += float(w.sum())

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Metric):
    """The mean over samples of ``fn(y_true, y_pred)``, which returns one value per sample.

    Args:
        fn: ``(y_true, y_pred) -> per-sample values`` on NumPy arrays.
        name: the metric's name.

    >>> m = MeanMetricWrapper(lambda t, p: np.abs(t - p), name="l1")
    >>> m.update_state(np.array([1.0, 2.0]), np.array([1.5, 2.0]))
    >>> m.result()
    0.25
    """

    def __init__(self, fn=None, name: str | None = None) -> None:
        if fn is not None:
            self._fn = fn
        super().__init__(name or getattr(fn, "__name__", None))

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0

    def _fn(self, y_true, y_pred):
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Add the batch's values, each sample's weighted by ``sample_weight`` if given:
        the result is then ``sum(w * value) / sum(w)`` (values averaged within a sample)."""
        values = self._fn(_array(y_true), _array(y_pred))
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += values.size
            return
        v = np.asarray(values)
        w = _sample_weights(sample_weight, v.shape)
        dt = v.dtype if v.dtype.kind == "f" else np.float64  # weights of ones: same sums
        self.total += float((v.astype(dt, copy=False) * w.astype(dt)).sum())
        self.count += float(w.sum())

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


class MeanSquaredError(MeanMetricWrapper):
    """Mean of (y_true - y_pred)^2 over all elements.

    >>> m = MeanSquaredError()
    >>> m.update_state(np.array([1.0, 2.0]), np.array([1.0, 4.0]))
    >>> m.result()
    2.0
    """

    default_name = "mean_squared_error"

    def _fn(self, y_true, y_pred):
        d = y_pred - y_true.reshape(y_pred.shape)
        return d * d


class MeanAbsoluteError(MeanMetricWrapper):
    """Mean of |y_true - y_pred| over all elements.

    >>> m = MeanAbsoluteError()
    >>> m.update_state(np.array([1.0, 2.0]), np.array([1.0, 4.0]))
    >>> m.result()
    1.0
    """

    default_name = "mean_absolute_error"

    def _fn(self, y_true, y_pred):
        return np.abs(y_pred - y_true.reshape(y_pred.shape))


# -- classification: accuracies, precision and recall --------------------------------------
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


# -- names ---------------------------------------------------------------------------------
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
