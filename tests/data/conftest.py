"""Fixtures for tests/data: the real MNIST folder, and a guard against any download."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

MNIST_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

# The shared copy of MNIST sits next to the checkout: <repo>/../shared/data/mnist/*.gz
_SHARED = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()
if not os.environ.get("TOPOGRAD_DATA") and (_SHARED / "mnist").is_dir():
    os.environ["TOPOGRAD_DATA"] = str(_SHARED)
_REAL_HOME = os.environ.get("TOPOGRAD_DATA")


@pytest.fixture(scope="session")
def mnist_home() -> Path:
    """The data home holding the real MNIST files (skips when it is absent)."""
    home = Path(_REAL_HOME) if _REAL_HOME else None
    if home is None or not all((home / "mnist" / f"{n}.gz").is_file() for n in MNIST_NAMES):
        pytest.skip("real MNIST not found: set TOPOGRAD_DATA to a folder holding mnist/*.gz")
    return home


@pytest.fixture(autouse=True)
def _no_downloads(monkeypatch):
    """Tests never touch the network: pooch.retrieve fails unless a test replaces it."""
    try:
        import pooch
    except ImportError:  # then nothing can download anyway
        return

    def offline(*args, **kwargs):
        raise OSError("network disabled in tests")

    monkeypatch.setattr(pooch, "retrieve", offline)
