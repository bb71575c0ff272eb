"""The Keras face's trainer: configured when compiled or built, the optimizer checked."""

import numpy as np
import pytest

from topograd.keras import layers, models, optimizers


def test_the_trainer_follows_the_model_it_is_compiled_for():
    m = models.Sequential([layers.Dense(4, activation="relu"),
                           layers.Dense(3, activation="softmax")])
    m.compile(optimizer="sgd", loss="categorical_crossentropy")
    trainer = m._trainer
    assert not m.built and not trainer.fused and not m.optimizer.built
    m(np.zeros((2, 5), np.float32))  # building configures: the fused path, the optimizer
    assert trainer.fused and m.optimizer.built
    m.pop()  # as Keras's pop(rebuild=True): the step follows the layers
    assert not trainer.fused
    out = m.predict(np.ones((2, 5), np.float32), verbose=0)
    assert out.shape == (2, 4) and (out >= 0).all()  # the relu's outputs, no softmax
    with pytest.raises(ValueError, match="compile again"):
        m.fit(np.zeros((4, 5)), np.zeros((4, 4)), verbose=0)  # the optimizer held 2 layers
    m.compile(optimizer="sgd", loss="mse")
    m.train_on_batch(np.zeros((4, 5)), np.zeros((4, 4)))


def test_freezing_after_compile_needs_a_new_compile():
    m = models.Sequential([layers.Dense(2, input_shape=(3,)), layers.Dense(1)])
    m.compile(optimizer="adam", loss="mse")
    m.layers[0].trainable = False
    x, y = np.zeros((4, 3), np.float32), np.zeros((4, 1), np.float32)
    assert isinstance(m.evaluate(x, y, verbose=0), float)  # no optimizer involved
    with pytest.raises(ValueError, match="compile again"):
        m.train_on_batch(x, y)
    m.compile(optimizer=optimizers.Adam(), loss="mse")
    m.fit(x, y, verbose=0)
    assert len(m.optimizer.param_groups[0]["params"]) == 2
