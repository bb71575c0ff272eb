"""Transforms that change pixel values: GaussianNoise, RandomErasing."""

from __future__ import annotations

import numbers

import numpy as np

from topograd.data._utils import check_probability, check_range
from topograd.data.transforms.base import ImageTransform, Transform, cast_like


class RandomErasing(ImageTransform):
    """Blank a random rectangle of each image with probability ``p`` (Zhong et al., 2017).

    Args:
        p: probability of erasing in each sample.
        scale: range of the erased area as a fraction of the image area.
        ratio: range of the rectangle's aspect ratio h/w (drawn log-uniformly).
        value: the value written into the rectangle.
        image_shape: ``(H, W)`` or ``(H, W, C)`` when the batch is flat.
        generator, seed: random source (default: topograd's global generator).

    Example:
        >>> import numpy as np
        >>> out = RandomErasing(p=1.0, seed=0)(np.ones((2, 28, 28), np.float32))
        >>> bool((out == 0).any(axis=(1, 2)).all())
        True
    """

    def __init__(self, p: float = 0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3),
                 value: float = 0.0, image_shape=None, generator=None, seed=None):
        super().__init__(image_shape, generator, seed)
        self.p = check_probability(p, "p", "RandomErasing")
        self.scale = check_range(scale, "scale", "RandomErasing", symmetric=False, low=0.0)
        if self.scale[1] > 1:
            raise ValueError(f"RandomErasing: scale expected fractions in (0, 1], "
                             f"found {self.scale}")
        self.ratio = check_range(ratio, "ratio", "RandomErasing", symmetric=False, low=0.0)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"RandomErasing: value expected a number, found {value!r}")
        self.value = value

    def get_params(self, shape: tuple, rng: np.random.Generator) -> dict:
        """Draw rectangles: ``{"erase": (N,) bool, "top", "left", "height", "width": (N,) int}``."""
        n, h, w = shape[:3]
        area = rng.uniform(*self.scale, size=n) * h * w
        aspect = np.exp(rng.uniform(*np.log(self.ratio), size=n))
        eh = np.clip(np.rint(np.sqrt(area * aspect)), 1, h).astype(np.intp)
        ew = np.clip(np.rint(np.sqrt(area / aspect)), 1, w).astype(np.intp)
        u = rng.random((2, n))
        return {"erase": rng.random(n) < self.p, "height": eh, "width": ew,
                "top": (u[0] * (h - eh + 1)).astype(np.intp),
                "left": (u[1] * (w - ew + 1)).astype(np.intp)}

    def _apply(self, images, params):
        _, h, w, _ = images.shape
        rows, cols = np.arange(h), np.arange(w)
        top, left = params["top"][:, None], params["left"][:, None]
        in_rows = (rows >= top) & (rows < top + params["height"][:, None])  # (N, H)
        in_cols = (cols >= left) & (cols < left + params["width"][:, None])  # (N, W)
        erase = np.asarray(params["erase"], bool)[:, None, None]
        mask = in_rows[:, :, None] & in_cols[:, None, :] & erase
        out = images.copy()
        out[mask] = cast_like(np.asarray(float(self.value)), images.dtype)
        return out


class GaussianNoise(Transform):
    """Add i.i.d. normal noise to every value; works on any batch shape.

    Integer batches are rounded and clipped to their dtype's range; ``clip`` also bounds
    float results (e.g. ``(0, 1)`` for normalized images).

    Args:
        std: standard deviation of the noise (in the batch's units), non-negative.
        mean: mean of the noise.
        clip: optional ``(lo, hi)`` bounds for the result.
        generator, seed: random source (default: topograd's global generator).

    Example:
        >>> import numpy as np
        >>> out = GaussianNoise(0.1, clip=(0, 1), seed=0)(np.zeros((4, 784), np.float32))
        >>> out.dtype, float(out.min()) >= 0
        (dtype('float32'), True)
    """

    def __init__(self, std: float = 0.1, mean: float = 0.0, clip=None, generator=None,
                 seed=None):
        super().__init__(generator, seed)
        for name, v in (("std", std), ("mean", mean)):
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise TypeError(f"GaussianNoise: {name} expected a number, found {v!r}")
        if std < 0:
            raise ValueError(f"GaussianNoise: std expected a non-negative number, found {std}")
        self.std, self.mean = float(std), float(mean)
        self.clip = None if clip is None else check_range(clip, "clip", "GaussianNoise",
                                                          symmetric=False)

    def get_params(self, shape: tuple, rng: np.random.Generator) -> dict:
        """Draw the noise: ``{"noise": array of the batch's shape}``."""
        return {"noise": rng.normal(self.mean, self.std, size=shape)}

    def apply(self, batch, params: dict):
        """Add ``params["noise"]`` to ``batch``; returns a new array of its shape and dtype."""
        batch = np.asarray(batch)
        out = batch.astype(np.float64) + params["noise"]
        if self.clip is not None:
            out = np.clip(out, *self.clip)
        return cast_like(out, batch.dtype)
