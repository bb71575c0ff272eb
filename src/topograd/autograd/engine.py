"""The backward pass: reverse topological order, gradient accumulation, un-broadcasting.

The walk is iterative (an explicit stack, no recursion), so a chain of 100,000
operations differentiates as easily as a chain of ten. Gradients arriving at a value
from several uses are summed; a gradient whose shape was broadcast in the forward pass
is summed back to its input's shape here, in one place, for every operation.

Beside this module: the order of the walk (``toposort``, ``topological_order``) is in
``graph``, calling one node's backward rule in ``node_call``, and running tensor hooks
and ``retain_grad`` in ``backward_hooks``; their public names import from here too.

>>> import topograd
>>> x = topograd.tensor([1.0, 2.0], requires_grad=True)
>>> y = (x * x).sum()
>>> [step.name for step in topograd.autograd.topological_order(y)]
['Sum', 'Mul']
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import hooks as _hooks
from .backward_hooks import (
    _active_nodes,
    _leaf_grad,
    _node_hooks,
    retain_grad,  # noqa: F401 - Tensor.retain_grad imports it from here
)
from .function import _FREED, _FREED_MESSAGE
from .graph import (
    Step,  # noqa: F401 - re-exported (graph.py)
    TopologicalOrder,  # noqa: F401 - re-exported (graph.py)
    topological_order,  # noqa: F401 - autograd.topological_order loads it from here
    toposort,
)
from .node_call import _call_backward, _check_versions


def unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, to get ``shape``."""
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead >= 0:
        axes = tuple(range(lead)) + tuple(
            i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1
        )
        if axes:
            g = g.sum(axis=axes, keepdims=True)
    if g.shape != shape:
        try:
            g = g.reshape(shape)
        except ValueError:
            pass  # a backward returned a wrong shape: the caller names it
    return g


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, inputs=None,
                 allow_unused=False):
    """The engine. Propagates ``root_grads`` from ``roots`` down to the leaves.

    NumPy's floating-point warnings are off while it runs: a gradient that is inf or
    nan (log at 0, 0 * inf, x / 0) is a value, as in PyTorch, not a warning.

    Args:
        roots: output tensors.
        root_grads: one gradient per root (arrays, or Tensors with ``create_graph``).
        retain_graph: keep saved values so the graph can be walked again.
        create_graph: build a graph of the backward pass itself (higher derivatives).
        inputs: when given, return the gradients for these tensors instead of
            accumulating into leaves' ``.grad`` (this is ``autograd.grad``).
        allow_unused: with ``inputs``, return None for an input the outputs do not use.

    Returns:
        None, or with ``inputs`` a list of gradients.
    """
    with np.errstate(all="ignore"):
        return _run_backward(roots, root_grads, retain_graph, create_graph, inputs,
                             allow_unused)


