"""The Keras face: one file holds architecture, compile settings, weights and optimizer."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import topograd
from topograd import keras
from topograd.io import (
    FormatError,
    MismatchError,
    load_model,
    load_weights,
    model_info,
    read_tensors,
    save_model,
    save_weights,
    write_tensors,
)
from topograd.io.model import COMPILE_KEY, CONFIG_KEY

pytest.importorskip("safetensors")


def data(n=240, seed=0):
    from topograd.data import make_spiral

    x, y = make_spiral(n, n_classes=3, seed=seed)
    return x, y


def make_model(optimizer="adam"):
    model = keras.Sequential([
        keras.Input((2,)),
        keras.layers.Dense(32, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-4)),
        keras.layers.BatchNormalization(),
        keras.layers.Dropout(0.1),
        keras.layers.Dense(16),
        keras.layers.Activation("tanh"),
        keras.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.fixture
def trained(tmp_path):
    topograd.manual_seed(0)
    x, y = data()
    model = make_model()
    model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    path = tmp_path / "model.safetensors"
    save_model(model, path, extra={"epoch": 3, "note": "hi"})
    return model, path, x, y


def test_load_model_in_a_new_process_gives_the_same_metrics(trained):
    model, path, _, _ = trained
    xt, yt = data(120, seed=1)
    loss, acc = model.evaluate(xt, yt, batch_size=64, verbose=0)
    code = textwrap.dedent(f"""
        from topograd.data import make_spiral
        from topograd.io import load_model
        model = load_model({str(path)!r})
        x, y = make_spiral(120, n_classes=3, seed=1)
        loss, acc = model.evaluate(x, y, batch_size=64, verbose=0)
        print(repr(loss), repr(acc))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out == [repr(loss), repr(acc)]  # to the last digit


def test_round_trip_keeps_everything(trained):
    model, path, x, _ = trained
    again = load_model(path)
    assert [type(a).__name__ for a in again.layers] == [type(a).__name__ for a in model.layers]
    assert [a.name for a in again.layers] == [a.name for a in model.layers]
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(again.optimizer).__name__ == "Adam"
    assert again.optimizer.learning_rate == model.optimizer.learning_rate
    assert again.optimizer.iterations == model.optimizer.iterations == 24
    assert again.layers[0].kernel_regularizer.l2 == pytest.approx(1e-4)
    info = model_info(path)
    assert info["extra"] == {"epoch": 3, "note": "hi"}
    assert info["compile_config"]["loss"] == {"name": "sparse_categorical_crossentropy"}
    assert info["weights"]["0.kernel"] == (np.dtype(np.float32), (2, 32))


def test_resumed_fit_matches_uninterrupted_fit(trained):
    model, path, x, y = trained
    rng = topograd.get_rng_state()
    model.fit(x, y, epochs=5, initial_epoch=3, batch_size=32, verbose=0)
    again = load_model(path)  # (building the layers draws initial weights)
    topograd.set_rng_state(rng)  # shuffling and dropout continue the same stream
    again.fit(x, y, epochs=5, initial_epoch=3, batch_size=32, verbose=0)
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_uncompiled_load_and_compile_false(trained, tmp_path):
    model, path, x, _ = trained
    bare = load_model(path, compile=False)
    assert bare.optimizer is None
    np.testing.assert_array_equal(bare.predict(x, verbose=0), model.predict(x, verbose=0))
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    save_model(plain, tmp_path / "plain.safetensors")
    assert load_model(tmp_path / "plain.safetensors").optimizer is None


def test_save_weights_load_weights_by_layer_order(trained, tmp_path):
    model, _, x, _ = trained
    path = tmp_path / "w.safetensors"
    save_weights(model, path)
    assert "0.kernel" in read_tensors(path)[0]
    keras.Sequential([keras.Input((2,)), keras.layers.Dense(5)])  # shifts the auto names
    other = make_model()
    assert other.layers[0].name != model.layers[0].name
    load_weights(other, path)
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))


