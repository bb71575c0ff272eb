"""Small models and data for the training-loop tests."""

from __future__ import annotations

import numpy as np
import pytest

import topograd
from topograd import nn, optim


@pytest.fixture
def blobs():
    """Two Gaussian blobs in 4-D, 64 samples, int64 labels (easy to separate)."""
    rng = np.random.default_rng(0)
    y = np.arange(64) % 2
    x = (rng.normal(size=(64, 4)) + 2.0 * y[:, None]).astype(np.float32)
    return x, y.astype(np.int64)


@pytest.fixture
def make_model():
    """A factory: (model, loss, optimizer) for 4 inputs and 2 classes, seeded."""

    def make(seed: int = 0, lr: float = 0.1, hidden: int = 8):
        topograd.manual_seed(seed)
        model = nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, 2))
        return model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr)

    return make
