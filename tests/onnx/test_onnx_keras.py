"""ONNX export of Keras-face Sequential models: onnxruntime agrees with predict to 1e-5."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd import keras

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from topograd.onnx import export  # noqa: E402

L = keras.layers


def check(model, x, tmp_path, **kw):
    path = tmp_path / "k.onnx"
    export(model, x[:1], path, **kw)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"input": x})[0]
    want = model.predict(x, verbose=0)
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
    return onnx.load(str(path))


def test_seed_mnist_network_after_training(tmp_path):
    topograd.manual_seed(0)
    model = keras.Sequential([keras.Input((784,)), L.Dense(512, activation="relu"),
                              L.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).random((64, 784), dtype=np.float32)
    model.fit(x, np.arange(64) % 10, epochs=1, batch_size=32, verbose=0)
    proto = check(model, x, tmp_path)
    assert [n.op_type for n in proto.graph.node] == ["Gemm", "Relu", "Gemm", "Softmax"]


def test_batchnorm_dropout_flatten_activations(tmp_path):
    topograd.manual_seed(1)
    model = keras.Sequential([
        keras.Input((4, 5)), L.Flatten(), L.Dense(16), L.BatchNormalization(),
        L.Activation("relu"), L.Dropout(0.5), L.Dense(12, activation="gelu"),
        L.Dense(12, activation="leaky_relu"), L.Dense(12, activation="elu"),
        L.Dense(12, activation="selu"), L.Dense(12, activation="swish"),
        L.Dense(12, activation="hard_sigmoid"), L.Dense(12, activation="softplus"),
        L.Dense(12, activation="softsign"), L.Dense(12, activation="relu6"),
        L.Dense(12, activation="sigmoid"), L.Dense(6, activation="tanh"),
        L.Dense(3, activation="log_softmax"),
    ])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(1).normal(size=(40, 4, 5)).astype(np.float32) * 2
    model.fit(x, np.zeros((40, 3), np.float32), epochs=2, batch_size=8, verbose=0)
    check(model, x, tmp_path)


def test_batchnorm_without_center_or_scale(tmp_path):
    topograd.manual_seed(2)
    model = keras.Sequential([keras.Input((3,)), L.Dense(4),
                              L.BatchNormalization(center=False, scale=False)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(2).normal(size=(16, 3)).astype(np.float32)
    model.fit(x, np.ones((16, 4), np.float32), epochs=1, verbose=0)
    check(model, x, tmp_path)


def test_loaded_model_exports(tmp_path):
    from topograd.io import load_model, save_model

    model = keras.Sequential([keras.Input((2,)), L.Dense(8, activation="relu"),
                              L.Dense(2, activation="softmax")])
    save_model(model, tmp_path / "m.safetensors")
    again = load_model(tmp_path / "m.safetensors")
    check(again, np.random.default_rng(3).normal(size=(5, 2)).astype(np.float32), tmp_path)
