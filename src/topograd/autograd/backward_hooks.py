"""Tensor hooks and retained gradients during the backward pass.

The engine calls into this module only for a node whose ``_hooks`` slot is set (a tensor
it made has hooks, or retains its gradient) and, once some leaf has a hook, for leaves;
a graph with no hooks costs one attribute check per node. Registering a hook is
:mod:`topograd.autograd.hooks`.
"""

from __future__ import annotations

import weakref

from ..tensor import Tensor
from . import hooks as _hooks
from .function import Function
from .grad_mode import STATE


def _run_hooks(hooks: dict, g, create_graph: bool):
    """Pass gradient ``g`` through ``hooks`` in order; return what the last one made.

    ``g`` is an array on the first-order path (the hooks see it as a Tensor and their
    result is unwrapped), a Tensor with ``create_graph``, or None for an output of a
    multi-output node that no use reached (as PyTorch, the hooks see None and may
    not replace it). Grad mode is ``create_graph`` while they run, as in backward.
    """
    prev = STATE.enabled
    STATE.enabled = create_graph
    try:
        if g is None:
            for hook in tuple(hooks.values()):
                if hook(None) is not None:
                    raise RuntimeError("can't replace a None gradient with a non-None value")
            return None
        t = g if create_graph else Tensor._from_array(g)
        for hook in tuple(hooks.values()):  # a hook may remove hooks: run the ones seen now
            r = hook(t)
            if r is None or r is t:
                continue
            _hooks.check_hook_result(t, r, hook)
            t = r
    finally:
        STATE.enabled = prev
    return t if create_graph else t._data


def _node_hooks(node: Function, grads: list, create_graph: bool) -> None:
    """Run the hooks of the tensors ``node`` made on their summed gradients, in place in
    ``grads``; then fill the ``.grad`` of the retained ones (PyTorch runs retain_grad's
    hook after the others, so ``.grad`` holds the hooked gradient)."""
    for i, (dtype, hooks) in node._hooks.items():
        if not hooks:
            continue
        g = grads[i]
        if g is not None and g.dtype != dtype:
            g = g.to(dtype) if create_graph else g.astype(dtype)
        grads[i] = _run_hooks(hooks, g, create_graph)
    retained = node._retained
    if retained is None:
        return
    for i, ref in retained.items():
        t = ref()
        g = grads[i]
        if t is None or g is None:
            continue
        if create_graph:
            if g.dtype != t.dtype:
                g = g.to(t.dtype)
            t.grad = g if t.grad is None else t.grad + g
        elif t.grad is None:
            t.grad = Tensor._from_array(g.astype(t._data.dtype))  # a copy
        else:
            t.grad = Tensor._from_array(t.grad._data + g.astype(t._data.dtype, copy=False))


def _active_nodes(order: list, capture: dict) -> dict:
    """The nodes that made an input of ``autograd.grad`` or lie on a path to one.

    PyTorch's engine runs only those, so only their tensors' hooks (and retained
    gradients) see a gradient. Maps each to whether it leads on to an input (True) or
    only made one (False). Computed only when a node with hooks is reached.
    """
    made = {key[0] for key in capture if key[1] >= 0}
    active = {}
    for node in reversed(order):  # a node's inputs' nodes come before it
        leads_on = False
        for edge in node.next_edges:
            if edge is None:
                continue
            if isinstance(edge, Tensor):
                if (edge, -1) in capture:
                    leads_on = True
                    break
                continue
            if type(edge) is tuple:
                edge = edge[0]
            if edge in active:
                leads_on = True
                break
        if leads_on or node in made:
            active[node] = leads_on
    return active


def _leaf_grad(leaf: Tensor, g, create_graph: bool):
    """A leaf's summed gradient in the leaf's dtype, through the leaf's hooks."""
    if create_graph:
        if g.dtype != leaf.dtype:
            g = g.to(leaf.dtype)
    elif g.dtype != leaf._data.dtype:
        g = g.astype(leaf._data.dtype)
    if _hooks.leaf_hooks_used:
        hooks = getattr(leaf, "_hooks", None)
        if hooks:
            r = _run_hooks(hooks, g, create_graph)
            if r is not g and not create_graph:
                r = r.copy()  # the hook's tensor may be the caller's: .grad gets its own
            g = r
    return g


def retain_grad(tensor: Tensor) -> None:
    """Make a non-leaf ``tensor`` keep its ``.grad`` after backward (``Tensor.retain_grad``).

    Args:
        tensor: a tensor that requires grad; on a leaf this does nothing.

    >>> import topograd
    >>> y = topograd.ones(2, requires_grad=True) * 2
    >>> retain_grad(y)
    >>> y.sum().backward()
    >>> y.grad
    tensor([1., 1.], dtype=float32)
    """
    if not tensor.requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    node = tensor._ctx
    if node is None:
        return
    if node._retained is None:
        node._retained = {}
    node._retained[tensor._out_idx] = weakref.ref(tensor)
    if node._hooks is None:
        node._hooks = {}  # the engine looks at _retained only on nodes with _hooks
