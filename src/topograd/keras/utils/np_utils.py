"""``keras.utils.np_utils``: where Keras 2 scripts import ``to_categorical`` from.

>>> from topograd.keras.utils.np_utils import to_categorical
>>> to_categorical([1, 0], 2).tolist()
[[0.0, 1.0], [1.0, 0.0]]
"""

from __future__ import annotations

from . import to_categorical

__all__ = ["to_categorical"]
