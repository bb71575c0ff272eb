"""Shared machinery of the batch transforms: layouts, dtype handling, Compose."""

from __future__ import annotations

import numbers

import numpy as np

from topograd.data._utils import resolve_generator


def cast_like(out: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Cast float results back to ``dtype``; integers are rounded and clipped, never wrapped.

    >>> cast_like(np.array([-3.0, 7.6, 300.0]), np.dtype(np.uint8)).tolist()
    [0, 8, 255]
    """
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(dtype)
    if dtype == np.bool_:
        return out > 0.5
    return out.astype(dtype, copy=False)


def check_image_shape(image_shape, owner: str) -> tuple[int, ...] | None:
    """Validate an ``(H, W)`` or ``(H, W, C)`` tuple (or None) and return it as ints."""
    if image_shape is None:
        return None
    shape = tuple(image_shape) if isinstance(image_shape, (tuple, list)) else None
    if shape is None or len(shape) not in (2, 3) or not all(
            isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0 for d in shape):
        raise ValueError(f"{owner}: image_shape expected (H, W) or (H, W, C) of positive ints, "
                         f"found {image_shape!r}")
    return tuple(int(d) for d in shape)


class Transform:
    """Base of the random batch transforms: ``t(batch) == t.apply(batch, t.get_params(...))``.

    Subclasses define ``get_params(shape, rng) -> dict`` (every per-sample parameter drawn in
    one vectorized call) and ``apply(batch, params) -> new batch``.

    Args:
        generator: a ``numpy.random.Generator`` to draw from.
        seed: an int for a private generator instead (not with ``generator``). With neither,
            topograd's global generator is used, looked up on every call.
    """

    def __init__(self, generator=None, seed=None):
        self._rng = resolve_generator(generator, seed, type(self).__name__)

    def __call__(self, batch):
        """Draw fresh parameters for this batch and apply them; returns a new batch."""
        batch = np.asarray(batch)
        return self.apply(batch, self.get_params(self._shape(batch), self._rng()))

    def _shape(self, batch: np.ndarray) -> tuple:
        return batch.shape

    def get_params(self, shape: tuple, rng: np.random.Generator) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must define get_params")

    def apply(self, batch, params: dict):
        raise NotImplementedError(f"{type(self).__name__} must define apply")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items()
                         if not k.startswith("_") and v is not None)
        return f"{type(self).__name__}({args})"


class ImageTransform(Transform):
    """Base of transforms that need the image layout; they work on ``(N, H, W, C)`` views.

    Batches ``(N, H, W)`` and ``(N, H, W, C)`` are taken as they are; any other shape needs
    ``image_shape``. Subclasses define ``_apply(images_nhwc, params)``; ``shape`` given to
    ``get_params`` is always ``(N, H, W, C)``.

    Args:
        image_shape: ``(H, W)`` or ``(H, W, C)`` to reshape each sample to (e.g. flat rows).
        generator, seed: see :class:`Transform`.
    """

    def __init__(self, image_shape=None, generator=None, seed=None):
        super().__init__(generator, seed)
        self.image_shape = check_image_shape(image_shape, type(self).__name__)

    def _images(self, batch: np.ndarray) -> np.ndarray:
        name = type(self).__name__
        if batch.ndim < 1:
            raise ValueError(f"{name} expected a batch with a leading N axis, found a scalar")
        if self.image_shape is not None:
            size = int(np.prod(self.image_shape))
            if int(np.prod(batch.shape[1:])) != size:
                raise ValueError(f"{name}: image_shape {self.image_shape} holds {size} values "
                                 f"per sample but the batch has shape {batch.shape}")
            images = batch.reshape(batch.shape[:1] + self.image_shape)
        elif batch.ndim in (3, 4):
            images = batch
        else:
            raise ValueError(f"{name} expected a batch (N, H, W) or (N, H, W, C), found shape "
                             f"{batch.shape}; pass image_shape=(H, W) for flat batches")
        return images if images.ndim == 4 else images[..., None]

    def _shape(self, batch: np.ndarray) -> tuple:
        return self._images(batch).shape

    def apply(self, batch, params: dict):
        """Apply the augmentation described by ``params`` (from ``get_params``) to ``batch``.

        Args:
            batch: numpy batch in one of the accepted layouts.
            params: dict of per-sample arrays from ``get_params``.

        Returns:
            A new array of the batch's shape and dtype.
        """
        batch = np.asarray(batch)
        return self._apply(self._images(batch), params).reshape(batch.shape)


class Compose:
    """Chain transforms: ``Compose([a, b])(x) == b(a(x))``.

    Args:
        transforms: a list of callables ``batch -> batch``.

    Example:
        >>> from topograd.data.transforms import RandomHorizontalFlip
        >>> aug = Compose([RandomHorizontalFlip(1.0), RandomHorizontalFlip(1.0)])
        >>> aug(np.array([[[1, 2, 3]]])).tolist()
        [[[1, 2, 3]]]
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)
        for k, t in enumerate(self.transforms):
            if not callable(t):
                raise TypeError(f"Compose expected callables, found {type(t).__name__} "
                                f"at position {k}")

    def __call__(self, batch):
        """Apply every transform in order; returns the final batch."""
        for t in self.transforms:
            batch = t(batch)
        return batch

    def __repr__(self) -> str:
        inner = ",\n".join(f"    {t!r}" for t in self.transforms)
        return f"Compose([\n{inner}\n])"
