"""Devices, as PyTorch's CPU-only build defines them: ``topograd.device``, the default device,
and the errors a request for another device raises.

topograd computes with NumPy, so every tensor is on ``device(type='cpu')``; a tensor's
``device`` is that constant, never stored per tensor. PyTorch scripts still name devices
(``torch.device("cuda" if torch.cuda.is_available() else "cpu")``, ``x.to(device)``,
``torch.zeros(3, device=device)``): "cpu" works, and a CUDA request raises what PyTorch's
CPU build raises (``AssertionError: Torch not compiled with CUDA enabled``).

>>> import topograd
>>> topograd.device("cuda:0")
device(type='cuda', index=0)
>>> str(topograd.device("cpu")), topograd.zeros(2).device
('cpu', device(type='cpu'))
"""

from __future__ import annotations

import builtins
import re

# PyTorch's device types, in the order its parse error lists them
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")
_TYPES = frozenset(DEVICE_TYPES)
_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::([1-9]\d*|0))?")
# the dispatch key PyTorch names when a factory is asked for a backend it was built without
_BACKEND_NAMES = {"lazy": "Lazy", "vulkan": "Vulkan", "meta": "Meta", "mkldnn": "MkldnnCPU",
                  "privateuseone": "PrivateUse1"}


_MISSING = object()


def _invalid_combination(got: str) -> TypeError:
    return TypeError(f"device() received an invalid combination of arguments - got ({got}), but "
                     "expected one of:\n * (torch.device device)\n * (str type, int index = -1)\n")


class device:  # noqa: N801 - PyTorch's name
    """A device: a type (``"cpu"``, ``"cuda"``, ...) and an optional index, as ``torch.device``.

    topograd runs on ``"cpu"`` only; the other types can be named (a script's
    ``device("cuda")`` builds), and a tensor or module asked to go there raises
    PyTorch's CPU-build error.

    Args:
        type: ``"cpu"``, ``"cuda:1"``, another device, or a type name with ``index``.
        index: the device's index (a non-negative int), or None.

    >>> import topograd
    >>> d = topograd.device("cuda", 1)
    >>> d.type, d.index, str(d)
    ('cuda', 1, 'cuda:1')
    >>> topograd.device(type="cpu") == topograd.device("cpu")
    True
    """

    __slots__ = ("_type", "_index")

    def __new__(cls, type=_MISSING, index=None):  # noqa: A002 - PyTorch's keyword
        if isinstance(type, device) and index is None:
            return type
        if isinstance(type, builtins.bool) or not isinstance(type, (str, int)):
            if type is _MISSING:
                raise _invalid_combination("" if index is None else "index=int, ")
            if isinstance(type, device):
                raise TypeError("device(): argument 'type' (position 1) must be str, not "
                                "torch.device")
            raise TypeError(
                f"device() received an invalid combination of arguments - got "
                f"({builtins.type(type).__name__}), but expected one of:\n"
                f" * (torch.device device)\n"
                f"      didn't match because some of the arguments have invalid types: "
                f"(!{builtins.type(type).__name__}!)\n"
                f" * (str type, int index = -1)\n")
        if isinstance(type, int):
            raise RuntimeError("Cannot access accelerator device when none is available.")
        if index is not None:
            if isinstance(index, builtins.bool) or not isinstance(index, int):
                raise TypeError(f"device(): argument 'index' (position 2) must be int, not "
                                f"{builtins.type(index).__name__}")
            if index < 0:
                raise RuntimeError("Device index must not be negative")
        kind, parsed = _parse(type)
        if parsed is not None and index is not None:
            raise RuntimeError("type (string) must not include an index because index was "
                               f"passed explicitly: {type}")
        self = object.__new__(cls)
        self._type = kind
        self._index = parsed if index is None else int(index)
        return self

    @property
    def type(self) -> str:
        """The device type, e.g. ``"cpu"`` or ``"cuda"``."""
        return self._type

    @property
    def index(self) -> int | None:
        """The device index, or None when none was given."""
        return self._index

    def __repr__(self) -> str:
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __eq__(self, other):
        if not isinstance(other, device):
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self) -> int:
        return hash((self._type, self._index))

    def __reduce__(self):
        return (device, (self._type,) if self._index is None else (self._type, self._index))


