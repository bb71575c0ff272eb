"""A downloaded Keras model file is checked before anything is built for it (issue 11).

The architecture is compared with the tensors the file holds before any layer allocates
a weight, every field of the description is checked for its type and range, and metadata
that is valid JSON of the wrong type is the loader's named error (naming the file and the
field), never a raw TypeError, KeyError or MemoryError.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
import pytest

from topograd import keras
from topograd.io import FormatError, MismatchError, read_tensors, write_tensors
from topograd.io.model import COMPILE_KEY, CONFIG_KEY, write_model_file
from topograd.keras.saving import MAX_LAYERS, ConfigError, model_from_config

TREE_KEY = "topograd.tree"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A trained model with a regularizer, batch norm, dropout and Adam's state."""
    path = tmp_path_factory.mktemp("untrusted") / "model.safetensors"
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(3, activation="relu", kernel_regularizer=keras.regularizers.l2(0.01),
                           name="dense"),
        keras.layers.BatchNormalization(name="batch_normalization"),
        keras.layers.Dropout(0.2, name="dropout"),
        keras.layers.Dense(2, activation="softmax", name="dense_1")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x = np.random.default_rng(0).random((8, 4), dtype=np.float32)
    model.fit(x, np.arange(8) % 2, epochs=1, verbose=0)
    model.save(path)
    return path


def _edited(src, dst, key, change):
    tensors, meta = read_tensors(src)
    value = json.loads(meta[key])
    change(value)
    meta[key] = json.dumps(value)
    write_tensors(dst, tensors, meta)
    return dst


def _layer(i):
    def get(cfg):
        return cfg["config"]["layers"][i + 1]["config"]  # after the InputLayer
    return get


def _set_layer(i, field, value):
    return CONFIG_KEY, lambda c: _layer(i)(c).__setitem__(field, value)


def _optimizer(tree) -> dict:
    """The optimizer part of the structure, as {key: node}."""
    return dict(tree["d"][1][1]["d"])


def _set_opt(key, node):
    def change(tree):
        for pair in tree["d"][1][1]["d"]:
            if pair[0] == key:
                pair[1] = node
    return TREE_KEY, change


def _set_step(node):
    def change(tree):
        state = _optimizer(tree)["state"]["d"][0][1]["d"]
        state[0][1] = node  # "step" of parameter 0
    return TREE_KEY, change


def _set_compile(*keys, value):
    def change(cfg):
        for k in keys[:-1]:
            cfg = cfg[k]
        cfg[keys[-1]] = value
    return COMPILE_KEY, change


