"""Calling one node's backward rule, for the engine.

Before a node runs, ``_check_versions`` refuses a value that was modified in place
after the node saved it. ``_call_backward`` runs the rule on arrays or, with
``create_graph``, on Tensors connected to the graph (``_graph_saved``), and checks that
it returned one gradient per input.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .function import Function
from .grad_mode import STATE


def _check_versions(node: Function) -> None:
    if node._out_dirty:
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: the output of {node.name} was modified after {node.name} "
            "saved it for backward. Use an out-of-place operation (y = y + 1, not y += 1)."
        )
    v = node._versions
    if v is None:
        return
    for i in range(0, len(v), 2):
        t, version = v[i], v[i + 1]
        if t._vc != version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified "
                f"by an inplace operation: [tensor of shape {tuple(t.shape)}], an input of "
                f"{node.name}, is at version {t._vc}; expected version {version} instead. "
                "Use an out-of-place operation on values that backward still needs."
            )


def _graph_saved(node: Function) -> tuple:
    """``node.saved`` as Tensors connected to the graph, for ``create_graph``.

    A saved input becomes that input tensor; a saved output becomes a tensor made by
    ``node`` itself, so the derivative of a rule that uses the output (exp, tanh,
    sigmoid, a custom Function saving its result) sees the output's dependence on the
    inputs. Other arrays are constants.
    """
    inputs = node._versions[0::2] if node._versions else ()
    out = []
    for pos, s in enumerate(node.saved):
        if pos == node._out_pos:
            arr = s._data if isinstance(s, Tensor) else s
            t = Tensor._from_array(arr)
            t._ctx, t._out_idx, t.requires_grad = node, node._saved_out_idx, True
            out.append(t)
            continue
        if isinstance(s, Tensor) or not isinstance(s, np.ndarray):
            out.append(s)  # a user-saved tensor, or a Python number
            continue
        for t in inputs:
            if t._data is s:
                out.append(t)
                break
        else:
            out.append(Tensor._from_array(s))
    return tuple(out)


def _call_backward(node: Function, grads: list, create_graph: bool) -> tuple:
    if node._array_api:
        if create_graph:
            saved = node.saved
            node.saved = _graph_saved(node)
            prev = STATE.enabled
            STATE.enabled = True
            try:
                result = type(node).backward(node, *grads)
            finally:
                node.saved = saved
                STATE.enabled = prev
        else:
            result = type(node).backward(node, *grads)
    else:
        prev = STATE.enabled
        STATE.enabled = create_graph
        saved = node.saved
        if create_graph and node._out_pos >= 0:
            node.saved = _graph_saved(node)
        try:
            tgrads = grads if create_graph else [Tensor._from_array(g) for g in grads]
            result = type(node).backward(node, *tgrads)
        finally:
            node.saved = saved
            STATE.enabled = prev
        if not isinstance(result, tuple):
            result = (result,)
        if not create_graph:
            result = tuple(r._data if isinstance(r, Tensor) else r for r in result)
    if not isinstance(result, tuple):
        result = (result,)
    n = len(node.next_edges)
    if len(result) != n:
        if len(result) > n and all(r is None for r in result[n:]):
            result = result[:n]
        elif len(result) < n and all(e is None for e in node.next_edges[len(result):]):
            result = result + (None,) * (n - len(result))
        else:
            raise RuntimeError(
                f"function {node.name}Backward returned an incorrect number of gradients "
                f"(expected {n}, got {len(result)})"
            )
    return result
