"""What the loop trains on: arrays batched by one fancy index each, or any iterable of batches.

>>> import numpy as np
>>> src = ArrayBatches(np.arange(10.0).reshape(5, 2), np.arange(5), batch_size=2,
...                    shuffle=False)
>>> len(src), [len(y) for _, y in src.epoch()]
(3, [2, 2, 1])
"""

from __future__ import annotations

import itertools
import math
import numbers

import numpy as np

__all__ = ["ArrayBatches", "IterableBatches", "as_source", "as_array", "check_finite",
           "split_validation"]


def as_array(a, name: str) -> np.ndarray:
    """The NumPy array behind ``a`` (a Tensor, an array or array-like), without copying."""
    if hasattr(a, "_data") and isinstance(a._data, np.ndarray):
        return a._data
    if isinstance(a, np.ndarray):
        return a
    try:
        arr = np.asarray(a)
    except (ValueError, TypeError) as e:
        raise TypeError(f"{name} expected an array, a Tensor or a DataLoader, found "
                        f"{type(a).__name__}: {e}") from None
    if arr.dtype == object:
        raise TypeError(f"{name} expected a numeric array, found {type(a).__name__} of objects")
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise ValueError naming the first sample holding NaN or infinity (floats only).

    Row sums (one BLAS matrix-vector product, faster than any elementwise pass) are a
    screen: they are finite when every value is, unless a sum overflows, and only then
    does the full elementwise check run.
    """
    if arr.dtype.kind not in "fc" or arr.size == 0:
        return
    if arr.dtype.kind == "f" and arr.dtype.itemsize >= 4:
        flat = arr.reshape(len(arr), -1) if arr.ndim > 1 else arr
        with np.errstate(all="ignore"):
            sums = flat @ np.ones(flat.shape[-1], dtype=arr.dtype)
        if np.isfinite(sums).all():
            return
    else:
        with np.errstate(all="ignore"):
            total = complex(np.sum(arr, dtype=np.complex128))
        if math.isfinite(total.real) and math.isfinite(total.imag):
            return
    bad = ~np.isfinite(arr.reshape(len(arr), -1) if arr.ndim > 1 else arr)
    rows = np.flatnonzero(bad.any(axis=1) if bad.ndim > 1 else bad)
    if len(rows) == 0:
        return
    i = int(rows[0])
    value = arr[i].reshape(-1)[np.flatnonzero(~np.isfinite(arr[i].reshape(-1)))[0]]
    raise ValueError(f"{name} contains NaN or infinity: {len(rows)} sample(s), the first is "
                     f"sample {i} (value {value}); clean or impute the data first")


def _check_batch_size(batch_size) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or \
            batch_size < 1:
        raise ValueError(f"batch_size expected a positive int, found {batch_size!r}")
    return int(batch_size)


class ArrayBatches:
    """Batches of ``(x, y)`` from arrays: each batch is one fancy index (or a slice) per array.

    Args:
        x: inputs, first axis = samples.
        y: targets with as many samples, or None.
        batch_size: samples per batch (the last batch may be smaller).
        shuffle: a new random order every epoch, drawn from topograd's global generator
            (so ``topograd.manual_seed`` makes it repeatable).
    """

    def __init__(self, x: np.ndarray, y, batch_size: int, shuffle: bool) -> None:
        self.x = x
        self.y = y
        self.batch_size = _check_batch_size(batch_size)
        self.shuffle = shuffle
        self.n = len(x)

    def __len__(self) -> int:
        return -(-self.n // self.batch_size)

    def epoch(self, steps: int | None = None):
        """Yield ``(x_batch, y_batch)`` for one pass (``y_batch`` is None without targets)."""
        x, y, bs, n = self.x, self.y, self.batch_size, self.n
        count = len(self) if steps is None else min(steps, len(self))
        if self.shuffle:
            from topograd.random import default_generator

            order = default_generator().permutation(n)
            for s in range(0, count * bs, bs):
                idx = order[s:s + bs]
                yield x[idx], (None if y is None else y[idx])
        else:
            for s in range(0, count * bs, bs):
                yield x[s:s + bs], (None if y is None else y[s:s + bs])


class IterableBatches:
    """Batches from a DataLoader or any re-iterable of ``(x, y)`` pairs (or of inputs alone).

    Args:
        data: an iterable; iterated afresh every epoch.
        steps: batches per epoch (default: all of them; needed when ``data`` has no len).
    """

    def __init__(self, data, steps: int | None = None) -> None:
        self.data = data
        self.steps = steps
        self.n = None

    def __len__(self):
        if self.steps is not None:
            return self.steps
        try:
            return len(self.data)
        except TypeError:
            return None

    def epoch(self, steps: int | None = None):
        steps = steps if steps is not None else self.steps
        it = iter(self.data)
        if steps is not None:
            it = itertools.islice(it, steps)
        for batch in it:
            if isinstance(batch, (tuple, list)):
                if len(batch) == 2:
                    yield batch[0], batch[1]
                elif len(batch) == 1:
                    yield batch[0], None
                else:
                    raise ValueError(f"expected batches of (inputs, targets), found a "
                                     f"{type(batch).__name__} of {len(batch)} items")
            else:
                yield batch, None


def as_source(x, y, batch_size, shuffle, name: str, steps=None):
    """Wrap ``x``/``y`` (arrays or an iterable of batches) as a batch source; check lengths."""
    if _is_batch_iterable(x):
        if y is not None:
            raise ValueError(f"{name}: when x is a DataLoader or an iterable of batches, "
                             "y must be None (the batches carry the targets)")
        try:
            if len(x) == 0:
                raise ValueError(f"{name}: the data is empty (0 batches)")
        except TypeError:
            if steps is None:
                raise ValueError(f"{name}: x has no len(); pass steps_per_epoch/steps") from None
        return IterableBatches(x, steps)
    xa = as_array(x, "x")
    if xa.ndim == 0:
        raise ValueError(f"{name}: x must have a samples axis, found a scalar")
    ya = None if y is None else as_array(y, "y")
    if ya is not None and ya.ndim == 0:
        raise ValueError(f"{name}: y must have a samples axis, found a scalar")
    if len(xa) == 0:
        raise ValueError(f"{name}: the data is empty: x has 0 samples")
    if ya is not None and len(ya) != len(xa):
        raise ValueError(f"{name}: x and y have different numbers of samples: x has "
                         f"{len(xa)} (shape {xa.shape}), y has {len(ya)} (shape {ya.shape})")
    return ArrayBatches(xa, ya, batch_size, shuffle)


def _is_batch_iterable(x) -> bool:
    if isinstance(x, np.ndarray) or hasattr(x, "_data") or isinstance(x, (list, tuple)):
        return False
    return hasattr(x, "__iter__")


def split_validation(x, y, fraction: float):
    """Keras's ``validation_split``: the last ``fraction`` of the samples, before shuffling.

    >>> import numpy as np
    >>> (xt, yt), (xv, yv) = split_validation(np.arange(10), np.arange(10), 0.2)
    >>> xt.tolist(), xv.tolist()
    ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation_split expected a fraction in [0, 1), found {fraction}")
    n = len(x)
    cut = int(math.floor(n * (1.0 - fraction)))
    if cut == 0 or cut == n:
        raise ValueError(f"validation_split={fraction} leaves "
                         f"{'no training' if cut == 0 else 'no validation'} samples out of {n}")
    return (x[:cut], None if y is None else y[:cut]), (x[cut:], None if y is None else y[cut:])
