"""Module's dtype casts (``float()``, ``double()``, ``to()``, ...), as a mixin of
:class:`~topograd.nn.Module`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..._device import check_move
from ...tensor import Tensor
from ...tensor_convert import _as_dtype, _parse_to

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
        """Move and/or cast the parameters and buffers in place, as ``torch.nn.Module.to``;
        returns self.

        Called as ``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(tensor)``. A
        dtype must be floating and casts the floating parameters and buffers only; the device
        must be the CPU (``"cuda"`` raises PyTorch's CPU-build error once there is a tensor
        to move).

        >>> import topograd
        >>> from topograd import nn
        >>> m = nn.Linear(2, 2)
        >>> m.to("cpu") is m, m.to(topograd.device("cpu"), topograd.float64).weight.dtype
        (True, dtype('float64'))
        """
        device, dtype, _ = _parse_to(args, kwargs)
        if dtype is not None:
            dtype = _as_dtype(dtype)
            if dtype.kind not in "fc":
                raise TypeError("nn.Module.to only accepts floating point or complex dtypes, "
                                f"but got desired dtype=topograd.{dtype}")
        if device is not None and self._first_tensor() is not None:
            check_move(device)
        if dtype is not None:
            self._cast_floats(dtype)
        return self

    def _first_tensor(self):
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for t in store.values():
                    if t is not None:
                        return t
        return None

    def cpu(self) -> Module:
        """Return self: topograd modules live on the CPU."""
        return self

    def cuda(self, device=None) -> Module:
        """Raise what PyTorch's CPU build raises when there is a tensor to move; else self.

        >>> from topograd import nn
        >>> nn.ReLU().cuda()
        ReLU()
        >>> nn.Linear(2, 2).cuda()
        Traceback (most recent call last):
        AssertionError: Torch not compiled with CUDA enabled
        """
        t = self._first_tensor()
        if t is not None:
            t.cuda(device)
        return self
