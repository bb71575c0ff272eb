"""Hooks on gradients: registering them (``Tensor.register_hook``, ``retain_grad``) and
running them during the backward pass.

A hook on a leaf lives on the tensor (its ``_hooks`` slot); a hook on a tensor made by
an operation lives on the graph node that made it, under the tensor's output index, so
the engine finds it without holding the tensor. Nodes and tensors with no hooks carry
None: the engine calls into this module only for a node whose ``_hooks`` slot is set (a
tensor it made has hooks, or retains its gradient) and, once some leaf has a hook, for
leaves; a graph with no hooks costs one attribute check per node.

>>> import topograd
>>> x = topograd.tensor([1.0, 2.0], requires_grad=True)
>>> handle = x.register_hook(lambda g: g * 2)
>>> (x * x).sum().backward()
>>> x.grad
tensor([4., 8.], dtype=float32)
>>> handle.remove()
"""

from __future__ import annotations

import itertools
import weakref

from .. import tensor as _tensor  # the core loop: Tensor is read at call time
from .grad_mode import STATE

# Set once any leaf tensor gets a hook: until then the engine never looks for leaf hooks.
leaf_hooks_used = False

# -- registering -------------------------------------------------------------------------
class RemovableHandle:
    """What a ``register_*hook`` method returns: call ``remove()`` to unregister the hook.

    Args:
        hooks: the dict (hook id -> hook) the hook was added to.

    >>> hooks = {}
    >>> h = RemovableHandle(hooks)
    >>> hooks[h.id] = print
    >>> h.remove()
    >>> hooks
    {}
    """

    _ids = itertools.count()  # next() is atomic: threads registering hooks get distinct ids

    def __init__(self, hooks: dict) -> None:
        self.hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        """Unregister the hook (no error when it is already gone)."""
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def register_tensor_hook(tensor, hook) -> RemovableHandle:
    """Add ``hook`` to the hooks of ``tensor``'s gradient (``Tensor.register_hook``).

    Args:
        tensor: a tensor that requires grad.
        hook: ``hook(grad) -> Tensor or None``.

    Returns:
        A :class:`RemovableHandle`.

    >>> import topograd
    >>> y = topograd.ones(2, requires_grad=True) * 3
    >>> seen = []
    >>> h = register_tensor_hook(y, seen.append)
    >>> y.sum().backward()
    >>> seen
    [tensor([1., 1.], dtype=float32)]
    """
    global leaf_hooks_used
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    node = tensor._ctx
    if node is None:
        hooks = getattr(tensor, "_hooks", None)
        if hooks is None:
            hooks = tensor._hooks = {}
        leaf_hooks_used = True
    else:
        table = node._hooks
        if table is None:
            table = node._hooks = {}
        entry = table.get(tensor._out_idx)
        if entry is None:
            # the dtype lets the engine hand the hook a gradient of the tensor's dtype
            entry = table[tensor._out_idx] = (tensor._data.dtype, {})
        hooks = entry[1]
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def hook_name(hook) -> str:
    """The name errors give a hook: its ``__name__``, else ``<unknown>`` (as PyTorch)."""
    name = getattr(hook, "__name__", None)
    return name if isinstance(name, str) else "<unknown>"


def _typename(obj) -> str:
    cls = type(obj)
    mod = cls.__module__
    return cls.__qualname__ if mod == "builtins" else f"{mod}.{cls.__qualname__}"


def check_hook_result(old, new, hook) -> None:
    """Refuse a hook's return value that is not a Tensor of ``old``'s dtype and shape."""
    if not isinstance(new, _tensor.Tensor):
        raise TypeError(f"expected Variable, but hook returned '{_typename(new)}'")
    a, b = old._data, new._data
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"hook '{hook_name(hook)}' has changed the type of value (was {a.dtype} got "
            f"{b.dtype})"
        )
    if a.shape != b.shape:
        raise RuntimeError(
            f"hook '{hook_name(hook)}' has changed the size of value (was {tuple(a.shape)} "
            f"got {tuple(b.shape)})"
        )


def retain_grad(tensor) -> None:
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


# -- running them in backward ------------------------------------------------------------


def run_hooks(hooks: dict, g, create_graph: bool):
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
        t = g if create_graph else _tensor.Tensor._from_array(g)
        for hook in tuple(hooks.values()):  # a hook may remove hooks: run the ones seen now
            r = hook(t)
            if r is None or r is t:
                continue
            check_hook_result(t, r, hook)
            t = r
    finally:
        STATE.enabled = prev
    return t if create_graph else t._data


def node_hooks(node, grads: list, create_graph: bool) -> None:
    """Run the hooks of the tensors ``node`` made on their summed gradients, in place in
    ``grads``; then fill the ``.grad`` of the retained ones (PyTorch runs retain_grad's
    hook after the others, so ``.grad`` holds the hooked gradient)."""
    Tensor = _tensor.Tensor
    for i, (dtype, hooks) in node._hooks.items():
        if not hooks:
            continue
        g = grads[i]
        if g is not None and g.dtype != dtype:
            g = g.to(dtype) if create_graph else g.astype(dtype)
        grads[i] = run_hooks(hooks, g, create_graph)
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


def active_nodes(order: list, capture: dict) -> dict:
    """The nodes that made an input of ``autograd.grad`` or lie on a path to one.

    PyTorch's engine runs only those, so only their tensors' hooks (and retained
    gradients) see a gradient. Maps each to whether it leads on to an input (True) or
    only made one (False). Computed only when a node with hooks is reached.
    """
    Tensor = _tensor.Tensor
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


def leaf_grad(leaf, g, create_graph: bool):
    """A leaf's summed gradient in the leaf's dtype, through the leaf's hooks."""
    if create_graph:
        if g.dtype != leaf.dtype:
            g = g.to(leaf.dtype)
    elif g.dtype != leaf._data.dtype:
        g = g.astype(leaf._data.dtype)
    if leaf_hooks_used:
        hooks = getattr(leaf, "_hooks", None)
        if hooks:
            r = run_hooks(hooks, g, create_graph)
            if r is not g and not create_graph:
                r = r.copy()  # the hook's tensor may be the caller's: .grad gets its own
            g = r
    return g
