"""to_categorical, set_random_seed and datasets.mnist, as Keras spells them."""

import numpy as np
import pytest

import topograd
from topograd.keras import utils
from topograd.keras.datasets import mnist


def test_to_categorical():
    y = np.array([5, 0, 4], np.uint8)
    out = utils.to_categorical(y)
    assert out.dtype == np.float32 and out.shape == (3, 6)
    assert out.argmax(1).tolist() == [5, 0, 4] and out.sum() == 3
    assert utils.to_categorical(y[:, None], 10).shape == (3, 10)  # (N, 1) is squeezed
    assert utils.to_categorical(np.array([[1, 2], [0, 1]]), 3).shape == (2, 2, 3)
    assert utils.to_categorical([1.0, 2.0], 3).tolist() == [[0, 1, 0], [0, 0, 1]]
    with pytest.raises(ValueError, match="num_classes=3"):
        utils.to_categorical([3], 3)
    with pytest.raises(ValueError, match=">= 0"):
        utils.to_categorical([-1])
    with pytest.raises(ValueError, match="non-integer"):
        utils.to_categorical([0.5])


def test_set_random_seed():
    utils.set_random_seed(4)
    a = topograd.randn(3).numpy()
    utils.set_random_seed(4)
    np.testing.assert_array_equal(a, topograd.randn(3).numpy())


def test_mnist_load_data_as_keras(mnist_home):
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert y_train[:3].tolist() == [5, 0, 4] and y_test[:3].tolist() == [7, 2, 1]
