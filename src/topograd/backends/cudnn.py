"""``topograd.backends.cudnn``: cuDNN is not available; its flags can be set and do nothing.

Reproducibility recipes set ``torch.backends.cudnn.deterministic = True`` and
``torch.backends.cudnn.benchmark = False``; they run unchanged.

>>> import topograd as torch
>>> torch.backends.cudnn.deterministic = True
>>> torch.backends.cudnn.is_available(), torch.backends.cudnn.version()
(False, None)
>>> torch.backends.cudnn.deterministic = False
"""

from __future__ import annotations

__all__ = ["benchmark", "deterministic", "enabled", "is_available", "version"]

enabled = True
benchmark = False
deterministic = False


def is_available() -> bool:
    """False: topograd does not use cuDNN.

    >>> import topograd
    >>> topograd.backends.cudnn.is_available()
    False
    """
    return False


def version() -> None:
    """None: no cuDNN library is loaded.

    >>> import topograd
    >>> topograd.backends.cudnn.version() is None
    True
    """
    return None
