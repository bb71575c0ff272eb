"""``topograd.cuda``: what PyTorch's CPU-only build answers, so device checks in scripts run.

>>> import topograd as torch
>>> torch.cuda.is_available(), torch.cuda.device_count()
(False, 0)
>>> device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
>>> device
device(type='cpu')
"""

from __future__ import annotations

__all__ = ["current_device", "device_count", "empty_cache", "get_device_name", "is_available",
           "is_initialized", "manual_seed", "manual_seed_all", "max_memory_allocated",
           "memory_allocated", "synchronize"]


def _not_compiled() -> AssertionError:
    return AssertionError("Torch not compiled with CUDA enabled")


def is_available() -> bool:
    """False: topograd computes on the CPU (NumPy).

    >>> import topograd
    >>> topograd.cuda.is_available()
    False
    """
    return False


def device_count() -> int:
    """0: there are no CUDA devices.

    >>> import topograd
    >>> topograd.cuda.device_count()
    0
    """
    return 0


def is_initialized() -> bool:
    """False: CUDA is never initialized.

    >>> import topograd
    >>> topograd.cuda.is_initialized()
    False
    """
    return False


def manual_seed(seed: int) -> None:
    """Do nothing, as PyTorch's CPU build (there is no CUDA generator to seed).

    >>> import topograd
    >>> topograd.cuda.manual_seed(0)
    """


def manual_seed_all(seed: int) -> None:
    """Do nothing, as PyTorch's CPU build (there are no CUDA generators to seed).

    >>> import topograd
    >>> topograd.cuda.manual_seed_all(0)
    """


def empty_cache() -> None:
    """Do nothing: there is no CUDA memory cache.

    >>> import topograd
    >>> topograd.cuda.empty_cache()
    """


def memory_allocated(device=None) -> int:
    """0 bytes: nothing lives on a CUDA device.

    >>> import topograd
    >>> topograd.cuda.memory_allocated()
    0
    """
    return 0


def max_memory_allocated(device=None) -> int:
    """0 bytes: nothing lives on a CUDA device.

    >>> import topograd
    >>> topograd.cuda.max_memory_allocated()
    0
    """
    return 0


def current_device() -> int:
    """Raise ``AssertionError``, as PyTorch's CPU build: there is no CUDA device.

    >>> import topograd
    >>> topograd.cuda.current_device()
    Traceback (most recent call last):
    AssertionError: Torch not compiled with CUDA enabled
    """
    raise _not_compiled()


def synchronize(device=None) -> None:
    """Raise ``AssertionError``, as PyTorch's CPU build: there is no CUDA device.

    >>> import topograd
    >>> topograd.cuda.synchronize()
    Traceback (most recent call last):
    AssertionError: Torch not compiled with CUDA enabled
    """
    raise _not_compiled()


def get_device_name(device=None) -> str:
    """Raise ``AssertionError``, as PyTorch's CPU build: there is no CUDA device.

    >>> import topograd
    >>> topograd.cuda.get_device_name()
    Traceback (most recent call last):
    AssertionError: Torch not compiled with CUDA enabled
    """
    raise _not_compiled()
