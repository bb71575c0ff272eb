"""Keras 2's ``keras.utils.np_utils.to_categorical`` path, beside ``keras.utils``."""

from __future__ import annotations

import importlib

import numpy as np


def test_np_utils_to_categorical_is_utils_to_categorical():
    from topograd.keras.utils import to_categorical
    from topograd.keras.utils.np_utils import to_categorical as old_path

    assert old_path is to_categorical
    np_utils = importlib.import_module("topograd.keras.utils.np_utils")
    assert np_utils.__all__ == ["to_categorical"]
    import topograd.keras as keras

    assert keras.utils.np_utils.to_categorical is to_categorical
    out = old_path(np.array([2, 0, 1]), num_classes=3)
    np.testing.assert_array_equal(out, np.eye(3, dtype=np.float32)[[2, 0, 1]])
    assert out.dtype == np.float32
