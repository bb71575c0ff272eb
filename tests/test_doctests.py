"""Every example in every docstring of topograd runs (modules found by walking the package).

Nothing lists the modules by hand, so moving or adding a file never edits a test.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import topograd

MODULES = sorted(m.name for m in pkgutil.walk_packages(topograd.__path__, "topograd.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("module", MODULES)
def test_doctests_pass(module, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    monkeypatch.setenv("MPLBACKEND", "Agg")
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"
