"""Views: tensors that share another tensor's memory, with PyTorch's semantics.

Basic indexing (``a[1:3]``, ``a[0]``, ``a[:, 1]``), ``reshape``/``view`` where NumPy can
reshape without copying, ``permute``/``transpose``/``.T`` and ``expand`` return *views*
of their input: they write through to it, and it writes through to them. ``detach()``
returns an *alias*: the same memory, outside the graph.

All the tensors over one memory (the base, its views, its detached aliases) form an
alias group and share one version counter, as in PyTorch: an in-place update of any of
them counts as a modification of every one, so a backward that saved any of them
raises instead of computing with stale values. The group holds its members weakly, so
a detached loss kept for logging does not keep its graph alive.

In grad mode, an in-place update of a view is recorded as an update of its base, as
PyTorch's ``CopySlices`` does: the base's node becomes :class:`CopySlices`, whose
backward sends the gradient of the overwritten region to the update and the rest to the
base's old value; every view of the base then reads its values from the new base node.
As in PyTorch, some view updates are refused in grad mode (a view of a leaf that
requires grad, a view made under ``no_grad`` of a tensor that requires grad, a piece
from ``split``/``chunk``/``unbind``/iteration) and an expanded tensor is never written.

>>> import topograd
>>> x = topograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> a = x * 2
>>> a[1:3].mul_(5)
tensor([20., 30.], dtype=float32, grad_fn=<GetItemBackward>)
>>> a
tensor([ 2., 20., 30.], dtype=float32, grad_fn=<CopySlicesBackward>)
>>> a.sum().backward()
>>> x.grad
tensor([ 2., 10., 10.], dtype=float32)
"""

from __future__ import annotations

import weakref

import numpy as np

from .autograd import grad_mode
from .primitives.elementwise import Primitive
from .primitives.movement import Expand, GetItem, Permute, Reshape

Tensor = None  # bound by topograd.tensor once the class exists

_STATE = grad_mode.STATE

# the Functions that replay a view step on a tensor (differentiably)
_STEP_FUNCTIONS = {"index": GetItem, "reshape": Reshape, "permute": Permute, "expand": Expand}


class _Aliases:
    """The tensors over one memory, held weakly; they share one version counter.

    Every member's ``_vc`` is bumped together (see ``Tensor._bump_version``) and a new
    member starts at the group's current version, so all of them always agree.
    """

    __slots__ = ("refs", "_prune_at")

    def __init__(self, first) -> None:
        self.refs = [weakref.ref(first)]
        self._prune_at = 16

    def add(self, t) -> None:
        self.refs.append(weakref.ref(t))
        if len(self.refs) >= self._prune_at:  # drop the dead, amortized O(1) per add
            self.refs = [r for r in self.refs if r() is not None]
            self._prune_at = max(16, 2 * len(self.refs))

    def members(self) -> list:
        out = []
        for r in self.refs:
            t = r()
            if t is not None:
                out.append(t)
        return out

    # a copied or unpickled tensor has its own memory: it belongs to no group
    def __deepcopy__(self, memo):
        return None

    def __reduce__(self):
        return (_none, ())


class _View:
    """What makes a tensor a view: its base and how to get the view from the base.

    Attributes:
        base: the tensor that owns the memory (never itself a view: a view of a view
            records the first view's base, as PyTorch's ``_base``).
        steps: ``((kind, arg), ...)``, the view operations from the base to the view;
            kind is ``"index"``, ``"reshape"``, ``"permute"`` or ``"expand"``.
        creation: ``"default"``, ``"no_grad"`` (made while grad mode was off) or
            ``"multi"`` (one of several views made by split/chunk/unbind/iteration).
        output: for a piece of a multi-view function, ``(name, index)`` (PyTorch's
            "Output 1 of Split"); None otherwise.
    """

    __slots__ = ("base", "steps", "creation", "output")

    def __init__(self, base, steps, creation, output=None) -> None:
        self.base, self.steps, self.creation, self.output = base, steps, creation, output

    def __deepcopy__(self, memo):
        return None

    def __reduce__(self):
        return (_none, ())


