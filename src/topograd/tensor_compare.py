"""Tensor comparisons, selection (maximum, minimum, clamp, where) and in-place updates.

Mixed into :class:`topograd.Tensor`. Comparisons return bool tensors outside the
graph; the selections are differentiable; in-place updates (``add_``, ``zero_``,
``x += y``) keep autograd consistent (see ``_inplace``).
"""

from __future__ import annotations

import numpy as np

from . import tensor_views as _views
from .autograd import grad_mode
from .primitives import elementwise as E
from .tensor_math import _binary, _broadcast_error, _other

_STATE = grad_mode.STATE

Tensor = None  # bound by topograd.tensor once the class exists


class CompareMixin:
    __slots__ = ()

    # -- comparisons (not differentiable) ----------------------------------------------
    def _compare(self, other, fn):
        o = other._data if isinstance(other, Tensor) else other
        try:
            return Tensor._from_array(np.asarray(fn(self._data, o)))
        except ValueError:
            _broadcast_error("comparison", self, other)
            raise

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    def __eq__(self, other):  # noqa: D105 - elementwise, as in PyTorch
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __invert__(self):
        return Tensor._from_array(~self._data)

    def __and__(self, other):
        return self._compare(other, np.logical_and if self._data.dtype == bool else np.bitwise_and)

    def __or__(self, other):
        return self._compare(other, np.logical_or if self._data.dtype == bool else np.bitwise_or)

    def eq(self, other):
        """Elementwise ==, a bool tensor."""
        return self == other

    def ne(self, other):
        """Elementwise !=."""
        return self != other

    def lt(self, other):
        """Elementwise <."""
        return self < other

    def le(self, other):
        """Elementwise <=."""
        return self <= other

    def gt(self, other):
        """Elementwise >."""
        return self > other

    def ge(self, other):
        """Elementwise >=."""
        return self >= other

    def equal(self, other) -> bool:
        """True when both tensors have the same shape and values."""
        return bool(np.array_equal(self._data, other._data))

    def allclose(self, other, rtol=1e-5, atol=1e-8) -> bool:
        """True when all values are close (NumPy's rule)."""
        o = other._data if hasattr(other, "_data") else other
        return bool(np.allclose(self._data, o, rtol=rtol, atol=atol))

    def isnan(self):
        """Elementwise NaN test."""
        return self._compare(None, lambda a, _: np.isnan(a))

    def isfinite(self):
        """Elementwise finiteness test."""
        return self._compare(None, lambda a, _: np.isfinite(a))

    def all(self, dim=None):
        """True where every element (along ``dim``) is nonzero."""
        return self._compare(None, lambda a, _: np.all(a, axis=dim))

    def any(self, dim=None):
        """True where some element (along ``dim``) is nonzero."""
        return self._compare(None, lambda a, _: np.any(a, axis=dim))

    # -- selection ---------------------------------------------------------------------
    def maximum(self, other):
        """Elementwise maximum: the max gate routes the gradient to the larger input.

        Ties split the gradient evenly, as in PyTorch.

        Args:
            other: a tensor or number (broadcast).

        >>> import topograd
        >>> topograd.tensor([1.0, 5.0]).maximum(topograd.tensor([3.0, 2.0])).tolist()
        [3.0, 5.0]
        """
        s, o = _other(self, other)
        return _binary(E.Maximum.apply, "maximum", s, o)

    def minimum(self, other):
        """Elementwise minimum (the gradient goes to the smaller input).

        Args:
            other: a tensor or number (broadcast).

        >>> import topograd
        >>> topograd.tensor([1.0, 5.0]).minimum(2.0).tolist()
        [1.0, 2.0]
        """
        s, o = _other(self, other)
        return _binary(E.Minimum.apply, "minimum", s, o)

    def clamp(self, min=None, max=None):
        """Limit values to [min, max]; either bound may be None (or a tensor).

        The gradient passes where min <= x <= max, as in PyTorch. ``clip`` is an alias.

        Args:
            min: lower bound or None.
            max: upper bound or None.

        >>> import topograd
        >>> topograd.tensor([-2.0, 0.5, 3.0]).clamp(-1, 1).tolist()
        [-1.0, 0.5, 1.0]
        """
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        if hasattr(min, "_data") or hasattr(max, "_data"):
            out = self
            if min is not None:
                out = out.maximum(min)
            if max is not None:
                out = out.minimum(max)
            return out
        return E.Clamp.apply(self, min, max)

    clip = clamp

    def clamp_min(self, min):
        """max(self, min)."""
        return self.clamp(min=min)

    def clamp_max(self, max):
        """min(self, max)."""
        return self.clamp(max=max)

    def where(self, condition, other):
        """``self`` where ``condition`` holds, else ``other`` (PyTorch's method form)."""
        from .tensor import where

        return where(condition, self, other)

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` is True, else self.

        Args:
            mask: a bool tensor broadcastable to self.
            value: a number or tensor.

        >>> import topograd
        >>> topograd.ones(3).masked_fill(topograd.tensor([True, False, True]), 0.0).tolist()
        [0.0, 1.0, 0.0]
        """
        from .tensor import where

        return where(mask, value, self)

    # -- in-place updates ----------------------------------------------------------------
    def _inplace(self, result_fn, *args):
        """Apply an update in place, safely.

        A leaf that requires grad is refused while grad mode is on (its gradient would be
        lost), and so is a view of one. When the graph is being recorded the update is
        recorded too: this tensor now stands for the result, and its old value stays
        intact for the nodes that saved it. As in PyTorch, values saved for backward
        *before* the update count as modified: the version bump makes a later backward
        through them raise instead of computing with stale values.

        A tensor that shares its memory with others (a view, its base, a ``detach()``)
        gets the new values written into that memory, so that all of them see the
        update; an update of a view is recorded as an update of its base (see
        :mod:`topograd.tensor_views`). A tensor that shares nothing takes the result's
        memory instead (no copy).
        """
        view = getattr(self, "_view", None)
        if _STATE.enabled and (self.requires_grad or
                               any(getattr(a, "requires_grad", False) for a in args) or
                               (view is not None and view.base.requires_grad)):
            if view is not None:
                _views.check_view_inplace(self, view)
            elif self.requires_grad and self._ctx is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place "
                    "operation. Wrap the update in topograd.no_grad() (as optimizers do), "
                    "or use an out-of-place operation."
                )
            if not self._data.flags.writeable:
                _overlap_error()
            shared = view is not None or _views.others_alive(self)
            # the value before the update, at the same place in the graph: the update's
            # own node saves this one, so the version bump below does not stale it (a
            # copy when the memory is shared: the update is written into it)
            old = Tensor._from_array(self._data.copy() if shared else self._data)
            old._ctx, old._out_idx, old.requires_grad = self._ctx, self._out_idx, self.requires_grad
            out = result_fn(old, *args)
            dt = self._data.dtype
            if out._data.shape != self._data.shape:
                raise RuntimeError(
                    f"output with shape {tuple(self._data.shape)} doesn't match the broadcast "
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
                out = _views.Overwrite.apply(old, out)
            if shared:
                _views.write_recorded(self, view, out)
                return self
            self._bump_version()
            self._data = out._data
            self._ctx, self._out_idx, self.requires_grad = out._ctx, out._out_idx, out.requires_grad
            return self
        if not self._data.flags.writeable:
            _overlap_error()
        prev = _STATE.enabled
        _STATE.enabled = False
        try:
            out = result_fn(self, *args)
        finally:
            _STATE.enabled = prev
        try:
            np.copyto(self._data, out._data, casting="same_kind")
        except TypeError:
            raise RuntimeError(
                f"result type {out._data.dtype} can't be cast to the desired output type "
                f"{self._data.dtype} in an in-place operation"
            ) from None
        except ValueError:
            raise RuntimeError(
                f"output with shape {tuple(self._data.shape)} doesn't match the broadcast "
                f"shape {tuple(out._data.shape)} in an in-place operation"
            ) from None
        self._bump_version()
        return self

    def __iadd__(self, other):
        return self._inplace(type(self).__add__, other)

    def __isub__(self, other):
        return self._inplace(type(self).__sub__, other)

    def __imul__(self, other):
        return self._inplace(type(self).__mul__, other)

    def __itruediv__(self, other):
        return self._inplace(type(self).__truediv__, other)

    def add_(self, other, alpha=1):
        """In-place self += alpha * other.

        Refused on a leaf that requires grad unless under ``no_grad`` (as optimizers
        update); on a value backward still needs, backward later raises.

        Args:
            other: a tensor or number.
            alpha: multiplier of ``other``.

        >>> import topograd
        >>> topograd.ones(2).add_(topograd.ones(2), alpha=2).tolist()
        [3.0, 3.0]
        """
        return self._inplace(lambda s, o: s.add(o, alpha), other)

    def sub_(self, other, alpha=1):
        """In-place self -= alpha * other."""
        return self._inplace(lambda s, o: s.sub(o, alpha), other)

    def mul_(self, other):
        """In-place self *= other."""
        return self._inplace(type(self).__mul__, other)

    def div_(self, other):
        """In-place self /= other."""
        return self._inplace(type(self).__truediv__, other)

    def clamp_(self, min=None, max=None):
        """In-place clamp."""
        return self._inplace(lambda s: s.clamp(min, max))

    def zero_(self):
        """Fill with zeros, in place (``p.grad.zero_()``).

        >>> import topograd
        >>> topograd.ones(2).zero_().tolist()
        [0.0, 0.0]
        """
        return self.fill_(0)

    def fill_(self, value):
        """Fill with ``value``, in place."""
        return self._inplace(lambda s: _const(np.full(s._data.shape, value, s._data.dtype)))

    def copy_(self, src):
        """Copy ``src``'s values into this tensor, in place (broadcasting)."""
        src = src if isinstance(src, Tensor) else Tensor(src)
        return self._inplace(lambda s, o: o.type(s._data.dtype).expand(*s._data.shape) * 1, src)

    def uniform_(self, a=0.0, b=1.0):
        """Fill with draws from U(a, b), from the global generator."""
        from .random import default_generator

        vals = default_generator().uniform(a, b, self._data.shape).astype(self._data.dtype)
        return self._inplace(lambda s: _const(vals))

    def normal_(self, mean=0.0, std=1.0):
        """Fill with draws from N(mean, std^2), from the global generator."""
        from .random import default_generator

        vals = default_generator().normal(mean, std, self._data.shape).astype(self._data.dtype)
        return self._inplace(lambda s: _const(vals))


def _const(arr):
    return Tensor._from_array(arr)


def _overlap_error():
    raise RuntimeError(
        "unsupported operation: more than one element of the written-to tensor refers "
        "to a single memory location (it was made by expand() or broadcasting). "
        "Please clone() the tensor before performing the operation."
    )
