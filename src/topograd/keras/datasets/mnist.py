"""MNIST as ``keras.datasets.mnist``: ``load_data()`` returns uint8 NumPy arrays.

The files are read from (or downloaded into) topograd's data folder: ``$TOPOGRAD_DATA``
when set, else the user cache (see :func:`topograd.data.load_mnist`).
"""

from __future__ import annotations

__all__ = ["load_data"]


def load_data(path: str = "mnist.npz"):
    """The MNIST digits, shaped and typed as Keras's ``mnist.load_data()``.

    Args:
        path: accepted for Keras compatibility and ignored; the data folder is
            ``$TOPOGRAD_DATA`` (or the user cache).

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: uint8 images (60000, 28, 28) and
        (10000, 28, 28), uint8 labels (60000,) and (10000,).

    >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
    >>> x_train.shape, y_train.dtype  # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
    """
    from topograd.data import load_mnist

    return load_mnist()
