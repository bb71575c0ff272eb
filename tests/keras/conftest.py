"""Fixtures for the Keras-face tests: fresh layer names (MNIST: tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_names():
    """Layer names restart at ``dense``, ``dense_1``, ... in every test."""
    from topograd.keras import backend

    backend.clear_session()
