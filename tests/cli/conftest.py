"""Fixtures for tests/cli: the real MNIST folder (if present) and a runner for the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MNIST_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

# The shared copy of MNIST sits next to the checkout: <repo>/../shared/data/mnist/*.gz
_SHARED = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()
if not os.environ.get("TOPOGRAD_DATA") and (_SHARED / "mnist").is_dir():
    os.environ["TOPOGRAD_DATA"] = str(_SHARED)


@pytest.fixture(scope="session")
def mnist_home() -> Path:
    """The data home holding the real MNIST files (skips when it is absent)."""
    home = Path(os.environ["TOPOGRAD_DATA"]) if os.environ.get("TOPOGRAD_DATA") else None
    if home is None or not all(any((home / "mnist" / f"{n}{ext}").is_file()
                                   for ext in (".gz", "")) for n in MNIST_NAMES):
        pytest.skip("real MNIST not found: set TOPOGRAD_DATA to a folder holding mnist/*.gz")
    return home


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