def test_weights_that_do_not_fit(trained, tmp_path):
    model, path, _, _ = trained
    narrow = keras.Sequential([keras.Input((2,)), keras.layers.Dense(31, activation="relu"),
                               keras.layers.BatchNormalization(), keras.layers.Dropout(0.1),
                               keras.layers.Dense(16), keras.layers.Activation("tanh"),
                               keras.layers.Dense(3, activation="softmax")])
    with pytest.raises(MismatchError, match=r"model\.safetensors: tensor '0\.kernel' has shape "
                                            r"\(2, 32\) but the model expects \(2, 31\)"):
        load_weights(narrow, path)
    short = keras.Sequential([keras.Input((2,)), keras.layers.Dense(32)])
    with pytest.raises(MismatchError, match=r"'1\.gamma' is not part of the model"):
        load_weights(short, path)


def _rewrite(path, key, fn):
    tensors, meta = read_tensors(path)
    meta[key] = json.dumps(fn(json.loads(meta[key])))
    write_tensors(path, tensors, meta)


def test_architecture_that_does_not_fit_the_weights(trained):
    _, path, _, _ = trained

    def widen(spec):
        spec["config"]["layers"][1]["config"]["units"] = 33
        return spec

    _rewrite(path, CONFIG_KEY, widen)
    with pytest.raises(MismatchError, match=r"model\.safetensors: tensor '0\.kernel'"):
        load_model(path)


@pytest.mark.parametrize("evil", [
    lambda s: {**s, "class_name": "os.system"},
    lambda s: {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Lambda", "config": {"function": "__import__('os').system('id')"}}]}},
    lambda s: {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Dense", "config": {"units": 3, "activation": "eval"}}]}},
    lambda s: {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Module", "config": {}}]}},
    lambda s: [1, 2],
])
def test_architecture_names_only_topograd_classes(trained, evil):
    _, path, _, _ = trained
    _rewrite(path, CONFIG_KEY, evil)
    with pytest.raises((FormatError, MismatchError), match=r"model\.safetensors"):
        load_model(path)


def test_unknown_optimizer_or_loss_is_refused(trained):
    _, path, _, _ = trained

    def swap(cfg):
        cfg["optimizer"]["class_name"] = "subprocess.Popen"
        return cfg

    _rewrite(path, COMPILE_KEY, swap)
    with pytest.raises(FormatError, match="unknown optimizer"):
        load_model(path)


def test_not_a_model_file(tmp_path):
    path = tmp_path / "sd.safetensors"
    topograd.save({"w": topograd.zeros(2)}, path)
    with pytest.raises(FormatError, match="not a topograd model file"):
        load_model(path)
    with pytest.raises(FormatError, match="not a topograd model file"):
        model_info(path)


def test_custom_activation_cannot_be_saved(tmp_path):
    model = keras.Sequential([keras.Input((2,)),
                              keras.layers.Dense(2, activation=lambda t: t * 2)])
    with pytest.raises(TypeError, match="custom activation"):
        save_model(model, tmp_path / "m.safetensors")
    save_weights(model, tmp_path / "w.safetensors")  # the weights alone are fine


def test_weighted_metrics_survive_save_and_load(tmp_path):
    x, y = data()
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], weighted_metrics=["accuracy"])
    weights = np.linspace(0.0, 2.0, len(x))
    model.fit(x, y, epochs=1, verbose=0, sample_weight=weights)
    path = tmp_path / "w.safetensors"
    save_model(model, path)
    loaded = load_model(path)
    assert [m.name for m in loaded.compiled_weighted_metrics] == ["weighted_accuracy"]
    want = model.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)
    got = loaded.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)
    assert set(got) == {"loss", "accuracy", "weighted_accuracy"}
    assert got == pytest.approx(want, rel=1e-6)
    assert got["weighted_accuracy"] != got["accuracy"]  # the weights really count
