"""The differentiable primitives, grouped by kind. Each class is one graph node.

``base`` (:class:`Primitive` and the operations backward rules share), ``elementwise``,
``reduce``, ``movement``, ``matmul``, ``softmax``, ``nn`` (linear, activations, dropout,
batch norm) and ``nn_loss``.
"""

# The core loop (see topograd.autograd): the tensor loads first, then its primitives.
from .. import tensor as _tensor  # noqa: F401
from .base import Primitive
from .elementwise import (
    Abs,
    Add,
    Cast,
    Clamp,
    Cos,
    Div,
    Exp,
    Log,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Relu,
    Remainder,
    Sigmoid,
    Sign,
    Sin,
    Sqrt,
    Sub,
    Tanh,
    Where,
)
from .matmul import MatMul
from .movement import Cat, Expand, GetItem, Pad, Permute, Reshape, Scatter, Stack
from .reduce import Amax, Amin, LogSumExp, Mean, Sum
from .softmax import LogSoftmax, Softmax

__all__ = [
    "Abs", "Add", "Amax", "Amin", "Cast", "Cat", "Clamp", "Cos", "Div", "Exp", "Expand",
    "GetItem", "Log", "LogSoftmax", "LogSumExp", "MatMul", "Maximum", "Mean", "Minimum", "Mul",
    "Neg", "Pad", "Permute", "Pow", "Primitive", "Relu", "Remainder", "Reshape", "Scatter",
    "Sigmoid", "Sign", "Sin", "Softmax", "Sqrt", "Stack", "Sub", "Sum", "Tanh", "Where",
]
