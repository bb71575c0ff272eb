"""Data loading for topograd: datasets, a PyTorch-style DataLoader, batch augmentation.

>>> import numpy as np
>>> from topograd.data import DataLoader, TensorDataset, make_spiral
>>> X, y = make_spiral(90, seed=0)
>>> loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, seed=0,
...                     as_tensor=False)
>>> [len(yb) for _, yb in loader]
[32, 32, 26]
"""

from topograd.data import transforms
from topograd.data.dataloader import DataLoader, collate_numpy, default_collate
from topograd.data.dataset import Dataset, Subset, TensorDataset, random_split
from topograd.data.datasets import (
    MNIST,
    MNIST_FILES,
    IDXFormatError,
    get_data_home,
    load_mnist,
    make_moons,
    make_spiral,
    mnist_paths,
    read_idx,
)
from topograd.data.transforms import (
    Compose,
    GaussianNoise,
    RandomAffine,
    RandomErasing,
    RandomHorizontalFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)

__all__ = [
    "Dataset", "TensorDataset", "Subset", "random_split",
    "DataLoader", "collate_numpy", "default_collate",
    "transforms", "Compose", "RandomAffine", "RandomTranslation", "RandomRotation", "RandomZoom",
    "RandomHorizontalFlip", "GaussianNoise", "RandomErasing",
    "MNIST", "MNIST_FILES", "IDXFormatError", "load_mnist", "mnist_paths", "get_data_home",
    "read_idx", "make_spiral", "make_moons",
]
