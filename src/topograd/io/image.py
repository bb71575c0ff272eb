"""Digit images (PNG, JPEG, ...) read with Pillow and turned into MNIST-like arrays."""

from __future__ import annotations

import os

import numpy as np

MNIST_SIZE = 28
_BOX = 20  # MNIST digits are scaled to fit a 20x20 box, then centred by mass in 28x28


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("reading images needs Pillow: pip install 'topograd[image]'") from None
    return Image


def _to_gray(img) -> np.ndarray:
    """Grayscale in [0, 1]; transparent pixels count as white paper."""
    Image = _pillow()
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(paper, rgba)
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = arr.max()
        return (arr / top if top > 0 else arr).astype(np.float32)
    return np.asarray(img.convert("L"), dtype=np.float32) / np.float32(255)


def _needs_invert(gray: np.ndarray) -> bool:
    # MNIST is white on black: a light frame means dark ink on light paper
    frame = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return float(np.median(frame)) > 0.5


def _normalize_mnist(gray: np.ndarray) -> np.ndarray:
    """Crop the ink, scale it into a 20x20 box, centre its mass in 28x28 (MNIST's recipe)."""
    Image = _pillow()
    ink = gray > 0.1 * float(gray.max()) if gray.max() > 0 else None
    if ink is None or not ink.any():
        img = Image.fromarray((gray * 255).round().astype(np.uint8))
        return np.asarray(img.resize((MNIST_SIZE, MNIST_SIZE), Image.LANCZOS),
                          dtype=np.float32) / 255
    rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
    crop = gray[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = _BOX / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    img = Image.fromarray((crop * 255).round().astype(np.uint8))
    small = np.asarray(img.resize((nw, nh), Image.LANCZOS), dtype=np.float32) / 255
    total = small.sum()
    cy = (small.sum(axis=1) @ np.arange(nh)) / total if total > 0 else (nh - 1) / 2
    cx = (small.sum(axis=0) @ np.arange(nw)) / total if total > 0 else (nw - 1) / 2
    top = int(np.clip(round(MNIST_SIZE / 2 - 0.5 - cy), 0, MNIST_SIZE - nh))
    left = int(np.clip(round(MNIST_SIZE / 2 - 0.5 - cx), 0, MNIST_SIZE - nw))
    out = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    out[top:top + nh, left:left + nw] = small
    return out


def load_digit(path, invert: bool | None = None) -> np.ndarray:
    """Read an image of a handwritten digit as MNIST presents one: 28x28, white on black.

    The image is made grayscale (transparency counts as white paper) and scaled to [0, 1].
    Dark ink on light paper is inverted (``invert=None`` decides from the image's border).
    An image that is not already 28x28 is cropped to its ink, scaled to fit 20x20 and
    centred by its centre of mass in a 28x28 frame, the way MNIST was made; a 28x28 image
    is taken as it is.

    Args:
        path: an image file Pillow can read (PNG, JPEG, BMP, GIF, ...).
        invert: True or False to force or forbid inversion; None to decide from the border.

    Returns:
        A float32 array ``(28, 28)`` in [0, 1], ink bright.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not an image Pillow can read.

    Example:
        >>> import os, tempfile
        >>> from PIL import Image
        >>> p = os.path.join(tempfile.mkdtemp(), "d.png")
        >>> Image.new("L", (28, 28), 255).save(p)  # blank white paper
        >>> float(load_digit(p).max())
        0.0
    """
    Image = _pillow()
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise FileNotFoundError(f"{name}: no such file" if not os.path.exists(name)
                                else f"{name}: not a file")
    try:
        with Image.open(name) as img:
            img.load()
            gray = _to_gray(img)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise ValueError(f"{name}: not an image Pillow can read ({e})") from None
    if invert is None:
        invert = _needs_invert(gray)
    if invert:
        gray = 1.0 - gray
    if gray.shape != (MNIST_SIZE, MNIST_SIZE):
        gray = _normalize_mnist(gray)
    return np.ascontiguousarray(gray, dtype=np.float32)
