"""The examples in the docstrings of topograd.train and topograd.keras run; public callables
have a one-line summary and an example."""

from __future__ import annotations

import inspect

import pytest

import topograd.keras as keras
import topograd.train as train

PUBLIC = [(mod, name) for mod in (train, keras.models, keras.layers, keras.optimizers,
                                  keras.losses, keras.utils, keras.metrics)
          for name in mod.__all__ if callable(getattr(mod, name))
          and not inspect.ismodule(getattr(mod, name))]


@pytest.mark.parametrize("mod,name", PUBLIC, ids=[f"{m.__name__}.{n}" for m, n in PUBLIC])
def test_public_callables_have_summary_and_example(mod, name):
    obj = getattr(mod, name)
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    assert doc.splitlines()[0].strip().endswith("."), f"{name}: one-line summary first"
    assert ">>>" in doc, f"{name}: no example"
