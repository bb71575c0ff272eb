"""predict runs the layers' primitives on plain arrays: no graph, the numbers of the graph."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd.keras import layers, models
from topograd.primitives import nn as P


def _model(loss="categorical_crossentropy"):
    topograd.manual_seed(0)
    model = models.Sequential([
        layers.Input(shape=(4, 5)),
        layers.Flatten(),
        layers.Dense(16, activation="relu"),
        layers.BatchNormalization(),
        layers.Dropout(0.3),
        layers.Dense(12, activation="gelu"),
        layers.Dense(8, activation="tanh"),
        layers.Activation("elu"),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss=loss)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4, 5)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 64)]
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)  # moving statistics move
    return model, x


def _graph_path(model, x, batch_size):
    """The model called on Tensors batch by batch in inference mode, recording the graph
    (its weights require grad), then the output's arrays."""
    model.eval()
    outs = []
    for i in range(0, len(x), batch_size):
        out = model(topograd.tensor(x[i:i + batch_size]))
        assert out.requires_grad  # a graph was recorded
        outs.append(out.detach().numpy())
    return np.concatenate(outs)


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "mse"])
@pytest.mark.parametrize("batch_size", [7, 64])
def test_array_path_equals_graph_path(loss, batch_size, monkeypatch):
    model, x = _model(loss)
    recorded = []
    forward = P.Linear.forward

    def spy(ctx, *args, **kwargs):
        recorded.append(any(ctx.needs_input_grad))
        return forward(ctx, *args, **kwargs)

    monkeypatch.setattr(P.Linear, "forward", staticmethod(spy))
    fast = model.predict(x, batch_size=batch_size, verbose=0)
    assert recorded and not any(recorded), "predict recorded a graph"
    monkeypatch.undo()
    slow = _graph_path(model, x, batch_size)
    np.testing.assert_array_equal(fast, slow)
    np.testing.assert_allclose(fast.sum(axis=1), 1, rtol=1e-6)
    assert not model.training  # inference mode, dropout off: two calls agree
    np.testing.assert_array_equal(fast, model.predict(x, batch_size=batch_size, verbose=0))


def test_custom_call_takes_the_tensor_path():
    calls = []

    class Scaled(layers.Dense):
        def call(self, x, logits=False):
            calls.append(x.shape)
            return super().call(x, logits=logits) * 2

    model = models.Sequential([layers.Input(shape=(3,)), Scaled(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((5, 3), np.float32)
    out = model.predict(x, verbose=0)
    assert calls
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(out, 2 * (x @ kernel + bias), rtol=1e-6)


def test_forward_hooks_still_run_in_predict():
    model = models.Sequential([layers.Input(shape=(3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    seen = []
    model.layers[0].register_forward_hook(lambda m, a, out: seen.append(tuple(out.shape)))
    model.predict(np.ones((4, 3), np.float32), batch_size=2, verbose=0)
    assert seen == [(2, 2), (2, 2)]


def test_predict_never_writes_into_the_input():
    model = models.Sequential([layers.Input(shape=(3,)), layers.Activation("softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], np.float32)
    before = x.copy()
    out = model.predict(x, verbose=0)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(out[1], [1 / 3] * 3, rtol=1e-6)


def test_wrong_input_shape_still_names_the_shapes():
    model = models.Sequential([layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"expected shape=\(None, 3\), found shape=\(4, 5\)"):
        model.predict(np.ones((4, 5), np.float32), verbose=0)


def test_a_model_without_weights_compiles_predicts_and_fits_with_a_warning():
    model = models.Sequential([layers.Input(shape=(3,)), layers.Activation("softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    x = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], np.float32)
    y = np.eye(3, dtype=np.float32)[[2, 0]]
    with pytest.warns(UserWarning, match="does not have any trainable weights"):
        history = model.fit(x, y, epochs=2, verbose=0)
    assert history.history["accuracy"] == [1.0, 1.0]
    loss = -np.log(np.exp(3) / np.exp([1, 2, 3]).sum())
    np.testing.assert_allclose(history.history["loss"], [loss, loss], rtol=1e-6)
