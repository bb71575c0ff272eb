"""The order of the backward pass: which graph nodes it visits, and when.

``toposort`` is the order the engine walks the graph in; ``topological_order`` reports
that order, one :class:`Step` per node, for reading a graph.

>>> import topograd
>>> x = topograd.tensor([1.0, 2.0], requires_grad=True)
>>> [step.name for step in topological_order((x.exp() * x).sum())]
['Sum', 'Mul', 'Exp']
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import tensor as _tensor  # the core loop: Tensor is read at call time
from .function import Function


def toposort(roots) -> list:
    """Nodes reachable from ``roots`` (Function nodes), each after every node that uses it.

    This is the order the backward pass visits them: the reverse of a topological
    order of the forward graph. Computed with an explicit stack (post-order DFS).
    """
    Tensor = _tensor.Tensor
    order = []
    visited = set()
    for root in roots:
        if root in visited:
            continue
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if node in visited:
                continue
            visited.add(node)
            stack.append((node, True))
            for edge in node.next_edges:
                if edge is None or isinstance(edge, Tensor):
                    continue
                if type(edge) is tuple:
                    edge = edge[0]
                if edge not in visited:
                    stack.append((edge, False))
    order.reverse()
    return order


@dataclass(frozen=True)
class Step:
    """One node of the backward pass, as :func:`topological_order` reports it.

    Attributes:
        index: position in the backward order (0 is the node that made the output).
        name: the operation's name, e.g. ``"MatMul"``.
        input_shapes: the shapes of the operation's tensor inputs.
        output_shapes: the shapes of its outputs.
        node: the graph node itself (a :class:`~topograd.autograd.Function`).
    """

    index: int
    name: str
    input_shapes: tuple
    output_shapes: tuple
    node: Function

    def __str__(self) -> str:
        ins = ", ".join(_fmt_shape(s) for s in self.input_shapes)
        outs = ", ".join(_fmt_shape(s) for s in self.output_shapes)
        return f"{self.index:>3}  {self.name:<14} {ins} -> {outs}"


def _fmt_shape(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


class TopologicalOrder(list):
    """A list of :class:`Step` that prints as a table."""

    def __str__(self) -> str:
        head = "backward visits, from the output down to the leaves:"
        return "\n".join([head] + [str(s) for s in self])

    def _repr_pretty_(self, p, cycle) -> None:  # IPython
        p.text(str(self))


def topological_order(tensor) -> TopologicalOrder:
    """The nodes in the order the backward pass visits them, from the output down.

    Args:
        tensor: an output; a leaf (no node) gives an empty list.

    Returns:
        A list of :class:`Step` (``name``, ``input_shapes`` of the tensor inputs,
        ``output_shapes``); ``print()`` it for a table.

    >>> import topograd
    >>> w = topograd.tensor([[0.1, 0.5], [-0.3, 0.8]], requires_grad=True)
    >>> x = topograd.tensor([0.2, 0.4], requires_grad=True)
    >>> f = ((w @ x) ** 2).sum()
    >>> print(topograd.autograd.topological_order(f))
    backward visits, from the output down to the leaves:
      0  Sum            (2,) -> ()
      1  Pow            (2,) -> (2,)
      2  MatMul         (2, 2), (2,) -> (2,)
    """
    steps = TopologicalOrder()
    if tensor._ctx is None:
        return steps
    for i, node in enumerate(toposort([tensor._ctx])):
        ins = tuple(tuple(s) for s in node.in_shapes if s is not None)
        steps.append(Step(i, node.name, ins, tuple(tuple(s) for s in node.out_shapes), node))
    return steps
