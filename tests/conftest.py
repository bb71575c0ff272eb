"""Fixtures for the whole suite: the real MNIST folder, and opt-in long tests.

``TOPOGRAD_DATA`` may be relative, as in the README's command
(``TOPOGRAD_DATA=../shared/data python -m pytest``): it means what it meant where pytest was
started, so it is resolved here, once, before any test changes directory. When it is not set
and ``../shared/data/mnist`` sits beside the checkout, that folder is used. A test that needs
MNIST fails (never skips) when ``TOPOGRAD_DATA`` was set and MNIST is not there; it skips only
when no data folder was given at all.

Tests marked ``long`` (full trainings, 2,000-step runs) are deselected unless
``TOPOGRAD_SLOW=1`` is set or ``-m long`` is given, so the default run skips nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

MNIST_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

_GIVEN = os.environ.get("TOPOGRAD_DATA")
if _GIVEN:
    os.environ["TOPOGRAD_DATA"] = os.path.abspath(os.path.expanduser(_GIVEN))
else:
    # the shared copy of MNIST beside the checkout: <repo>/../shared/data/mnist/*.gz
    _SHARED = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data").resolve()
    if (_SHARED / "mnist").is_dir():
        os.environ["TOPOGRAD_DATA"] = str(_SHARED)
#: The data home as the session started (tests may change the variable with monkeypatch).
DATA_HOME = os.environ.get("TOPOGRAD_DATA")


def has_mnist(home: Path) -> bool:
    """True when ``home/mnist`` holds the four IDX files (gzipped or not)."""
    return all(any((home / "mnist" / f"{n}{ext}").is_file() for ext in (".gz", ""))
               for n in MNIST_NAMES)


@pytest.fixture(scope="session")
def mnist_home() -> Path:
    """The data home holding the real MNIST files.

    Fails when ``TOPOGRAD_DATA`` was given but holds no MNIST (a wrong path must not turn
    tests into silent skips); skips only when no data folder was given or found.
    """
    if DATA_HOME and has_mnist(Path(DATA_HOME)):
        return Path(DATA_HOME)
    if _GIVEN:
        pytest.fail(f"TOPOGRAD_DATA={_GIVEN!r} (resolved to {DATA_HOME}) holds no MNIST: "
                    f"expected {', '.join(n + '.gz' for n in MNIST_NAMES)} in its mnist/ folder")
    pytest.skip("real MNIST not found: set TOPOGRAD_DATA to a folder holding mnist/*.gz")


def pytest_configure(config):
    config.addinivalue_line("markers", "long: opt-in runs (TOPOGRAD_SLOW=1 or -m long)")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("TOPOGRAD_SLOW") or "long" in (config.getoption("-m") or ""):
        return
    drop = [item for item in items if item.get_closest_marker("long") is not None]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = [item for item in items if item.get_closest_marker("long") is None]
