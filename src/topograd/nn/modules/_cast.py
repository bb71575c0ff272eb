"""Module's dtype casts (``float()``, ``double()``, ``to()``, ...), as a mixin of
:class:`~topograd.nn.Module`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...tensor import Tensor

if TYPE_CHECKING:
    from .module import Module


class _CastMixin:
    """In-place casts of the floating-point parameters and buffers; mixed into Module."""

    # -- dtype casts -----------------------------------------------------------------------
    def _cast_floats(self, dtype) -> Module:
        dt = np.dtype(dtype)
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for t in store.values():
                    if t is None or t._data.dtype.kind != "f" or t._data.dtype == dt:
                        continue
                    t._data = t._data.astype(dt)  # same object: optimizers keep their refs
                    t._bump_version()
                    if t.grad is not None:
                        t.grad = Tensor._from_array(t.grad._data.astype(dt))
        return self

    def float(self) -> Module:
        """Cast floating-point parameters and buffers to float32, in place; returns self."""
        return self._cast_floats(np.float32)

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64, in place; returns self.

        >>> from topograd import nn
        >>> nn.Linear(2, 2).double().weight.dtype
        dtype('float64')
        """
        return self._cast_floats(np.float64)

    def half(self) -> Module:
        """Cast floating-point parameters and buffers to float16, in place; returns self."""
        return self._cast_floats(np.float16)

    def type(self, dst_type) -> Module:
        """Cast floating-point parameters and buffers to ``dst_type``; returns self."""
        return self._cast_floats(dst_type)

    def to(self, *args, **kwargs) -> Module:
        """``to(dtype)``, ``to("cpu")`` or ``to(tensor)``: cast floating state; returns self."""
        dtype = kwargs.get("dtype")
        for a in args + tuple(v for k, v in kwargs.items() if k == "device"):
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, str) and a.split(":")[0] == "cpu":
                continue
            elif isinstance(a, str) and a.split(":")[0] in ("cuda", "mps", "xpu"):
                raise RuntimeError(f"topograd runs on the CPU only; cannot move a module to {a!r}")
            elif a is not None and not isinstance(a, str):
                dtype = a
        if dtype is not None:
            self._cast_floats(dtype)
        return self

    def cpu(self) -> Module:
        """Return self: topograd modules live on the CPU."""
        return self