# (what is edited, the error class, what the message must say besides the file's name)
WRONG_TYPES = {
    "layer name with a dot": (*_set_layer(0, "name", "a.b"), FormatError,
                              "field 'name' must be a non-empty string"),
    "layer name a number": (*_set_layer(0, "name", 5), FormatError, "field 'name'"),
    "units a string": (*_set_layer(0, "units", "3"), FormatError, "field 'units'"),
    "units a float": (*_set_layer(0, "units", 3.0), FormatError, "field 'units'"),
    "units infinite": (*_set_layer(0, "units", float("inf")), FormatError, "field 'units'"),
    "units 10**400": (*_set_layer(0, "units", 10 ** 400), FormatError, "field 'units'"),
    "trainable a string": (*_set_layer(2, "trainable", "no"), FormatError, "field 'trainable'"),
    "rate a string": (*_set_layer(2, "rate", "x"), FormatError, "field 'rate'"),
    "rate a list": (*_set_layer(2, "rate", [0.1]), FormatError, "field 'rate'"),
    "axis a string": (*_set_layer(1, "axis", "x"), FormatError, "field 'axis'"),
    "axis out of range": (*_set_layer(1, "axis", 5), FormatError, "axis 5 is out of range"),
    "momentum a string": (*_set_layer(1, "momentum", "x"), FormatError,
                          "field 'momentum' must be a number in [0, 1]"),
    "momentum 10**6": (*_set_layer(1, "momentum", 10 ** 6), FormatError, "field 'momentum'"),
    "center a string": (*_set_layer(1, "center", "yes"), FormatError, "field 'center'"),
    "activation a list": (*_set_layer(0, "activation", ["relu"]), FormatError,
                          "field 'activation'"),
    "unknown field": (*_set_layer(0, "kernel_constraint2", 1), FormatError,
                      "has no field 'kernel_constraint2'"),
    "regularizer argument unknown": (*_set_layer(0, "kernel_regularizer", {
        "class_name": "L2", "config": {"l3": 1.0}}), FormatError, "has no argument 'l3'"),
    "regularizer argument a string": (*_set_layer(0, "kernel_regularizer", {
        "class_name": "L2", "config": {"l2": "x"}}), FormatError,
        "argument 'l2' must be a finite number"),
    "regularizer argument negative": (*_set_layer(0, "kernel_regularizer", {
        "class_name": "L1L2", "config": {"l1": -1}}), FormatError, "argument 'l1'"),
    "regularizer a string": (*_set_layer(0, "kernel_regularizer", "l2"), FormatError,
                             "unknown regularizer"),
    "input_shape on a later layer": (*_set_layer(3, "input_shape", [10 ** 9]), FormatError,
                                     "only the first layer may declare the input shape"),
    "batch_shape a string": (CONFIG_KEY, lambda c: c["config"]["layers"][0]["config"].update(
        batch_shape="4"), FormatError, "InputLayer needs batch_shape"),
    "model name a list": (CONFIG_KEY, lambda c: c["config"].update(name=[1]), FormatError,
                          "the model's name"),
    "two layers of one name": (*_set_layer(3, "name", "dense"), FormatError,
                               "a second layer named 'dense'"),
    "param_groups a dict": (*_set_opt("param_groups", {"d": []}), FormatError,
                            "'param_groups' must be a list"),
    "params not a list": (*_set_opt("param_groups", {"l": [{"d": [
        ["lr", {"v": 0.001}], ["params", {"v": 3}]]}]}), FormatError,
        "must be a dict with a list 'params'"),
    "params of strings": (*_set_opt("param_groups", {"l": [{"d": [
        ["params", {"l": [{"v": "a"}]}]]}]}), FormatError, "lists 'a' in 'params'"),
    "group lr a string": (*_set_opt("param_groups", {"l": [{"d": [
        ["lr", {"v": "fast"}], ["params", {"l": [{"v": i} for i in range(6)]}]]}]}),
        FormatError, "option 'lr' must be a finite number"),
    "state a list": (TREE_KEY, lambda tree: _set_opt("state", {"l": [
        pair[1] for pair in _optimizer(tree)["state"]["d"]]})[1](tree), FormatError,
        "'state' must map"),
    "iterations a string": (*_set_opt("iterations", {"v": "x"}), FormatError,
                            "'iterations' must be an integer >= 0, found 'x'"),
    "iterations infinite": (*_set_opt("iterations", {"f": "inf"}), FormatError,
                            "'iterations' must be an integer"),
    "step a string": (*_set_step({"v": "x"}), FormatError,
                      "'step' of parameter 0 must be a finite number >= 0, found 'x'"),
    "learning rate a string": (*_set_compile("optimizer", "config", "learning_rate",
                                             value="x"), FormatError,
                               "optimizer setting 'learning_rate' must be a number"),
    "learning rate 1e999": (*_set_compile("optimizer", "config", "learning_rate",
                                          value=float("inf")), FormatError,
                            "optimizer setting 'learning_rate' must be a number"),
    "from_logits a string": (*_set_compile("loss", "from_logits", value="x"), FormatError,
                             "from_logits must be true or false"),
    "metrics a dict": (*_set_compile("metrics", value={"a": 1}), FormatError,
                       "metrics must be a list"),
}


@pytest.mark.parametrize("case", sorted(WRONG_TYPES))
def test_wrong_types_are_named_errors(case, saved, tmp_path):
    key, change, error, fragment = WRONG_TYPES[case]
    path = _edited(saved, tmp_path / "bad.safetensors", key, change)
    with pytest.raises((FormatError, MismatchError)) as info:
        keras.models.load_model(path)
    assert type(info.value) is error, repr(info.value)
    assert str(path) in str(info.value) and fragment in str(info.value), str(info.value)


def test_the_unedited_file_loads(saved):
    model = keras.models.load_model(saved)
    assert model.optimizer.iterations == 1 and len(model.layers) == 4


@pytest.mark.parametrize("field, value, fragment", [
    ("units", 200_000, "tensor '3.kernel' of layer 3 (dense_1, Dense) has shape (3, 2) but "
                       "the architecture declares (3, 200000)"),
    ("units", 10 ** 9, "the architecture declares (3, 1000000000)"),
])
def test_units_the_weights_do_not_have_are_refused_before_building(saved, tmp_path, field,
                                                                   value, fragment):
    """The issue's 152 KiB file took 11 s and 1.8 GB to be refused: now nothing is built."""
    path = _edited(saved, tmp_path / "wide.safetensors", CONFIG_KEY,
                   lambda c: _layer(3)(c).__setitem__(field, value))
    start = time.perf_counter()
    with pytest.raises(MismatchError) as info:
        keras.models.load_model(path)
    assert time.perf_counter() - start < 1.0
    assert str(info.value).startswith(f"{path}: ") and str(info.value).endswith(fragment)


