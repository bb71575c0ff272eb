"""The base of the streaming metrics of :mod:`topograd.train.metrics`: :class:`Metric`,
the (weighted) means built on it, and the regression metrics (mean squared and mean absolute
error). Import them from :mod:`topograd.train.metrics`.

>>> m = MeanAbsoluteError()
>>> m.update_state(np.array([1.0, 2.0]), np.array([2.0, 2.0]), sample_weight=[3.0, 1.0])
>>> m.result()
0.75
"""

from __future__ import annotations

import numpy as np


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