def _run_backward(roots, root_grads, retain_graph, create_graph, inputs, allow_unused):
    buffers: dict = {}
    leaf_grads: dict = {}
    root_nodes = []
    for r, g in zip(roots, root_grads):
        if r._ctx is None:
            leaf_grads[r] = _add(leaf_grads[r], g) if r in leaf_grads else g
            continue
        slot = buffers.setdefault(r._ctx, [None] * len(r._ctx.out_shapes))
        i = r._out_idx
        slot[i] = g if slot[i] is None else _add(slot[i], g)
        root_nodes.append(r._ctx)

    capture = None
    captured = None
    if inputs is not None:
        capture = {}
        captured = [None] * len(inputs)
        for k, t in enumerate(inputs):
            key = (t, -1) if t._ctx is None else (t._ctx, t._out_idx)
            capture.setdefault(key, []).append(k)

    order = toposort(root_nodes)
    active = None  # with inputs: the nodes PyTorch's engine would run (see _active_nodes)
    unhooked = {}  # with inputs: node -> its gradients before its hooks ran
    for node in order:
        grads = buffers.pop(node, None)
        if grads is None:
            continue
        if node.saved is _FREED:
            raise RuntimeError(_FREED_MESSAGE)
        if node._versions is not None or node._out_dirty:
            _check_versions(node)
        if node._hooks is not None:  # hooks or retain_grad on a tensor this node made
            if capture is None:
                _node_hooks(node, grads, create_graph)
            else:
                if active is None:
                    active = _active_nodes(order, capture)
                leads_on = active.get(node)
                if leads_on is not None:
                    if leads_on:  # PyTorch captures before the hooks of a node it runs
                        unhooked[node] = list(grads)
                    _node_hooks(node, grads, create_graph)
        for i, g in enumerate(grads):
            if g is None:
                grads[i] = _zeros(node.out_shapes[i], create_graph)
        if capture is not None:
            grads_out = grads
            if unhooked and node in unhooked:  # what autograd.grad returns: before hooks
                grads_out = [grads[i] if u is None else u
                             for i, u in enumerate(unhooked.pop(node))]
            for i, g in enumerate(grads_out):
                for k in capture.get((node, i), ()):
                    captured[k] = g
        in_grads = _call_backward(node, grads, create_graph)
        shapes = node.in_shapes
        for k, obj in enumerate(node.next_edges):
            if obj is None:
                continue
            g = in_grads[k]
            if g is None:
                continue
            if type(g) is not np.ndarray:
                # NumPy returns a scalar for a 0-d result (g * 2, g.sum()): every backward
                # rule is handed an ndarray (or, with create_graph, a Tensor)
                if not create_graph:
                    g = np.asarray(g)
                elif not isinstance(g, Tensor):
                    g = Tensor._from_array(np.asarray(g))
            shape = shapes[k]
            if g.shape != shape:
                g = unbroadcast(g, shape)
                if g.shape != shape:
                    raise RuntimeError(
                        f"function {node.name}Backward returned an invalid gradient at "
                        f"index {k}: got shape {tuple(g.shape)} but expected shape "
                        f"{tuple(shape)}"
                    )
            if isinstance(obj, Tensor):
                leaf_grads[obj] = _add(leaf_grads[obj], g) if obj in leaf_grads else g
            else:
                idx = 0
                if type(obj) is tuple:
                    obj, idx = obj
                slot = buffers.get(obj)
                if slot is None:
                    slot = buffers[obj] = [None] * len(obj.out_shapes)
                slot[idx] = g if slot[idx] is None else _add(slot[idx], g)
        if not retain_graph and node.saved:
            node.saved = _FREED

    if capture is not None:
        for t, g in leaf_grads.items():
            ks = capture.get((t, -1))
            if ks:
                g = _leaf_grad(t, g, create_graph)
                for k in ks:
                    captured[k] = g
        for k, g in enumerate(captured):
            if g is None and not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {k}) appears to not have been "
                    "used in the graph. Set allow_unused=True if this is the desired behavior."
                )
        if not create_graph:
            # one gradient array may reach several inputs (x + y hands both the same g),
            # or be the caller's grad_outputs: each returned tensor gets its own memory
            seen = {id(g) for g in root_grads}
            return [None if g is None else Tensor._from_array(_owned(g, seen)) for g in captured]
        return captured

    _accumulate_leaves(leaf_grads, root_grads, create_graph)
    return None


def _add(a, b):
    """Sum two gradients of one value; an ndarray (not a NumPy scalar) when they are 0-d."""
    s = a + b
    return np.asarray(s) if isinstance(s, np.generic) else s


def _zeros(shape, create_graph):
    z = np.zeros(shape, dtype=np.float32)
    return Tensor._from_array(z) if create_graph else z


def _owned(g, seen: set):
    """``g``, or a copy of it when it may be shared with another gradient or value."""
    if g.base is not None or id(g) in seen:
        g = g.copy()
    seen.add(id(g))
    return g


def _accumulate_leaves(leaf_grads: dict, root_grads, create_graph: bool) -> None:
    seen = {id(g) for g in root_grads if not isinstance(g, Tensor)}
    hooked = _hooks.leaf_hooks_used
    for leaf, g in leaf_grads.items():
        if create_graph:
            g = _leaf_grad(leaf, g, True)
            leaf.grad = g if leaf.grad is None else leaf.grad + g
            continue
        if hooked:
            g = _leaf_grad(leaf, g, False)
        elif g.dtype != leaf._data.dtype:
            g = g.astype(leaf._data.dtype)
        if leaf.grad is None:
            leaf.grad = Tensor._from_array(_owned(g, seen))
        elif leaf.grad.requires_grad:
            leaf.grad = leaf.grad.detach() + Tensor._from_array(g)
        else:
            leaf.grad._data += g


