"""``topograd.utils.data``: :mod:`topograd.data` (the same objects) under PyTorch's path.

>>> import numpy as np
>>> from topograd.utils.data import DataLoader, TensorDataset
>>> ds = TensorDataset(np.zeros((5, 2), np.float32), np.arange(5))
>>> [len(y) for _, y in DataLoader(ds, batch_size=2)]
[2, 2, 1]
"""

from topograd.data import *  # noqa: F403 - the whole of topograd.data
from topograd.data import __all__  # noqa: F401
