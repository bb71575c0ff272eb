"""``topograd.accelerator``: PyTorch's device-agnostic accelerator query, answered for the CPU.

PyTorch's current tutorials pick their device with it:

>>> import topograd as torch
>>> torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
'cpu'
"""

from __future__ import annotations

__all__ = ["current_accelerator", "device_count", "is_available"]


def is_available() -> bool:
    """False: topograd has no accelerator.

    >>> import topograd
    >>> topograd.accelerator.is_available()
    False
    """
    return False


def device_count() -> int:
    """0: there are no accelerator devices.

    >>> import topograd
    >>> topograd.accelerator.device_count()
    0
    """
    return 0


def current_accelerator(check_available: bool = False):
    """None: there is no accelerator (the CPU is not one).

    >>> import topograd
    >>> topograd.accelerator.current_accelerator() is None
    True
    """
    return None
