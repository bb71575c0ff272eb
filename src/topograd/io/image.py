"""Digit images (PNG, JPEG, ...) read with Pillow and turned into MNIST-like arrays.

An image file is small on disk but may be huge decoded (a blank 10000x10000 PNG is about
100 KiB), so the size its header declares is checked before its pixels are decoded, and a
large image is reduced before it is turned into floats:

- more than :data:`MAX_IMAGE_PIXELS` pixels is refused, naming the file and its size;
- a JPEG larger than :data:`WORK_SIDE` on its longer side is decoded reduced (Pillow's
  ``draft``: 1/2, 1/4 or 1/8 of its size, in grayscale);
- another format is decoded at full size in its own mode (one to four bytes a pixel), so it
  is refused when that would take more than :data:`MAX_DECODED_BYTES`; then it is reduced
  (``Image.reduce``, a box average) to at most :data:`WORK_SIDE` on its longer side before
  anything else is done with it.
"""

from __future__ import annotations

import math
import os
import warnings

import numpy as np

MNIST_SIZE = 28
_BOX = 20  # MNIST digits are scaled to fit a 20x20 box, then centred by mass in 28x28
# where MNIST puts the centre of mass: every digit's lies in [13.5, 14.5] on both axes (row
# and column indices from 0), i.e. it rounds to pixel (14, 14)
_CENTRE = MNIST_SIZE / 2
# a 28x28 image whose ink spans this many pixels (the longer side) is taken as already
# scaled like MNIST (whose digits span 19 or 20) and is only moved, never resampled
_SCALED = (_BOX - 4, _BOX)


MAX_IMAGE_PIXELS = 150_000_000  # refused beyond this (Pillow itself refuses 178,956,970)
MAX_DECODED_BYTES = 256 * 2 ** 20  # what a full-size decode (and its reduction) may take
WORK_SIDE = 2048  # a larger image is reduced to this longer side before it becomes floats

# bytes a pixel takes in Pillow's memory, by mode (four for every other mode)
_PIXEL_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# more bytes a pixel takes while reducing: a mode Image.reduce cannot take is converted
# first (a palette to L, or to LA when it has a transparent colour); LA and RGBA are
# reduced through a premultiplied copy
_REDUCE_BYTES = {"1": 1, "P": 1, "LA": 4, "RGBA": 4, "I;16": 4, "I;16L": 4, "I;16B": 4,
                 "I;16N": 4}


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


class _TooLarge(ValueError):
    pass


def _decoded(img, name: str):
    """``img`` (opened, its header read) decoded, reduced to at most :data:`WORK_SIDE` on its
    longer side; its declared size is checked before any pixel is decoded."""
    w, h = img.size
    if w * h > MAX_IMAGE_PIXELS:
        raise _TooLarge(f"{name}: a {w}x{h} image ({w * h:,} pixels) is too large; topograd "
                        f"reads images of at most {MAX_IMAGE_PIXELS:,} pixels")
    if max(w, h) > WORK_SIDE and img.format == "JPEG":
        scale = WORK_SIDE / max(w, h)
        img.draft("L" if img.mode in ("L", "RGB") else None,
                  (max(1, int(w * scale)), max(1, int(h * scale))))
        w, h = img.size  # the size it will be decoded at
    factor = math.ceil(max(w, h) / WORK_SIDE)
    transparent = img.mode == "P" and "transparency" in img.info
    extra = 8 if transparent else _REDUCE_BYTES.get(img.mode, 0)
    need = w * h * (_PIXEL_BYTES.get(img.mode, 4) + (extra if factor > 1 else 0))
    if need > MAX_DECODED_BYTES:
        raise _TooLarge(f"{name}: a {w}x{h} {img.mode} {img.format or ''} image would take "
                        f"{need / 2 ** 20:,.0f} MiB to decode; topograd decodes at most "
                        f"{MAX_DECODED_BYTES // 2 ** 20} MiB (save the digit smaller, or as "
                        f"a JPEG, which is decoded reduced)".replace("  ", " "))
    img.load()
    if factor == 1:
        return img
    if img.mode == "1":
        img = img.convert("L")
    elif img.mode == "P":  # the grey _to_gray would take, transparency kept
        img = img.convert("LA" if transparent else "L")
    elif img.mode.startswith("I;16"):
        img = img.convert("I")
    return img.reduce(factor)


def _needs_invert(gray: np.ndarray) -> bool:
    # MNIST is white on black: a light frame means dark ink on light paper
    frame = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return float(np.median(frame)) > 0.5


