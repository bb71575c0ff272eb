"""Sequential: building, compile/fit/evaluate/predict, summary, weights, clear errors."""

import numpy as np
import pytest

import topograd
from topograd import train
from topograd.keras import callbacks, layers, models, optimizers, regularizers
from topograd.keras.utils import to_categorical

rng = np.random.default_rng(0)


def seed_network():
    network = models.Sequential()
    network.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
    network.add(layers.Dense(10, activation="softmax"))
    return network


def toy(n=96, d=6, c=3):
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)
    return x, y


SUMMARY = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 512)            │       401,920 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 10)             │         5,130 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 407,050 (1.55 MB)
 Trainable params: 407,050 (1.55 MB)
 Non-trainable params: 0 (0.00 B)"""


def test_seed_network_summary_and_counts(capsys):
    network = seed_network()
    assert network.count_params() == 407050
    network.summary()
    assert capsys.readouterr().out.rstrip("\n") == SUMMARY
    assert [w.shape for w in network.get_weights()] == [(784, 512), (512,), (512, 10), (10,)]
    assert network.input_shape == (None, 784) and network.output_shape == (None, 10)


def test_input_first_and_lazy_build(capsys):
    m = models.Sequential([layers.Input(shape=(4,)), layers.Dense(3), layers.Dropout(0.1),
                           layers.BatchNormalization(), layers.Dense(2)])
    assert m.built and m.count_params() == 15 + 12 + 8
    lazy = models.Sequential([layers.Flatten(), layers.Dense(3)])
    with pytest.raises(ValueError, match="not yet been built"):
        lazy.summary()
    lazy.compile(optimizer="adam", loss="mse")
    lazy.fit(np.ones((8, 2, 2), np.float32), np.zeros((8, 3), np.float32), verbose=0)
    assert lazy.input_shape == (None, 2, 2) and lazy.layers[1].kernel.shape == (4, 3)
    with pytest.raises(ValueError, match="unique names"):
        models.Sequential([layers.Dense(2, name="a"), layers.Dense(2, name="a")])


def test_fit_before_compile():
    with pytest.raises(RuntimeError, match="compile"):
        seed_network().fit(np.zeros((4, 784), np.float32), np.zeros((4, 10), np.float32))
    with pytest.raises(RuntimeError, match="compile"):
        seed_network().evaluate(np.zeros((4, 784), np.float32), np.zeros((4, 10), np.float32))


def _compiled(loss="categorical_crossentropy"):
    network = seed_network()
    network.compile(optimizer="rmsprop", loss=loss, metrics=["accuracy"])
    return network


@pytest.mark.parametrize("x_shape,y,loss,match", [
    ((128, 28, 28), np.eye(10)[np.arange(128) % 10], "categorical_crossentropy",
     r"expected shape=\(None, 784\), found shape=\(128, 28, 28\)"),
    ((128, 784), np.arange(128) % 10, "categorical_crossentropy",
     r"expects one-hot labels shaped \(128, 10\).*to_categorical"),
    ((128, 784), np.eye(10)[np.arange(128) % 10], "sparse_categorical_crossentropy",
     r"looks one-hot.*categorical_crossentropy"),
    ((128, 784), np.arange(128) % 11, "sparse_categorical_crossentropy",
     r"labels outside \[0, 10\).*found 10 at index 10"),
    ((128, 784), -(np.arange(128) % 2), "sparse_categorical_crossentropy",
     r"labels outside \[0, 10\).*found -1 at index 1"),
    ((128, 784), np.eye(10)[np.arange(127) % 10], "categorical_crossentropy",
     r"x has 128.*y has 127"),
    ((0, 784), np.zeros((0, 10)), "categorical_crossentropy", "empty"),
])
def test_errors_people_meet(x_shape, y, loss, match):
    network = _compiled(loss)
    before = network.get_weights()
    with pytest.raises(ValueError, match=match):
        network.fit(np.zeros(x_shape, np.float32), y, batch_size=128, verbose=0)
    for a, b in zip(before, network.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_nan_inputs_and_targets():
    network = _compiled()
    x = np.zeros((8, 784), np.float32)
    x[3, 7] = np.inf
    with pytest.raises(ValueError, match="x contains NaN or infinity.*sample 3"):
        network.fit(x, np.eye(10)[:8], verbose=0)
    with pytest.raises(ValueError, match="validation y contains NaN"):
        network.fit(np.zeros((8, 784), np.float32), np.eye(10)[:8], verbose=0,
                    validation_data=(np.zeros((2, 784)), np.full((2, 10), np.nan)))


def test_binary_targets_out_of_range():
    m = models.Sequential([layers.Dense(1, activation="sigmoid", input_shape=(3,))])
    m.compile(optimizer="sgd", loss="binary_crossentropy")
    with pytest.raises(ValueError, match=r"targets in \[0, 1\].*2"):
        m.fit(np.zeros((4, 3)), np.array([0, 1, 2, 1]), verbose=0)


def test_fit_evaluate_predict_roundtrip():
    x, y = toy()
    topograd.manual_seed(0)
    m = models.Sequential([layers.Dense(16, activation="relu", input_shape=(6,)),
                           layers.Dense(3, activation="softmax")])
    m.compile(optimizer=optimizers.Adam(learning_rate=0.02),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = m.fit(x, y, epochs=15, batch_size=16, validation_split=0.25, verbose=0)
    assert m.history is h and sorted(h.history) == ["accuracy", "loss", "val_accuracy",
                                                    "val_loss"]
    assert h.history["loss"][-1] < h.history["loss"][0]
    loss, acc = m.evaluate(x, y, verbose=0)
    assert acc > 0.85
    assert m.evaluate(x, y, verbose=0, return_dict=True) == {"accuracy": acc, "loss": loss}
    probs = m.predict(x, verbose=0)
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-5)
    assert acc == pytest.approx(float((probs.argmax(1) == y).mean()))
    with topograd.no_grad():
        np.testing.assert_allclose(m(x).numpy(), probs, rtol=1e-5, atol=1e-7)
    assert not m.training


def test_evaluate_without_metrics_returns_the_loss():
    x, y = toy()
    m = models.Sequential([layers.Dense(3, input_shape=(6,))])
    m.compile(optimizer="sgd", loss="mse")
    value = m.evaluate(x, to_categorical(y, 3), verbose=0)
    assert isinstance(value, float)
    assert value == pytest.approx(float(((m.predict(x, verbose=0)
                                          - to_categorical(y, 3)) ** 2).mean()), rel=1e-5)


def test_regularization_is_part_of_the_loss():
    x, y = toy()
    m = models.Sequential([layers.Dense(3, kernel_regularizer=regularizers.l2(0.5),
                                        input_shape=(6,))])
    m.compile(optimizer="sgd", loss="mse")
    yy = to_categorical(y, 3)
    plain = float(((m.predict(x, verbose=0) - yy) ** 2).mean())
    penalty = 0.5 * float((m.layers[0].kernel.numpy() ** 2).sum())
    assert m.evaluate(x, yy, verbose=0) == pytest.approx(plain + penalty, rel=1e-5)


def test_same_seed_same_training():
    x, y = toy()
    runs = []
    for _ in range(2):
        topograd.manual_seed(7)
        m = models.Sequential([layers.Dense(8, activation="relu", input_shape=(6,)),
                               layers.Dropout(0.2), layers.BatchNormalization(),
                               layers.Dense(3, activation="softmax")])
        m.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
        m.fit(x, y, epochs=2, batch_size=16, verbose=0)
        runs.append(m.get_weights())
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_callbacks_and_stop_training_from_the_keras_face(tmp_path):
    x, y = toy()
    m = models.Sequential([layers.Dense(3, activation="softmax", input_shape=(6,))])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stop = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: setattr(m, "stop_training", epoch == 1))
    ckpt = callbacks.ModelCheckpoint(tmp_path / "w.safetensors", save_weights_only=True)
    h = m.fit(x, y, epochs=10, verbose=0, callbacks=[stop, ckpt])
    assert h.epoch == [0, 1]
    m2 = models.Sequential([layers.Dense(3, activation="softmax", input_shape=(6,))])
    m2.load_weights(tmp_path / "w.safetensors")
    for a, b in zip(m.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert isinstance(m.optimizer, optimizers.Adam)
    assert m.optimizer.iterations == 6  # 3 batches x 2 epochs


def test_train_and_test_on_batch():
    x, y = toy()
    m = models.Sequential([layers.Dense(3, activation="softmax", input_shape=(6,))])
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    before = m.test_on_batch(x, y)
    m.train_on_batch(x, y)
    after = m.test_on_batch(x, y)
    assert after[0] < before[0] and m.optimizer.iterations == 1
    assert m.predict_on_batch(x).shape == (96, 3)


def test_save_and_load_weights_between_models(tmp_path):
    a = seed_network()
    b = seed_network()
    path = tmp_path / "seed.weights.safetensors"
    a.save_weights(path)
    b.load_weights(path)
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)
    assert train.model_state(a).keys() == {"0.kernel", "0.bias", "1.kernel", "1.bias"}


def test_an_optimizer_belongs_to_one_model():
    opt = optimizers.SGD()
    a = models.Sequential([layers.Dense(2, input_shape=(3,))])
    a.compile(optimizer=opt, loss="mse")
    b = models.Sequential([layers.Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match="attached to other weights"):
        b.compile(optimizer=opt, loss="mse")
    a.add(layers.Dense(1))  # changing the model after compile: compile again
    with pytest.raises(ValueError, match="compile again"):
        a.fit(np.zeros((4, 3)), np.zeros((4, 1)), verbose=0)
    a.compile(optimizer="sgd", loss="mse")
    a.fit(np.zeros((4, 3)), np.zeros((4, 1)), verbose=0)


def test_fit_on_a_dataloader_builds_lazily():
    from topograd.data import DataLoader, TensorDataset

    x, y = toy()
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    m = models.Sequential([layers.Dense(8, activation="relu"),
                           layers.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = m.fit(loader, epochs=2, verbose=0, validation_data=loader)
    assert m.built and m._trainer.fused and "val_accuracy" in h.history
    assert m.predict(loader, verbose=0).shape == (96, 3)
    assert set(m.evaluate(loader, verbose=0, return_dict=True)) == {"accuracy", "loss"}


def test_frozen_layers_keep_their_weights():
    x, y = toy()
    m = models.Sequential([layers.Dense(8, activation="relu", input_shape=(6,)),
                           layers.Dense(3, activation="softmax")])
    m.layers[0].trainable = False
    assert m.layers[0].trainable_weights == [] and len(m.trainable_weights) == 2
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = m.get_weights()
    m.fit(x, y, epochs=1, verbose=0)
    after = m.get_weights()
    np.testing.assert_array_equal(before[0], after[0])
    assert not np.array_equal(before[2], after[2])
    frozen = layers.Dense(2, trainable=False)
    frozen(np.ones((1, 3), np.float32))
    assert not frozen.kernel.requires_grad
    m.trainable = False
    assert m.trainable_weights == [] and not m.layers[1].trainable