def _none():
    return None


def _join(src, group, t) -> None:
    """Put ``t`` in the alias ``group`` of ``src`` (same memory, same version counter).

    ``group`` is ``src``'s, or None when ``src`` has none yet. A member's ``_view`` slot
    is always set (None when it is not a view), so that it is read without getattr.
    """
    if group is None:
        group = src._alias = _Aliases(src)
        src._view = None
    group.add(t)
    t._alias = group
    t._vc = src._vc


def make_view(src, out, kind: str, arg):
    """Mark ``out`` (just made from ``src`` by a view operation) as a view of ``src``.

    Nothing happens when the operation copied (NumPy could not view) or returned
    ``src`` itself.

    Returns:
        ``out``.
    """
    if out is src:
        return out
    x, y = src._data, out._data
    owner = y.base
    if owner is None:  # owns its memory: a copy
        return out
    if owner is not x and (owner is not x.base) and not np.may_share_memory(y, x):
        return out
    group = getattr(src, "_alias", None)
    sv = None if group is None else src._view
    if sv is None:
        base, steps, creation = src, ((kind, arg),), "default"
    else:
        base, steps, creation = sv.base, sv.steps + ((kind, arg),), sv.creation
    if not _STATE.enabled:
        creation = "no_grad"
    out._view = _View(base, steps, creation)
    _join(src, group, out)
    return out


def mark_multi_output(pieces, name: str, first: int = 0) -> tuple:
    """Mark the views made by split/chunk/unbind (PyTorch refuses in-place on them)."""
    for i, p in enumerate(pieces, first):
        v = getattr(p, "_view", None)
        if v is not None and v.creation != "no_grad":
            v.creation, v.output = "multi", (name, i)
    return pieces


def make_alias(src):
    """``src.detach()``: the same memory and version counter, outside the graph."""
    out = Tensor._from_array(src._data)
    out._view = None
    _join(src, getattr(src, "_alias", None), out)
    return out


def steps_array(arr: np.ndarray, steps) -> np.ndarray:
    """Apply view steps to an array (a view of it where NumPy can)."""
    for kind, arg in steps:
        if kind == "index":
            arr = _index_view(arr, arg)
        elif kind == "reshape":
            arr = arr.reshape(arg)
        elif kind == "permute":
            arr = np.transpose(arr, arg)
        else:
            arr = np.broadcast_to(arr, arg)
    return arr


def _index_view(arr, index):
    out = arr[index]
    if type(out) is not np.ndarray:  # every index an int: NumPy gives a scalar, not a view
        out = arr[(index if type(index) is tuple else (index,)) + (Ellipsis,)]
    return out


def _steps_tensor(t, steps):
    """Apply view steps to a tensor through the view Functions (recorded in grad mode)."""
    for kind, arg in steps:
        t = _STEP_FUNCTIONS[kind].apply(t, arg)
    return t


def others_alive(t) -> bool:
    """True when another live tensor shares ``t``'s memory (a view, a base, an alias)."""
    group = getattr(t, "_alias", None)
    if group is None:
        return False
    for r in group.refs:
        m = r()
        if m is not None and m is not t:
            return True
    return False


def refresh_views(base) -> None:
    """After ``base`` got a new node, let each of its views read from that node.

    PyTorch regenerates a view's ``grad_fn`` from its base's after an in-place update
    of the base or of another view; this does it at once for the live views. Views made
    under ``no_grad`` stay outside the graph.
    """
    group = getattr(base, "_alias", None)
    if group is None:
        return
    prev = _STATE.enabled
    _STATE.enabled = True
    try:
        for t in group.members():
            v = getattr(t, "_view", None)
            if v is None or v.base is not base or v.creation == "no_grad":
                continue
            fresh = _steps_tensor(base, v.steps)
            t._ctx, t._out_idx, t.requires_grad = fresh._ctx, 0, fresh.requires_grad
    finally:
        _STATE.enabled = prev