def test_a_huge_input_shape_is_refused_before_building(saved, tmp_path):
    path = _edited(saved, tmp_path / "tall.safetensors", CONFIG_KEY,
                   lambda c: c["config"]["layers"][0]["config"].update(batch_shape=[None, 10 ** 9]))
    with pytest.raises(MismatchError, match=r"tensor '0\.kernel' of layer 0 \(dense, Dense\) has "
                                            r"shape \(4, 3\) but the architecture declares "
                                            r"\(1000000000, 3\)"):
        keras.models.load_model(path)


def _limited(limit_mb: int):
    def apply():
        size = limit_mb * 2 ** 20
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    return apply


@pytest.mark.parametrize("change", [
    lambda c: _layer(0)(c).__setitem__("units", 10 ** 9),
    lambda c: c["config"]["layers"][0]["config"].update(batch_shape=[None, 10 ** 9]),
    lambda c: (c["config"]["layers"].pop(0), _layer(-1)(c).__setitem__("input_shape", [10 ** 9])),
])
def test_the_cli_gives_one_line_under_a_memory_limit(saved, tmp_path, change):
    path = _edited(saved, tmp_path / "huge.safetensors", CONFIG_KEY, change)
    run = subprocess.run([sys.executable, "-m", "topograd", "summary", str(path)],
                         capture_output=True, text=True, timeout=60,
                         preexec_fn=_limited(600), env={**os.environ, "PYTHONWARNINGS": "ignore"})
    err = run.stderr.strip()
    assert run.returncode == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert str(path) in err


def _dropouts(n: int) -> dict:
    return {"class_name": "Sequential", "config": {"name": "deep", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 4]}},
        *({"class_name": "Dropout", "config": {"name": f"d{i}", "rate": 0.1}}
          for i in range(n))]}}


def test_ten_thousand_layers_load_in_linear_time(tmp_path):
    """A file of 10,000 Dropout layers got no answer in 30 s: the layers are now built once."""
    path = tmp_path / "deep.safetensors"
    write_model_file(path, format="keras-model", config=_dropouts(MAX_LAYERS), weights={})
    start = time.perf_counter()
    model = keras.models.load_model(path)
    assert len(model.layers) == MAX_LAYERS and model.output_shape == (None, 4)
    assert time.perf_counter() - start < 10.0
    write_model_file(path, format="keras-model", config=_dropouts(MAX_LAYERS + 1), weights={})
    with pytest.raises(FormatError, match=f"has {MAX_LAYERS + 1} layers; at most {MAX_LAYERS}"):
        keras.models.load_model(path)


def test_model_from_config_bounds_what_it_creates():
    """A description with no file to compare with (``topograd train --model arch.json``)
    may not ask for more than MAX_PARAMS weights."""
    spec = {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 784]}},
        {"class_name": "Dense", "config": {"units": 10 ** 7}}]}}
    with pytest.raises(ConfigError, match=r"arch\.json: the architecture creates "
                                          r"7,850,000,000 weights; at most 1,000,000,000"):
        model_from_config(spec, "arch.json")
    spec["config"]["layers"][1]["config"]["units"] = 3
    assert model_from_config(spec, "arch.json").count_params() == 784 * 3 + 3


def test_a_first_layer_may_declare_the_input_shape():
    spec = {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Dense", "config": {"units": 3, "input_shape": [5]}},
        {"class_name": "Dense", "config": {"units": 2}}]}}
    model = model_from_config(spec)
    assert model.input_shape == (None, 5) and model.output_shape == (None, 2)


def test_sequential_add_builds_each_layer_once(tmp_path, monkeypatch):
    """Building a Sequential of n layers called build 2,003,001 times for n = 2,000: each add
    rebuilt every layer. Now each layer is built once, and a 10,000-layer model saves and
    loads in linear time."""
    from topograd.keras import layers

    calls = []
    build_for = layers.Layer.build_for
    monkeypatch.setattr(layers.Layer, "build_for",
                        lambda self, shape: calls.append(1) or build_for(self, shape))
    keras.Sequential([keras.Input((4,)), *(keras.layers.Dropout(0.1) for _ in range(2000))])
    assert len(calls) == 2000
    monkeypatch.undo()
    start = time.perf_counter()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3),
                              *(keras.layers.Dropout(0.1) for _ in range(MAX_LAYERS - 1))])
    path = tmp_path / "deep.safetensors"
    model.save(path)
    again = keras.models.load_model(path)
    assert len(again.layers) == MAX_LAYERS and again.output_shape == (None, 3)
    assert time.perf_counter() - start < 20.0
