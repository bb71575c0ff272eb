"""Warnings aimed at the user's code: the ``stacklevel`` that points past topograd's frames.

Any layer may warn through it (the tensor's reductions, ``nn.functional``'s losses); it
imports nothing of topograd.

>>> import warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     warnings.warn("look here", stacklevel=user_stacklevel())
>>> caught[0].message.args
('look here',)
"""

from __future__ import annotations

import os
import sys

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


def user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside topograd.

    Returns:
        The count of frames from the caller of this function to the first frame whose
        file lies outside the topograd package (1: the caller itself is user code).
    """
    frame = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PKG_DIR):
        frame = frame.f_back
        level += 1
    return level
