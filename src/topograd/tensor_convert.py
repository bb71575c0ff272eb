"""Tensor conversions: from data to an ndarray, and from a tensor to other types.

``_array_from`` turns what ``Tensor(...)`` is given into an ndarray; the mixin's
methods (mixed into :class:`topograd.Tensor`) turn a tensor into an ndarray, a Python
number or list, or a tensor of another dtype.
"""

from __future__ import annotations

import numpy as np

from ._device import as_device, check_move
from ._device import device as _Device
from .primitives import Cast

Tensor = None  # bound by topograd.tensor once the class exists

_FLOAT_DEFAULT = np.dtype(np.float32)


def _array_from(data, dtype=None) -> np.ndarray:
    """Turn ``data`` into an ndarray: Python floats become float32, ints int64."""
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, np.ndarray):
        arr = data
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
            data = [d._data if isinstance(d, Tensor) else d for d in data]
        try:
            arr = np.asarray(data)
        except ValueError as e:
            raise ValueError(f"could not make a tensor from {type(data).__name__}: {e}") from e
        if dtype is None and arr.dtype == np.float64:
            arr = arr.astype(_FLOAT_DEFAULT)
    if dtype is not None:
        arr = arr.astype(_as_dtype(dtype), copy=False)
    elif arr.dtype.kind == "O" or arr.dtype.kind in "USV":
        raise TypeError(
            f"can't convert data of dtype {arr.dtype} to a tensor: expected numbers or bools"
        )
    return arr


def _as_dtype(dtype) -> np.dtype:
    try:
        return np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"expected a dtype such as topograd.float32, found {dtype!r}") from e


