"""Geometric transforms: one vectorized bilinear warp for affine maps, and flips."""

from __future__ import annotations

import numbers

import numpy as np

from topograd.data._utils import check_probability, check_range
from topograd.data.transforms.base import ImageTransform, cast_like


def warp(images: np.ndarray, a: np.ndarray, t: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Bilinear resampling of a whole ``(N, H, W, C)`` batch, each sample with its own map.

    Output pixel ``p`` (in coordinates centred on the image) of sample ``n`` reads the input
    at ``a[n] @ p + centre + t[n]``; outside the image the input is ``fill`` and the edges
    blend into it, which is ``scipy.ndimage.affine_transform(img, a[n], offset, order=1,
    mode="grid-constant", cval=fill)`` per sample. It is done as four gathers from a padded
    copy because one 3-D ``ndimage.map_coordinates`` call over the batch also interpolates
    along the batch axis (8 neighbours instead of 4) and ran about 2x slower here.

    Args:
        images: ``(N, H, W, C)`` batch.
        a: ``(N, 2, 2)`` matrices acting on ``(row, col)`` offsets from the centre.
        t: ``(N, 2)`` extra input offsets in pixels.
        fill: the value outside the image.

    Returns:
        float32 array ``(N, H, W, C)``.

    >>> img = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> warp(img, np.eye(2)[None], np.zeros((1, 2)))[0, :, :, 0].tolist()
    [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]
    """
    n, h, w, c = images.shape
    padded = np.pad(images.astype(np.float32), ((0, 0), (1, 1), (1, 1), (0, 0)),
                    constant_values=fill)  # a one-pixel frame of fill around every sample
    center = np.array([(h - 1) / 2.0, (w - 1) / 2.0])
    grid_y = np.arange(h, dtype=np.float32)[:, None] - np.float32(center[0])
    grid_x = np.arange(w, dtype=np.float32)[None, :] - np.float32(center[1])
    a = np.asarray(a, np.float32)[:, :, :, None, None]
    offset = (center + 1.0 + np.asarray(t)).astype(np.float32)[:, :, None, None]  # +1: frame
    # Clamping far-away points onto the frame makes them read exactly ``fill``.
    sy = np.clip(a[:, 0, 0] * grid_y + a[:, 0, 1] * grid_x + offset[:, 0], 0, h + 1)
    sx = np.clip(a[:, 1, 0] * grid_y + a[:, 1, 1] * grid_x + offset[:, 1], 0, w + 1)
    y0 = np.minimum(sy.astype(np.intp), h)
    x0 = np.minimum(sx.astype(np.intp), w)
    wy = (sy - y0.astype(np.float32))[..., None]
    wx = (sx - x0.astype(np.float32))[..., None]
    stride = w + 2
    corner = (np.arange(n)[:, None, None] * (h + 2) + y0) * stride + x0
    if c == 1:  # gathering scalars is about twice as fast as gathering rows of one
        flat, corner = padded.reshape(-1), corner[..., None]
    else:
        flat = padded.reshape(-1, c)
    v00, v01 = flat[corner], flat[corner + 1]
    v10, v11 = flat[corner + stride], flat[corner + stride + 1]
    top = v00 + wx * (v01 - v00)
    bottom = v10 + wx * (v11 - v10)
    return top + wy * (bottom - top)


class RandomAffine(ImageTransform):
    """Random rotation, scaling and translation of each image, done in one warp.

    Each sample is scaled by ``s``, rotated by ``angle`` (positive: counter-clockwise) about
    its centre, then shifted by ``(dy, dx)`` pixels; pixels coming from outside get ``fill``.
    Combining them here costs one interpolation instead of three.

    Args:
        degrees: ``d`` for angles uniform in ``[-d, d]``, or ``(lo, hi)``; None: no rotation.
        translate: largest shift as a fraction of the image size, one number or
            ``(of_height, of_width)``; shifts are uniform in ``[-f * size, f * size]``.
        scale: ``z`` for factors uniform in ``[1 - z, 1 + z]``, or ``(lo, hi)``, positive;
            ``s > 1`` enlarges the content.
        fill: value for pixels coming from outside the image.
        image_shape: ``(H, W)`` or ``(H, W, C)`` when the batch is flat.
        generator, seed: random source (default: topograd's global generator).

    Example:
        >>> aug = RandomAffine(degrees=10, translate=0.1, scale=0.1, seed=0)
        >>> aug(np.zeros((4, 28, 28), np.uint8)).shape
        (4, 28, 28)
    """

    def __init__(self, degrees=None, translate=None, scale=None, fill: float = 0.0,
                 image_shape=None, generator=None, seed=None):
        super().__init__(image_shape, generator, seed)
        name = type(self).__name__
        if isinstance(fill, bool) or not isinstance(fill, numbers.Real):
            raise TypeError(f"{name}: fill expected a number, found {fill!r}")
        self.fill = float(fill)
        self.degrees = None if degrees is None else check_range(degrees, "degrees", name)
        if translate is not None:
            pair = translate if isinstance(translate, (tuple, list)) else (translate, translate)
            if len(pair) != 2:
                raise ValueError(f"{name}: translate expected a fraction or a pair of "
                                 f"fractions, found {translate!r}")
            translate = tuple(check_range(f, "translate", name)[1] for f in pair)
        self.translate = translate
        self.scale = None if scale is None else check_range(scale, "scale", name, center=1.0,
                                                            low=0.0)

    def get_params(self, shape: tuple, rng: np.random.Generator) -> dict:
        """Draw per-sample parameters for a batch of ``shape`` ``(N, H, W, C)``.

        Returns:
            A dict with, for the enabled parts, ``"angle"`` ``(N,)`` in degrees, ``"scale"``
            ``(N,)`` factors and ``"shift"`` ``(N, 2)`` pixel offsets ``(dy, dx)``.
        """
        n, params = shape[0], {}
        if self.degrees is not None:
            params["angle"] = rng.uniform(*self.degrees, size=n)
        if self.scale is not None:
            params["scale"] = rng.uniform(*self.scale, size=n)
        if self.translate is not None:
            limit = np.array(self.translate) * np.array(shape[1:3])
            params["shift"] = rng.uniform(-limit, limit, size=(n, 2))
        return params

    def _apply(self, images: np.ndarray, params: dict) -> np.ndarray:
        n = images.shape[0]
        theta = np.deg2rad(np.broadcast_to(np.asarray(params.get("angle", 0.0), float), (n,)))
        inv_scale = 1.0 / np.broadcast_to(np.asarray(params.get("scale", 1.0), float), (n,))
        shift = np.broadcast_to(np.asarray(params.get("shift", 0.0), float), (n, 2))
        c, s = np.cos(theta) * inv_scale, np.sin(theta) * inv_scale
        # input = A (output - shift): the inverse of scale, then rotate, then shift
        a = np.stack([np.stack([c, s], -1), np.stack([-s, c], -1)], 1)
        t = -np.einsum("nij,nj->ni", a, shift)
        return cast_like(warp(images, a, t, self.fill), images.dtype)


class RandomTranslation(RandomAffine):
    """Shift each image by a random offset, filling the uncovered border with ``fill``.

    Args:
        max_shift: largest shift as a fraction of the image size, one number for both axes or
            ``(of_height, of_width)``; shifts are uniform in ``[-f * size, f * size]`` pixels.
        fill: value for pixels shifted in from outside.
        image_shape: ``(H, W)`` or ``(H, W, C)`` when the batch is flat.
        generator, seed: random source (default: topograd's global generator).

    Example:
        >>> RandomTranslation(0.1, seed=0)(np.ones((4, 28, 28), np.uint8)).shape
        (4, 28, 28)
    """

    def __init__(self, max_shift=0.1, fill: float = 0.0, image_shape=None, generator=None,
                 seed=None):
        super().__init__(translate=max_shift, fill=fill, image_shape=image_shape,
                         generator=generator, seed=seed)


class RandomRotation(RandomAffine):
    """Rotate each image about its centre by a random angle (positive: counter-clockwise).

    Args:
        degrees: ``d`` for angles uniform in ``[-d, d]``, or a pair ``(lo, hi)``.
        fill: value for pixels rotated in from outside.
        image_shape: ``(H, W)`` or ``(H, W, C)`` when the batch is flat.
        generator, seed: random source (default: topograd's global generator).

    Example:
        >>> RandomRotation(15, seed=0)(np.ones((2, 8, 8, 3), np.float32)).shape
        (2, 8, 8, 3)
    """

    def __init__(self, degrees=15.0, fill: float = 0.0, image_shape=None, generator=None,
                 seed=None):
        super().__init__(degrees=degrees, fill=fill, image_shape=image_shape,
                         generator=generator, seed=seed)


class RandomZoom(RandomAffine):
    """Scale each image about its centre by a random factor (> 1 enlarges the content).

    Args:
        scale: ``z`` for factors uniform in ``[1 - z, 1 + z]``, or a pair ``(lo, hi)``;
            factors must be positive.
        fill: value for pixels coming in from outside when zooming out.
        image_shape: ``(H, W)`` or ``(H, W, C)`` when the batch is flat.
        generator, seed: random source (default: topograd's global generator).

    Example:
        >>> RandomZoom((0.9, 1.1), image_shape=(28, 28), seed=0)(np.ones((3, 784))).shape
        (3, 784)
    """

    def __init__(self, scale=0.1, fill: float = 0.0, image_shape=None, generator=None,
                 seed=None):
        super().__init__(scale=scale, fill=fill, image_shape=image_shape,
                         generator=generator, seed=seed)


class RandomHorizontalFlip(ImageTransform):
    """Mirror each image left-right with probability ``p``.

    Args:
        p: probability of flipping each sample.
        image_shape: ``(H, W)`` or ``(H, W, C)`` when the batch is flat.
        generator, seed: random source (default: topograd's global generator).

    Example:
        >>> RandomHorizontalFlip(p=1.0)(np.array([[[1, 2, 3]]])).tolist()
        [[[3, 2, 1]]]
    """

    def __init__(self, p: float = 0.5, image_shape=None, generator=None, seed=None):
        super().__init__(image_shape, generator, seed)
        self.p = check_probability(p, "p", "RandomHorizontalFlip")

    def get_params(self, shape: tuple, rng: np.random.Generator) -> dict:
        """Draw which samples flip: ``{"flip": (N,) bool array}``."""
        return {"flip": rng.random(shape[0]) < self.p}

    def _apply(self, images, params):
        flip = np.asarray(params["flip"], bool)
        return np.where(flip[:, None, None, None], images[:, :, ::-1], images)
