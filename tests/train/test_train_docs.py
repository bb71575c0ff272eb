"""The examples in the docstrings of topograd.train and topograd.keras run; public callables
have a one-line summary and an example."""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

import topograd.keras as keras
import topograd.train as train

MODULES = ["topograd.train", "topograd.train.loop", "topograd.train.callbacks",
           "topograd.train.checkpoint", "topograd.train.monitor", "topograd.train.saving",
           "topograd.train.functional", "topograd.train.interrupt", "topograd.train.metrics",
           "topograd.train.progress", "topograd.train._evaluate", "topograd.train._loop_helpers",
           "topograd.train._metrics_base", "topograd.train._metrics_classification",
           "topograd.train.data", "topograd.train._checks",
           "topograd.keras", "topograd.keras.models",
           "topograd.keras.trainer",
           "topograd.keras.layers", "topograd.keras.activations", "topograd.keras.initializers",
           "topograd.keras.losses", "topograd.keras.metrics", "topograd.keras.optimizers",
           "topograd.keras.schedules", "topograd.keras.regularizers", "topograd.keras.utils",
           "topograd.keras.backend", "topograd.keras.callbacks",
           "topograd.keras.datasets.mnist", "topograd.keras._batch_normalization",
           "topograd.keras._input_layer", "topograd.keras._losses_crossentropy",
           "topograd.keras._model_helpers"]

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


@pytest.mark.parametrize("module", MODULES)
def test_doctests_pass(module, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