class ConvertMixin:
    __slots__ = ()

    # -- conversions -------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The underlying ndarray (no copy), as ``torch.Tensor.numpy``.

        PyTorch refuses this for a tensor that requires grad; topograd returns the
        values (writing into them bypasses autograd, as ``.data`` does).

        >>> import topograd
        >>> topograd.ones(2).numpy()
        array([1., 1.], dtype=float32)
        """
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self._data if dtype is None else self._data.astype(dtype, copy=False)
        return arr.copy() if copy and arr is self._data else arr

    def item(self):
        """The value of a one-element tensor as a Python number.

        >>> import topograd
        >>> topograd.tensor([[2.5]]).item()
        2.5
        """
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        """The values as (nested) Python lists, or a number for a 0-d tensor.

        >>> import topograd
        >>> topograd.arange(4).reshape(2, 2).tolist()
        [[0, 1], [2, 3]]
        """
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(it has {self._data.size}): use .any() or .all()"
            )
        return bool(self._data.reshape(()))

    def __format__(self, spec: str) -> str:
        if self._data.size == 1 and spec:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def to(self, *args, **kwargs) -> Tensor:
        """This tensor with another dtype and/or device, as ``torch.Tensor.to``.

        Called as ``to(dtype)``, ``to(device, dtype=None)`` or ``to(other_tensor)`` (its
        dtype), with optional ``non_blocking`` (ignored) and ``copy``. Returns self when
        nothing changes. The device must be the CPU: ``"cuda"`` raises PyTorch's CPU-build
        error (``AssertionError: Torch not compiled with CUDA enabled``).

        >>> import topograd
        >>> topograd.ones(1).to(topograd.float64).dtype
        dtype('float64')
        >>> t = topograd.ones(1)
        >>> t.to("cpu") is t, t.to(topograd.device("cpu"), topograd.float16).dtype
        (True, dtype('float16'))
        """
        if not kwargs and len(args) == 1 and isinstance(args[0], np.dtype):
            return self.type(args[0])  # the engine's casts
        device, dtype, copy = _parse_to(args, kwargs)
        if device is not None:
            check_move(device)
        out = self if dtype is None else self.type(dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def type(self, dtype=None):
        """Cast to ``dtype`` (returns self when it already has it)."""
        if dtype is None:
            return f"topograd.{self._data.dtype}"
        dt = _as_dtype(dtype)
        if dt == self._data.dtype:
            return self
        if dt.kind not in "fc":
            return Tensor._from_array(self._data.astype(dt))
        return Cast.apply(self, dt)

    def float(self) -> Tensor:
        """Cast to float32."""
        return self.type(np.float32)

    def double(self) -> Tensor:
        """Cast to float64."""
        return self.type(np.float64)

    def half(self) -> Tensor:
        """Cast to float16."""
        return self.type(np.float16)

    def long(self) -> Tensor:
        """Cast to int64 (not differentiable)."""
        return self.type(np.int64)

    def int(self) -> Tensor:
        """Cast to int32 (not differentiable)."""
        return self.type(np.int32)

    def bool(self) -> Tensor:
        """Cast to bool (not differentiable)."""
        return self.type(np.bool_)

    def cpu(self, memory_format=None) -> Tensor:
        """Return self: topograd tensors live on the CPU."""
        return self

    def cuda(self, device=None, non_blocking: bool = False, memory_format=None):
        """Raise what PyTorch's CPU build raises: there is no CUDA device.

        >>> import topograd
        >>> topograd.ones(1).cuda()
        Traceback (most recent call last):
        AssertionError: Torch not compiled with CUDA enabled
        """
        if device is not None and as_device(device, "cuda").type != "cuda":
            raise RuntimeError("Invalid device, must be cuda device")
        raise AssertionError("Torch not compiled with CUDA enabled")

    def is_floating_point(self) -> bool:
        """True for floating dtypes."""
        return self._data.dtype.kind == "f"


def _is_dtype_name(s: str) -> bool:
    try:
        np.dtype(s)
        return True
    except TypeError:
        return False


_TO_KEYWORDS = ("device", "dtype", "non_blocking", "copy", "memory_format")


def _to_error(args, kwargs) -> TypeError:
    got = ", ".join([type(a).__name__ for a in args]
                    + [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    if kwargs:
        got += ", "
    return TypeError(
        f"to() received an invalid combination of arguments - got ({got}), but expected one "
        "of:\n * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = "
        "False, bool copy = False, *, torch.memory_format memory_format = None)\n * (torch.dtype "
        "dtype, bool non_blocking = False, bool copy = False, *, torch.memory_format "
        "memory_format = None)\n * (Tensor tensor, bool non_blocking = False, bool copy = "
        "False, *, torch.memory_format memory_format = None)\n")


def _parse_to(args: tuple, kwargs: dict):
    """``(device, dtype, copy)`` from ``to``'s arguments, as PyTorch reads them.

    ``to(dtype, ...)``, ``to(device, dtype, ...)``, ``to(tensor, ...)``; the trailing
    positionals are ``non_blocking`` then ``copy``. A device is parsed (a bad string raises
    here) but not checked for availability; a dtype is returned as given.
    """
    values = {}
    if args:
        a, rest = args[0], args[1:]
        names = ("non_blocking", "copy")
        if isinstance(a, Tensor):
            values["dtype"] = a._data.dtype  # and its device, which is the CPU
        elif isinstance(a, str):
            try:
                values["device"] = as_device(a, "to")
                names = ("dtype", "non_blocking", "copy")
            except RuntimeError:
                if not _is_dtype_name(a):  # topograd also takes dtype names ("float64")
                    raise
                values["dtype"] = a
        elif a is None or isinstance(a, _Device) or (isinstance(a, int)
                                                    and not isinstance(a, bool)):
            values["device"] = a
            names = ("dtype", "non_blocking", "copy")
        else:
            values["dtype"] = a
        if len(rest) > len(names):
            raise _to_error(args, kwargs)
        values.update(zip(names, rest))
    for k, v in kwargs.items():
        if k not in _TO_KEYWORDS or k in values:
            raise _to_error(args, kwargs)
        values[k] = v
    device = values.get("device")
    if device is not None:
        device = as_device(device, "to")
    return device, values.get("dtype"), bool(values.get("copy", False))
