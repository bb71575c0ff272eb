"""Hooks on gradients: ``Tensor.register_hook`` and the handle that removes a hook.

A hook on a leaf lives on the tensor (its ``_hooks`` slot); a hook on a tensor made by
an operation lives on the graph node that made it, under the tensor's output index, so
the engine finds it without holding the tensor. Nodes and tensors with no hooks carry
None, and the engine checks that one slot per node.

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

from . import function

# Set once any leaf tensor gets a hook: until then the engine never looks for leaf hooks.
leaf_hooks_used = False


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
    if not isinstance(new, function.Tensor):
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
