"""The backward pass: the walk, calling each node's backward rule, un-broadcasting.

The walk is iterative (an explicit stack, no recursion), so a chain of 100,000
operations differentiates as easily as a chain of ten. Gradients arriving at a value
from several uses are summed; a gradient whose shape was broadcast in the forward pass
is summed back to its input's shape here (:func:`unbroadcast`), in one place, for every
operation.

Before a node's backward runs, :func:`check_versions` refuses a value modified in place
after the node kept it; :func:`call_backward` then runs the rule, with ``create_graph`` on
Tensors connected to the graph: the inputs and outputs the node kept (by index, see
:mod:`topograd.autograd.function`) become those tensors. The order of the walk is
:mod:`topograd.autograd.graph`; running tensor hooks and ``retain_grad`` is
:mod:`topograd.autograd.hooks`.

>>> import topograd
>>> x = topograd.tensor([1.0, 2.0], requires_grad=True)
>>> y = (x * x).sum()
>>> [step.name for step in topograd.autograd.topological_order(y)]
['Sum', 'Mul']
"""

from __future__ import annotations

import numpy as np

from .. import tensor as _tensor  # the core loop: Tensor is read at call time
from . import hooks as _hooks
from .function import FREED, FREED_MESSAGE, Function
from .grad_mode import STATE
from .graph import toposort


def unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, to get ``shape``.

    >>> unbroadcast(np.ones((4, 2, 3)), (2, 1)).tolist()
    [[12.0], [12.0]]
    """
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


# -- calling one node's backward ---------------------------------------------------------


def check_versions(node: Function) -> None:
    """Refuse to run ``node``'s backward when a value it kept was modified in place."""
    if node._out_dirty:
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: the output of {node.name} was modified after {node.name} "
            "saved it for backward. Use an out-of-place operation (y = y + 1, not y += 1)."
        )
    v = node._versions
    if v is None:
        return
    for k in range(0, len(v), 3):
        t, version = v[k + 1], v[k + 2]
        if t._vc != version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified "
                f"by an inplace operation: [tensor of shape {tuple(t.shape)}], an input of "
                f"{node.name}, is at version {t._vc}; expected version {version} instead. "
                "Use an out-of-place operation on values that backward still needs."
            )


def _node_output(node: Function, value, i: int):
    """``value``, output ``i`` of ``node``, as a tensor made by ``node`` (for ``create_graph``)."""
    t = _tensor.Tensor._from_array(getattr(value, "_data", value))
    t._ctx, t._out_idx, t.requires_grad = node, i, True
    return t


def _graph_values(node: Function) -> tuple:
    """What ``node`` kept, as Tensors connected to the graph, for ``create_graph``:
    ``(saved, saved_inputs, saved_outputs)``.

    A kept input becomes that input tensor; a kept output becomes a tensor made by
    ``node`` itself, so the derivative of a rule that uses the output (exp, tanh,
    sigmoid, a custom Function saving its result) sees the output's dependence on the
    inputs. Other values (a primitive's intermediates) are constants.
    """
    ins = node.saved_inputs
    v = node._versions
    if ins and v:
        ins = list(ins)
        for k in range(0, len(v), 3):
            if v[k] < len(ins) and ins[v[k]] is not None:
                ins[v[k]] = v[k + 1]
        ins = tuple(ins)
    outs = node.saved_outputs
    if outs:
        outs = tuple(None if o is None else _node_output(node, o, i) for i, o in enumerate(outs))
    saved = node.saved
    pairs = node._saved_out  # a user Function's saved outputs
    if pairs:
        saved = list(saved)
        for k in range(0, len(pairs), 2):
            saved[pairs[k]] = _node_output(node, saved[pairs[k]], pairs[k + 1])
        saved = tuple(saved)
    return saved, ins, outs