device.__module__ = "topograd"


def _parse(text: str) -> tuple[str, int | None]:
    if not text:
        raise RuntimeError("Device string must not be empty")
    m = _DEVICE_STRING.fullmatch(text)
    if m is None:
        raise RuntimeError(f"Invalid device string: '{text}'")
    kind = m.group(1)
    if kind not in _TYPES:
        raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of "
                           f"device string: {kind}")
    return kind, None if m.group(2) is None else int(m.group(2))


CPU = device("cpu")  # every tensor's device
_CACHE: dict = {}
_DEFAULT: device | None = None  # None means cpu: the factories' fast path


def as_device(value, fn: str = "device") -> device:
    """``value`` (a device, a string such as ``"cuda:0"``, an int) as a :class:`device`."""
    if isinstance(value, device):
        return value
    if isinstance(value, str):
        d = _CACHE.get(value)
        if d is None:
            d = _CACHE[value] = device(value)
        return d
    if isinstance(value, int) and not isinstance(value, builtins.bool):
        return device(value)  # raises: no accelerator
    raise TypeError(f"{fn}(): argument 'device' must be torch.device, not "
                    f"{type(value).__name__}")


def _refuse(d: device, creating: bool):
    """The error PyTorch's CPU build raises for a tensor made on, or moved to, device ``d``."""
    if d._type == "cuda":
        return AssertionError("Torch not compiled with CUDA enabled")
    if d._type == "xpu":
        return AssertionError("Torch not compiled with XPU enabled")
    if creating:
        name = _BACKEND_NAMES.get(d._type, d._type.upper())
        return NotImplementedError(
            f"Could not run 'aten::empty.memory_format' with arguments from the '{name}' "
            "backend. This could be because the operator doesn't exist for this backend, or "
            "was omitted during the selective/custom build process (if using custom build). "
            "topograd computes on the CPU only.")
    return RuntimeError(f"PyTorch is not linked with support for {d._type} devices")


def check_device(value, fn: str = "tensor", creating: bool = True) -> None:
    """Check a factory's ``device=`` (None means the default device); raise unless it is cpu.

    ``creating=False`` for the factories that copy data there (``tensor``, ``as_tensor``):
    PyTorch then fails as a move does.
    """
    if value is None:
        if _DEFAULT is None:
            return
        d = _DEFAULT
    else:
        d = as_device(value, fn)
    if d._type != "cpu":
        raise _refuse(d, creating)


def check_move(value) -> None:
    """Check a ``.to(device)`` target; raise unless it is cpu."""
    d = as_device(value, "to")
    if d._type != "cpu":
        raise _refuse(d, creating=False)


def set_default_device(value) -> None:
    """Make ``value`` the device the factories use when given no ``device=``, as PyTorch.

    ``None`` or ``"cpu"`` restores the CPU. Another device is accepted here, as PyTorch
    does, and the next factory call (``topograd.zeros(2)``) raises PyTorch's CPU-build error.

    Args:
        value: a device, a device string, or None.

    >>> import topograd
    >>> topograd.set_default_device("cpu")
    >>> topograd.get_default_device()
    device(type='cpu')
    """
    global _DEFAULT
    if value is None:
        _DEFAULT = None
        return
    d = device(value)
    _DEFAULT = None if d == CPU else d


def get_default_device() -> device:
    """The device the factories use when given no ``device=`` (``device(type='cpu')``).

    >>> import topograd
    >>> topograd.get_default_device()
    device(type='cpu')
    """
    d = _DEFAULT
    if d is None:
        return CPU
    if d._type != "cpu" and d._index is None:
        raise _refuse(d, creating=False)  # PyTorch asks the missing backend for its index
    return d
