"""``topograd.utils``: PyTorch's ``torch.utils`` paths for what topograd provides.

``topograd.utils.data`` is :mod:`topograd.data` under PyTorch's name, so
``from torch.utils.data import DataLoader, TensorDataset`` becomes
``from topograd.utils.data import DataLoader, TensorDataset``.

>>> import topograd
>>> topograd.utils.data.DataLoader is topograd.data.DataLoader
True
"""

from . import data

__all__ = ["data"]