def _centre_of_mass(a: np.ndarray) -> tuple[float, float]:
    total = float(a.sum())
    h, w = a.shape
    if total <= 0:
        return (h - 1) / 2, (w - 1) / 2
    return (float(a.sum(axis=1) @ np.arange(h)) / total,
            float(a.sum(axis=0) @ np.arange(w)) / total)


def _shifted(gray: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``gray`` moved by whole pixels, the uncovered border filled with black."""
    h, w = gray.shape
    out = np.zeros_like(gray)
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        gray[max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


def _normalize_mnist(gray: np.ndarray) -> np.ndarray:
    """MNIST's recipe: crop the ink, scale it to fit a 20x20 box (keeping its aspect
    ratio), and put its centre of mass at pixel (14, 14) of a 28x28 frame.

    A 28x28 image whose ink already spans 16 to 20 pixels (as MNIST's own digits do) is
    only moved by whole pixels, so an MNIST digit comes back unchanged.
    """
    Image = _pillow()
    ink = gray > 0.1 * float(gray.max()) if gray.max() > 0 else None
    if ink is None or not ink.any():  # blank: nothing to centre
        if gray.shape == (MNIST_SIZE, MNIST_SIZE):
            return gray
        img = Image.fromarray((gray * 255).round().astype(np.uint8))
        return np.asarray(img.resize((MNIST_SIZE, MNIST_SIZE), Image.LANCZOS),
                          dtype=np.float32) / 255
    rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
    h, w = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    if gray.shape == (MNIST_SIZE, MNIST_SIZE) and _SCALED[0] <= max(h, w) <= _SCALED[1]:
        cy, cx = _centre_of_mass(gray)
        # move the centre of mass to (14, 14), keeping every inked pixel in the frame
        dy = int(np.clip(round(_CENTRE - cy), -rows[0], MNIST_SIZE - 1 - rows[-1]))
        dx = int(np.clip(round(_CENTRE - cx), -cols[0], MNIST_SIZE - 1 - cols[-1]))
        return _shifted(gray, dy, dx)
    crop = gray[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    scale = _BOX / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    img = Image.fromarray((crop * 255).round().astype(np.uint8))
    small = np.asarray(img.resize((nw, nh), Image.LANCZOS), dtype=np.float32) / 255
    cy, cx = _centre_of_mass(small)
    top = int(np.clip(round(_CENTRE - cy), 0, MNIST_SIZE - nh))
    left = int(np.clip(round(_CENTRE - cx), 0, MNIST_SIZE - nw))
    out = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    out[top:top + nh, left:left + nw] = small
    return out


def load_digit(path, invert: bool | None = None) -> np.ndarray:
    """Read an image of a handwritten digit as MNIST presents one: 28x28, white on black.

    The image is made grayscale (transparency counts as white paper) and scaled to [0, 1].
    Dark ink on light paper is inverted (``invert=None`` decides from the image's border:
    a light border means dark ink). A large image is first reduced to at most
    :data:`WORK_SIDE` pixels on its longer side (see the module's docstring). Then the
    digit is placed as MNIST's were: cropped to its ink (pixels above a tenth of the
    brightest), scaled to fit a 20x20 box keeping its aspect ratio, and moved so that its
    centre of mass is at pixel (14, 14) of a 28x28 frame. A 28x28 image whose ink already
    spans 16 to 20 pixels (an MNIST digit, or one drawn at MNIST's size) is only moved by
    whole pixels, never resampled, so an MNIST digit is read back unchanged; an image of
    any other size, or a 28x28 digit drawn smaller or larger, is rescaled. So a digit may
    be drawn anywhere on a canvas of any size, in any colours.

    Args:
        path: an image file Pillow can read (PNG, JPEG, BMP, GIF, ...).
        invert: True or False to force or forbid inversion; None to decide from the border.

    Returns:
        A float32 array ``(28, 28)`` in [0, 1], ink bright.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not an image Pillow can read, or it is too large (more
            than :data:`MAX_IMAGE_PIXELS` pixels, or more than :data:`MAX_DECODED_BYTES`
            to decode); the message names the file and its size.

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
        with warnings.catch_warnings():
            # the sizes are checked here (Pillow's warning would come before that)
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(name) as img:
                gray = _to_gray(_decoded(img, name))
    except Image.DecompressionBombError as e:
        raise ValueError(f"{name}: the image is too large to read ({e})") from None
    except (OSError, SyntaxError, ValueError) as e:
        if isinstance(e, _TooLarge):
            raise ValueError(str(e)) from None
        raise ValueError(f"{name}: not an image Pillow can read ({e})") from None
    if invert is None:
        invert = _needs_invert(gray)
    if invert:
        gray = 1.0 - gray
    gray = _normalize_mnist(gray)
    return np.ascontiguousarray(gray, dtype=np.float32)
