"""In-place updates, views and version counters: autograd's side of ``x.add_(y)``.

**Version counters.** Every tensor counts how often it was modified in place
(``t._version``). A node that kept an input for backward remembers that input's
version; a backward that finds it changed raises instead of computing with stale values.
A node that kept an output is marked when that output is modified.

**Views.** Basic indexing (``a[1:3]``, ``a[0]``, ``a[:, 1]``), ``reshape``/``view`` where
NumPy can reshape without copying, ``permute``/``transpose``/``.T`` and ``expand`` return
*views* of their input: they write through to it, and it writes through to them.
``detach()`` returns an *alias*: the same memory, outside the graph. All the tensors over
one memory (the base, its views, its detached aliases) form an alias group and share one
version counter, as in PyTorch: an in-place update of any of them counts as a
modification of every one. The group holds its members weakly, so a detached loss kept
for logging does not keep its graph alive.

**Recorded updates.** In grad mode an in-place update is recorded: the tensor now
stands for the result, and its old value stays intact for the nodes that kept it. An
update of a view is recorded as an update of its base, as PyTorch's ``CopySlices``
does: the base's node becomes :class:`~topograd.primitives.movement.CopySlices`, whose
backward sends the gradient of the overwritten region to the update and the rest to the
base's old value; every view of the base then reads its values from the new base node.
As in PyTorch, some updates are refused in grad mode (a leaf that requires grad, a view
of one, a view made under ``no_grad`` of a tensor that requires grad, a piece from
``split``/``chunk``/``unbind``/iteration) and an expanded tensor is never written.

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

from .. import tensor as _tensor  # the core loop: Tensor is read at call time
from ..primitives import elementwise as _elementwise
from ..primitives import movement as _movement
from .grad_mode import STATE

# -- version counters ------------------------------------------------------------------


def bump_version(t) -> None:
    """Count one in-place modification of ``t`` and of every tensor sharing its memory.

    A node that kept one of them as its output for backward is marked, so that its
    backward raises.
    """
    group = getattr(t, "_alias", None)
    for m in (t,) if group is None else group.members():
        m._vc += 1  # a view, its base and detach()es share one version counter
        node = m._ctx
        if node is not None:
            kept = node.saved_outputs
            if kept and type(kept) is tuple and kept[m._out_idx] is not None:
                node._out_dirty = True  # backward needs this output's old values


# -- alias groups and views ------------------------------------------------------------


class _Aliases:
    """The tensors over one memory, held weakly; they share one version counter.

    Every member's ``_vc`` is bumped together (see :func:`bump_version`) and a new
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
            kind is ``"index"``, ``"reshape"``, ``"permute"`` or ``"expand"`` (see
            :func:`topograd.primitives.movement.view_array`).
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
    if not STATE.enabled:
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
    out = _tensor.Tensor._from_array(src._data)
    out._view = None
    _join(src, getattr(src, "_alias", None), out)
    return out


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
    prev = STATE.enabled
    STATE.enabled = True
    try:
        for t in group.members():
            v = getattr(t, "_view", None)
            if v is None or v.base is not base or v.creation == "no_grad":
                continue
            fresh = _movement.view_tensor(base, v.steps)
            t._ctx, t._out_idx, t.requires_grad = fresh._ctx, 0, fresh.requires_grad
    finally:
        STATE.enabled = prev


# -- in-place updates ------------------------------------------------------------------

_MULTI = (" This view is the output of a function that returns multiple views. Such "
          "functions do not allow the output views to be modified inplace. You should "
          "replace the inplace operation by an out-of-place one.")
_NO_GRAD = (" Given that this use case is ambiguous and error-prone, it is forbidden. You "
            "can clarify your code by moving both the view and the inplace either both "
            "inside the no_grad block (if you don't want the inplace to be tracked) or "
            "both outside (if you want the inplace to be tracked).")


