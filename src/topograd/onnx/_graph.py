"""A small ONNX graph builder on ``onnx.helper``: constants, nodes, fresh names."""

from __future__ import annotations

import numpy as np


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("ONNX export needs the onnx package: pip install 'topograd[onnx]'") \
            from None
    return onnx


class Graph:
    """Collects ONNX nodes and initializers for one linear chain of layers.

    Args:
        dtype: the NumPy float dtype of the network (constants are cast to it).
        opset: the ONNX opset the nodes are written for.

    Example:
        >>> g = Graph(np.float32, 17)
        >>> w = g.const("w", np.ones((2, 2)))
        >>> g.node("MatMul", ["x", w], hint="mm")
        'mm'
    """

    def __init__(self, dtype, opset: int):
        self.onnx = _onnx()
        self.dtype = np.dtype(dtype)
        self.opset = opset
        self.nodes: list = []
        self.initializers: list = []
        self._names: set[str] = set()

    def fresh(self, hint: str) -> str:
        """A name not used yet in the graph, built from ``hint``."""
        name, i = hint, 1
        while name in self._names:
            name = f"{hint}_{i}"
            i += 1
        self._names.add(name)
        return name

    def const(self, hint: str, array, dtype=None) -> str:
        """Add an initializer (cast to the network dtype unless ``dtype`` is given)."""
        arr = np.asarray(array, dtype=self.dtype if dtype is None else dtype)
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(arr, name))
        return name

    def scalar(self, hint: str, value: float) -> str:
        """A 0-d constant in the network dtype."""
        return self.const(hint, np.asarray(value, dtype=self.dtype))

    def node(self, op: str, inputs: list[str], hint: str | None = None, **attrs) -> str:
        """Add one node with one output; returns the output's name."""
        out = self.fresh(hint or op.lower())
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [out], name=self.fresh(
            f"{out}_node"), **attrs))
        return out
