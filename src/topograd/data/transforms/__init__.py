"""Seeded, batch-vectorized augmentation for image batches.

Every transform is a callable ``batch -> new batch`` of the same shape and dtype (the input is
never modified). Batches are numpy arrays shaped ``(N, H, W)``, ``(N, H, W, C)``, or any
``N`` rows plus an explicit ``image_shape`` (e.g. flat ``(N, H*W)`` with
``image_shape=(H, W)``). Per-sample parameters are drawn in one vectorized call from the
transform's own ``generator``/``seed`` or, by default, topograd's global generator (so
``topograd.manual_seed(n)`` makes augmentation repeatable). ``get_params`` and ``apply`` are
public so a drawn augmentation can be inspected or replayed.

>>> import numpy as np
>>> from topograd.data.transforms import Compose, GaussianNoise, RandomRotation
>>> aug = Compose([RandomRotation(10, seed=0), GaussianNoise(0.05, seed=1)])
>>> out = aug(np.zeros((8, 28, 28), np.float32))
>>> out.shape, out.dtype
((8, 28, 28), dtype('float32'))
"""

from topograd.data.transforms.base import Compose, ImageTransform, Transform
from topograd.data.transforms.geometric import (
    RandomAffine,
    RandomHorizontalFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    warp,
)
from topograd.data.transforms.pixel import GaussianNoise, RandomErasing

__all__ = ["Compose", "Transform", "ImageTransform", "RandomAffine", "RandomTranslation",
           "RandomRotation", "RandomZoom", "RandomHorizontalFlip", "GaussianNoise",
           "RandomErasing", "warp"]
