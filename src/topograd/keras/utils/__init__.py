"""Keras's utilities: ``to_categorical`` and ``set_random_seed``.

>>> from topograd.keras.utils import to_categorical
>>> to_categorical([0, 2], num_classes=3).tolist()
[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import numpy as np

__all__ = ["to_categorical", "set_random_seed"]


def to_categorical(x, num_classes: int | None = None, dtype="float32") -> np.ndarray:
    """One-hot encode integer class labels: shape ``x.shape + (num_classes,)``.

    A trailing axis of size 1 is dropped first, as Keras does.

    Args:
        x: integer labels (any shape), e.g. MNIST's uint8 labels.
        num_classes: the number of classes (default: largest label + 1).
        dtype: the output dtype (float32 as Keras).

    Returns:
        The one-hot array.

    Raises:
        ValueError: negative or non-integer labels, or labels >= ``num_classes``.

    >>> to_categorical([1, 0], dtype="int64").tolist()
    [[0, 1], [1, 0]]
    """
    y = np.asarray(x)
    if y.ndim >= 1 and y.shape[-1:] == (1,) and y.ndim > 1:
        y = y.reshape(y.shape[:-1])
    if y.dtype.kind == "f":
        if not np.array_equal(y, np.floor(y)):
            raise ValueError("to_categorical expects integer class labels, found non-integer "
                             "values")
        y = y.astype(np.int64)
    elif y.dtype.kind not in "iub":
        raise TypeError(f"to_categorical expects integer class labels, found dtype {y.dtype}")
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical expects labels >= 0, found {y.min()}")
    top = int(y.max()) + 1 if y.size else 0
    if num_classes is None:
        num_classes = top
    elif top > num_classes:
        raise ValueError(f"to_categorical: found label {top - 1}, but num_classes={num_classes} "
                         f"allows labels 0..{num_classes - 1}")
    out = np.zeros(y.shape + (int(num_classes),), dtype=dtype)
    np.put_along_axis(out, y.astype(np.intp)[..., None], 1, axis=-1)
    return out


def set_random_seed(seed: int) -> None:
    """Seed topograd's global generator (weights, shuffling, dropout), as Keras's function.

    >>> set_random_seed(0)
    """
    import topograd

    topograd.manual_seed(seed)
