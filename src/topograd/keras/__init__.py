"""topograd.keras: the Keras-style face, a thin layer over :mod:`topograd.train`.

The first example of Chollet's *Deep Learning with Python* runs with only its imports
changed (``from topograd.keras import models, layers``,
``from topograd.keras.datasets import mnist``, ``from topograd.keras.utils import
to_categorical``).

>>> from topograd.keras import models, layers
>>> network = models.Sequential()
>>> network.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
>>> network.add(layers.Dense(10, activation="softmax"))
>>> network.compile(optimizer="rmsprop", loss="categorical_crossentropy",
...                 metrics=["accuracy"])
>>> network.count_params()
407050
"""

from . import (
    activations,
    backend,
    callbacks,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    saving,
    utils,
)
from .layers import Input
from .models import Model, Sequential

__all__ = ["activations", "backend", "callbacks", "datasets", "initializers", "layers",
           "losses", "metrics", "models", "optimizers", "regularizers", "saving", "utils",
           "Input", "Model", "Sequential"]