def backward(tensor: Tensor, gradient=None, retain_graph=None, create_graph=False,
             inputs=None) -> None:
    """Accumulate d(tensor)/d(leaf) into every leaf's ``.grad`` (``Tensor.backward``).

    Args:
        tensor: the output to differentiate.
        gradient: d(out)/d(tensor), the tensor's shape; may be omitted (meaning 1) for a
            one-element tensor.
        retain_graph: keep saved values for another pass (default: ``create_graph``).
        create_graph: record the backward pass too, so the gradients are differentiable.
        inputs: accumulate only into these tensors.

    >>> import topograd
    >>> x = topograd.tensor([1.0, 2.0], requires_grad=True)
    >>> topograd.autograd.backward((x * x).sum())
    >>> x.grad
    tensor([2., 4.], dtype=float32)
    """
    if not tensor.requires_grad:
        raise RuntimeError(
            "element 0 of tensors does not require grad and does not have a grad_fn: "
            "call requires_grad_() on a leaf (or create it with requires_grad=True) "
            "before computing with it"
        )
    if gradient is None:
        if tensor._data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs: this output has "
                f"shape {tuple(tensor.shape)}; pass backward(gradient=...) with that shape"
            )
        gradient = np.ones_like(tensor._data)
    else:
        gradient = _as_grad_array(gradient, tensor, "backward(gradient=...)")
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph:
        gradient = Tensor._from_array(gradient)
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        for t in inputs:
            if t._ctx is not None:
                retain_grad(t)  # as PyTorch: a computed input gets .grad by retain_grad
        grads = run_backward([tensor], [gradient], retain_graph, create_graph, inputs,
                             allow_unused=True)
        done = set()
        for t, g in zip(inputs, grads):
            if g is None or t._ctx is not None or id(t) in done:
                continue
            done.add(id(t))
            if create_graph:
                t.grad = g if t.grad is None else t.grad + g
            elif t.grad is None:
                t.grad = g
            else:
                t.grad._data += g._data
        return
    run_backward([tensor], [gradient], retain_graph, create_graph)


def _as_grad_array(g, like: Tensor, what: str) -> np.ndarray:
    arr = g._data if isinstance(g, Tensor) else np.asarray(g, dtype=like._data.dtype)
    if arr.shape != like._data.shape:
        raise RuntimeError(
            f"{what}: mismatch in shape: grad_output has a shape of {tuple(arr.shape)} "
            f"and output has a shape of {tuple(like.shape)}"
        )
    return arr


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    Args:
        outputs: a Tensor or a sequence of Tensors.
        inputs: a Tensor or a sequence of Tensors that require grad.
        grad_outputs: the vector in the vector-Jacobian product, one per output
            (None for scalar outputs means 1).
        retain_graph: keep the graph for another pass (default: ``create_graph``).
        create_graph: make the returned gradients differentiable.
        allow_unused: return None for inputs the outputs do not depend on.

    Returns:
        A tuple of Tensors, one per input.

    >>> import topograd
    >>> x = topograd.tensor(3.0, requires_grad=True)
    >>> (g,) = topograd.autograd.grad(x ** 3, x, create_graph=True)
    >>> g.item(), topograd.autograd.grad(g, x)[0].item()
    (27.0, 18.0)
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    for k, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {k} does not require grad")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    root_grads = []
    for o, g in zip(outputs, grad_outputs):
        if not o.requires_grad:
            raise RuntimeError("grad: an output does not require grad and has no grad_fn")
        if g is None:
            if o._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs: an output has "
                    f"shape {tuple(o.shape)}; pass grad_outputs"
                )
            g = np.ones_like(o._data)
        else:
            g = _as_grad_array(g, o, "grad(grad_outputs=...)")
        root_grads.append(Tensor._from_array(g) if create_graph else g)
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(outputs, root_grads, retain_graph, create_graph, inputs,
                          allow_unused)
    return tuple(result)
