"""Fixtures for the Keras-face tests: fresh layer names, the shared MNIST folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_SHARED = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()
if not os.environ.get("TOPOGRAD_DATA") and (_SHARED / "mnist").is_dir():
    os.environ["TOPOGRAD_DATA"] = str(_SHARED)


@pytest.fixture(autouse=True)
def _fresh_names():
    """Layer names restart at ``dense``, ``dense_1``, ... in every test."""
    from topograd.keras import backend

    backend.clear_session()


@pytest.fixture
def mnist_home() -> Path:
    """The data home holding the real MNIST files (skips when absent)."""
    home = os.environ.get("TOPOGRAD_DATA")
    if not home or not (Path(home) / "mnist" / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip("real MNIST not found: set TOPOGRAD_DATA to a folder holding mnist/*.gz")
    return Path(home)
