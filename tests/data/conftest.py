"""Fixtures for tests/data: a guard against any download (MNIST: tests/conftest.py)."""

from __future__ import annotations

import pytest


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
