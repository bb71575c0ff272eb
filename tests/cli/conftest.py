"""Fixtures for tests/cli: a runner for the CLI (the MNIST folder is tests/conftest.py's)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.fixture
def cli(tmp_path):
    """Run ``python -m topograd ARGS...`` in ``tmp_path``; returns the CompletedProcess."""

    def run(*args, check=True):
        proc = subprocess.run([sys.executable, "-m", "topograd", *map(str, args)],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)
        if check:
            assert proc.returncode == 0, f"topograd {' '.join(map(str, args))}:\n" \
                                         f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return proc

    return run
