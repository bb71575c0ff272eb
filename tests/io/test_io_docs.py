"""Public names of topograd.io, topograd.onnx and topograd.cli are documented; examples run."""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

import topograd.io as io

MODULES = ["topograd.io", "topograd.io._atomic", "topograd.io.api", "topograd.io.tree",
           "topograd.io.tensorfile", "topograd.io.weights", "topograd.io.model",
           "topograd.io.keras_config", "topograd.io.image", "topograd.io._paths",
           "topograd.onnx",
           "topograd.onnx._graph", "topograd.onnx._ops", "topograd.onnx._layers",
           "topograd.cli", "topograd.cli.presets", "topograd.cli.commands"]
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


@pytest.mark.parametrize("module", MODULES)
def test_doctests_pass(module):
    if module.startswith("topograd.onnx"):
        pytest.importorskip("onnx")
    pytest.importorskip("safetensors")
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
