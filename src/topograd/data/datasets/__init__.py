"""Ready-made data sets: MNIST from the official IDX files, and small toy sets."""

from topograd.data.datasets.idx import IDXFormatError, read_idx
from topograd.data.datasets.mnist import (
    MNIST,
    MNIST_FILES,
    MNIST_MIRRORS,
    get_data_home,
    load_mnist,
    mnist_paths,
)
from topograd.data.datasets.toy import make_moons, make_spiral

__all__ = ["MNIST", "MNIST_FILES", "MNIST_MIRRORS", "IDXFormatError", "get_data_home",
           "load_mnist", "make_moons", "make_spiral", "mnist_paths", "read_idx"]