def update(t, result_fn, *args):
    """Replace ``t``'s values by ``result_fn(t, *args)``, in place, keeping autograd right.

    A leaf that requires grad is refused while grad mode is on (its gradient would be
    lost), and so is a view of one. When the graph is being recorded the update is
    recorded too: ``t`` now stands for the result, and its old value stays intact for
    the nodes that kept it. As in PyTorch, values kept for backward *before* the update
    count as modified: the version bump makes a later backward through them raise.

    A tensor that shares its memory with others (a view, its base, a ``detach()``) gets
    the new values written into that memory, so that all of them see the update; an
    update of a view is recorded as an update of its base. A tensor that shares nothing
    takes the result's memory instead (no copy).

    Returns:
        ``t``.
    """
    Tensor = _tensor.Tensor
    view = getattr(t, "_view", None)
    if STATE.enabled and (t.requires_grad or
                          any(getattr(a, "requires_grad", False) for a in args) or
                          (view is not None and view.base.requires_grad)):
        if view is not None:
            _check_view_update(t, view)
        elif t.requires_grad and t._ctx is None:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place "
                "operation. Wrap the update in topograd.no_grad() (as optimizers do), "
                "or use an out-of-place operation."
            )
        if not t._data.flags.writeable:
            _overlap_error()
        shared = view is not None or others_alive(t)
        # the value before the update, at the same place in the graph: the update's
        # own node keeps this one, so the version bump below does not stale it (a
        # copy when the memory is shared: the update is written into it)
        old = Tensor._from_array(t._data.copy() if shared else t._data)
        old._ctx, old._out_idx, old.requires_grad = t._ctx, t._out_idx, t.requires_grad
        out = result_fn(old, *args)
        dt = t._data.dtype
        if out._data.shape != t._data.shape:
            raise RuntimeError(
                f"output with shape {tuple(t._data.shape)} doesn't match the broadcast "
                f"shape {tuple(out._data.shape)} in an in-place operation"
            )
        if out._data.dtype != dt:
            if not np.can_cast(out._data.dtype, dt, casting="same_kind"):
                raise RuntimeError(
                    f"result type {out._data.dtype} can't be cast to the desired output "
                    f"type {dt} in an in-place operation"
                )
            out = out.type(dt)
        if old.requires_grad and not out.requires_grad:
            # overwritten by constants (fill_, zero_, normal_): still in the graph, as
            # in PyTorch, with a zero gradient for the old value
            out = _elementwise.Overwrite.apply(old, out)
        if shared:
            _write_recorded(t, view, out)
            return t
        bump_version(t)
        t._data = out._data
        t._ctx, t._out_idx, t.requires_grad = out._ctx, out._out_idx, out.requires_grad
        return t
    if not t._data.flags.writeable:
        _overlap_error()
    prev = STATE.enabled
    STATE.enabled = False
    try:
        out = result_fn(t, *args)
    finally:
        STATE.enabled = prev
    try:
        np.copyto(t._data, out._data, casting="same_kind")
    except TypeError:
        raise RuntimeError(
            f"result type {out._data.dtype} can't be cast to the desired output type "
            f"{t._data.dtype} in an in-place operation"
        ) from None
    except ValueError:
        raise RuntimeError(
            f"output with shape {tuple(t._data.shape)} doesn't match the broadcast "
            f"shape {tuple(out._data.shape)} in an in-place operation"
        ) from None
    bump_version(t)
    return t


def _check_view_update(t, view) -> None:
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


def _write_recorded(t, view, out) -> None:
    """Finish a recorded in-place update of ``t`` whose new value is ``out``.

    ``t`` shares its memory with other tensors: the values are written into that
    memory (never rebound), the group's version is bumped, and the graph is updated:
    ``t`` itself takes ``out``'s node when it is not a view; a view's update becomes a
    ``CopySlices`` node on its base. Either way the base's views are refreshed.
    """
    np.copyto(t._data, out._data)
    bump_version(t)
    if view is None:
        t._ctx, t._out_idx, t.requires_grad = out._ctx, out._out_idx, out.requires_grad
        refresh_views(t)
        return
    base = view.base
    old = _tensor.Tensor._from_array(base._data)
    old._ctx, old._out_idx, old.requires_grad = base._ctx, base._out_idx, base.requires_grad
    rec = _movement.CopySlices.apply(old, out, steps=view.steps)
    if rec._ctx is not None:
        base._ctx, base._out_idx, base.requires_grad = rec._ctx, 0, True
    refresh_views(base)


def _overlap_error():
    raise RuntimeError(
        "unsupported operation: more than one element of the written-to tensor refers "
        "to a single memory location (it was made by expand() or broadcasting). "
        "Please clone() the tensor before performing the operation."
    )