# -- in-place updates ------------------------------------------------------------------

_MULTI = (" This view is the output of a function that returns multiple views. Such "
          "functions do not allow the output views to be modified inplace. You should "
          "replace the inplace operation by an out-of-place one.")
_NO_GRAD = (" Given that this use case is ambiguous and error-prone, it is forbidden. You "
            "can clarify your code by moving both the view and the inplace either both "
            "inside the no_grad block (if you don't want the inplace to be tracked) or "
            "both outside (if you want the inplace to be tracked).")


def check_view_inplace(t, view) -> None:
    """PyTorch's checks before a recorded in-place update of the view ``t``."""
    if view.creation != "default":
        if t._ctx is None:
            head = ("A view was created in no_grad mode and is being modified inplace with "
                    "grad mode enabled.")
        else:
            name, idx = view.output or (t._ctx.name, t._out_idx)
            head = f"Output {idx} of {name} is a view and is being modified inplace."
        raise RuntimeError(head + (_MULTI if view.creation == "multi" else _NO_GRAD))
    base = view.base
    if base.requires_grad and base._ctx is None:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place "
            "operation."
        )


def write_recorded(t, view, out) -> None:
    """Finish a recorded in-place update of ``t`` whose new value is ``out``.

    ``t`` shares its memory with other tensors: the values are written into that
    memory (never rebound), the group's version is bumped, and the graph is updated:
    ``t`` itself takes ``out``'s node when it is not a view; a view's update becomes a
    :class:`CopySlices` node on its base. Either way the base's views are refreshed.
    """
    np.copyto(t._data, out._data)
    t._bump_version()
    if view is None:
        t._ctx, t._out_idx, t.requires_grad = out._ctx, out._out_idx, out.requires_grad
        refresh_views(t)
        return
    base = view.base
    old = Tensor._from_array(base._data)
    old._ctx, old._out_idx, old.requires_grad = base._ctx, base._out_idx, base.requires_grad
    rec = CopySlices.apply(old, out, view.steps)
    if rec._ctx is not None:
        base._ctx, base._out_idx, base.requires_grad = rec._ctx, 0, True
    refresh_views(base)


class Overwrite(Primitive):
    """``old`` overwritten by the constant ``new`` (fill_, zero_, ...): the result keeps
    ``old``'s place in the graph, and ``old``'s gradient is zero (PyTorch's
    ``FillBackward``)."""

    @staticmethod
    def forward(ctx, old, new):
        return new

    @staticmethod
    def backward(ctx, g):
        if type(g) is np.ndarray:
            return np.zeros_like(g), None
        return Tensor._from_array(np.zeros(g.shape, dtype=g.dtype)), None


class CopySlices(Primitive):
    """The base after an in-place update of one of its views (PyTorch's ``CopySlices``).

    Inputs: the base before the update and the view's new value; the view's values are
    already written into the base's memory, which forward returns as is. Backward gives
    the base's old value the gradient outside the view's region and the view's new value
    the gradient inside it.
    """

    @staticmethod
    def forward(ctx, base, value, steps):
        ctx.steps = steps
        return base

    @staticmethod
    def backward(ctx, g):
        shape = ctx.in_shapes[0]
        n = int(np.prod(shape, dtype=np.int64))
        pos = steps_array(np.arange(n, dtype=np.intp).reshape(shape), ctx.steps)
        e = ctx.next_edges
        g_base = g_value = None
        if e[0] is not None:
            if type(g) is np.ndarray:
                g_base = g.copy()  # C order: np.put's flat positions are the base's
                np.put(g_base, pos, 0)
            else:
                from .tensor import where

                keep = np.ones(shape, dtype=bool)
                np.put(keep, pos, False)
                g_base = where(keep, g, 0.0)
        if e[1] is not None:
            g_value = g.reshape(-1)[pos]
        return g_base, g_value, None