def call_backward(node: Function, grads: list, create_graph: bool) -> tuple:
    """Run ``node``'s backward rule on ``grads``; one gradient (or None) per input.

    Primitives get arrays, user Functions Tensors; with ``create_graph`` both get
    Tensors and what the node kept as graph tensors (grad mode on, so the rule records).
    """
    if node._array_api and not create_graph:
        result = type(node).backward(node, *grads)
    else:
        Tensor = _tensor.Tensor
        prev = STATE.enabled
        STATE.enabled = create_graph
        kept = node.saved, node.saved_inputs, node.saved_outputs
        if create_graph:
            node.saved, node.saved_inputs, node.saved_outputs = _graph_values(node)
        try:
            tgrads = grads if create_graph else [Tensor._from_array(g) for g in grads]
            result = type(node).backward(node, *tgrads)
        finally:
            node.saved, node.saved_inputs, node.saved_outputs = kept
            STATE.enabled = prev
        if not node._array_api:
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


# -- the walk ----------------------------------------------------------------------------


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
    Tensor = _tensor.Tensor
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
    active = None  # with inputs: the nodes PyTorch's engine would run (see hooks.active_nodes)
    unhooked = {}  # with inputs: node -> its gradients before its hooks ran
    for node in order:
        grads = buffers.pop(node, None)
        if grads is None:
            continue
        if node.saved is FREED:
            raise RuntimeError(FREED_MESSAGE)
        if node._versions is not None or node._out_dirty:
            check_versions(node)
        if node._hooks is not None:  # hooks or retain_grad on a tensor this node made
            if capture is None:
                _hooks.node_hooks(node, grads, create_graph)
            else:
                if active is None:
                    active = _hooks.active_nodes(order, capture)
                leads_on = active.get(node)
                if leads_on is not None:
                    if leads_on:  # PyTorch captures before the hooks of a node it runs
                        unhooked[node] = list(grads)
                    _hooks.node_hooks(node, grads, create_graph)
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
        in_grads = call_backward(node, grads, create_graph)
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
        if not retain_graph:  # free what the node kept (saved marks it freed)
            if node.saved_inputs:
                node.saved_inputs = node.saved = FREED
            if node.saved_outputs:
                node.saved_outputs = node.saved = FREED
            elif node.saved:
                node.saved = FREED

    if capture is not None:
        for t, g in leaf_grads.items():
            ks = capture.get((t, -1))
            if ks:
                g = _hooks.leaf_grad(t, g, create_graph)
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
    return _tensor.Tensor._from_array(z) if create_graph else z


def _owned(g, seen: set):
    """``g``, or a copy of it when it may be shared with another gradient or value."""
    if g.base is not None or id(g) in seen:
        g = g.copy()
    seen.add(id(g))
    return g


def _accumulate_leaves(leaf_grads: dict, root_grads, create_graph: bool) -> None:
    Tensor = _tensor.Tensor
    seen = {id(g) for g in root_grads if not isinstance(g, Tensor)}
    hooked = _hooks.leaf_hooks_used
    for leaf, g in leaf_grads.items():
        if create_graph:
            g = _hooks.leaf_grad(leaf, g, True)
            leaf.grad = g if leaf.grad is None else leaf.grad + g
            continue
        if hooked:
            g = _hooks.leaf_grad(leaf, g, False)
        elif g.dtype != leaf._data.dtype:
            g = g.astype(leaf._data.dtype)
        if leaf.grad is None:
            leaf.grad = Tensor._from_array(_owned(g, seen))
        elif leaf.grad.requires_grad:
            leaf.grad = leaf.grad.detach() + Tensor._from_array(g)
        else:
            leaf.grad._data += g


def backward(tensor, gradient=None, retain_graph=None, create_graph=False,
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
    Tensor = _tensor.Tensor
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
                _hooks.retain_grad(t)  # as PyTorch: a computed input gets .grad by retain_grad
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


def _as_grad_array(g, like, what: str) -> np.ndarray:
    arr = g._data if isinstance(g, _tensor.Tensor) else np.asarray(g, dtype=like._data.dtype)
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
    Tensor = _tensor.Tensor
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
