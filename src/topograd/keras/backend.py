"""Session-level helpers of the Keras face: unique layer names, ``clear_session``, floatx.

>>> from topograd.keras import backend
>>> backend.clear_session()
>>> backend.unique_name("dense"), backend.unique_name("dense")
('dense', 'dense_1')
"""

from __future__ import annotations

import re
from collections import defaultdict

__all__ = ["unique_name", "clear_session", "floatx", "epsilon", "snake_case"]

_counts: defaultdict = defaultdict(int)


def snake_case(name: str) -> str:
    """``BatchNormalization`` -> ``batch_normalization``, as Keras names layers.

    >>> snake_case("BatchNormalization")
    'batch_normalization'
    """
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def unique_name(base: str) -> str:
    """``base`` the first time, then ``base_1``, ``base_2``, ... (until ``clear_session``)."""
    n = _counts[base]
    _counts[base] += 1
    return base if n == 0 else f"{base}_{n}"


def clear_session() -> None:
    """Reset the layer-name counters (Keras's ``keras.backend.clear_session()``)."""
    _counts.clear()


def floatx() -> str:
    """The float type of weights and inputs: ``"float32"``."""
    return "float32"


def epsilon() -> float:
    """The fuzz factor of the losses: 1e-7."""
    return 1e-7
