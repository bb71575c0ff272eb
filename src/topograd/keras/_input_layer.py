"""The symbolic input of a Sequential model (``Input``, ``KerasTensor``, ``InputLayer``),
part of :mod:`topograd.keras.layers`; import them from there."""

from __future__ import annotations

from .backend import unique_name
from .layers import Layer, format_shape


class KerasTensor:
    """A symbolic input: what ``Input(shape=...)`` returns, to start a Sequential model.

    Attributes:
        shape: the batch shape, e.g. ``(None, 784)``.

    >>> KerasTensor((None, 784)).shape
    (None, 784)
    """

    def __init__(self, shape, name=None) -> None:
        self.shape = tuple(shape)
        self.name = name

    def __repr__(self) -> str:
        return f"<KerasTensor shape={format_shape(self.shape)}, name={self.name}>"


def Input(shape=None, batch_size=None, name=None, dtype=None, **kwargs) -> KerasTensor:
    """A symbolic input of one sample's ``shape``: ``Sequential([Input((784,)), ...])``.

    >>> Input(shape=(784,)).shape
    (None, 784)
    """
    if shape is None:
        raise ValueError("Input needs a shape, e.g. Input(shape=(784,))")
    if isinstance(shape, int):
        shape = (shape,)
    return KerasTensor((batch_size, *tuple(shape)), name or unique_name("input_layer"))


class InputLayer(Layer):
    """Declares the input shape of a Sequential model (not a computing layer).

    >>> InputLayer(shape=(784,)).input_shape
    (None, 784)
    """

    def __init__(self, shape=None, batch_size=None, input_shape=None, **kwargs) -> None:
        super().__init__(input_shape=shape if shape is not None else input_shape, **kwargs)
        if self.input_shape_declared is None:
            raise ValueError("InputLayer needs a shape, e.g. InputLayer(shape=(784,))")
        self.input_shape_declared = (batch_size, *self.input_shape_declared[1:])

    def call(self, x):
        return x

    def _infer(self, x):
        return x
