"""``topograd.backends``: the backend queries scripts make, answered as PyTorch's CPU build.

>>> import topograd as torch
>>> torch.backends.mps.is_available(), torch.backends.cudnn.is_available()
(False, False)
"""

from . import cudnn, mps

__all__ = ["cudnn", "mps"]
