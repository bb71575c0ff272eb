"""Small 2-D classification sets that no linear model separates, made on the spot."""

from __future__ import annotations

import numbers

import numpy as np

from topograd.data._utils import check_bool, check_positive_int, resolve_generator


def _check_noise(noise, owner: str) -> float:
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or noise < 0:
        raise ValueError(f"{owner}: noise expected a non-negative number, found {noise!r}")
    return float(noise)


def _finish(x: np.ndarray, y: np.ndarray, shuffle: bool, rng) -> tuple[np.ndarray, np.ndarray]:
    if shuffle:
        order = rng.permutation(len(y))
        x, y = x[order], y[order]
    return x.astype(np.float32), y.astype(np.int64)


def make_spiral(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2,
                shuffle: bool = True, seed=None, generator=None):
    """Interleaved spiral arms, one per class (the CS231n toy set).

    Arm ``k`` runs from the origin to radius 1 while its angle sweeps
    ``[4k, 4(k + 1)]`` radians, plus Gaussian noise of std ``noise`` on the angle.

    Args:
        n_samples: total number of points (split as evenly as possible over the classes).
        n_classes: number of arms, at least 2.
        noise: std of the angular noise, in radians.
        shuffle: shuffle the points (else they come class by class).
        seed: an int for a private generator; default: topograd's global generator.
        generator: a ``numpy.random.Generator`` instead (not with ``seed``).

    Returns:
        ``(X, y)``: float32 points ``(n_samples, 2)`` and int64 labels ``(n_samples,)``.

    Example:
        >>> X, y = make_spiral(300, n_classes=3, seed=0)
        >>> X.shape, X.dtype, y.dtype, sorted(set(y.tolist()))
        ((300, 2), dtype('float32'), dtype('int64'), [0, 1, 2])
    """
    n_samples = check_positive_int(n_samples, "n_samples", "make_spiral")
    n_classes = check_positive_int(n_classes, "n_classes", "make_spiral")
    if n_classes < 2 or n_samples < n_classes:
        raise ValueError(f"make_spiral expected 2 <= n_classes <= n_samples, found "
                         f"n_classes={n_classes}, n_samples={n_samples}")
    noise = _check_noise(noise, "make_spiral")
    rng = resolve_generator(generator, seed, "make_spiral")()
    y = np.arange(n_samples) * n_classes // n_samples  # balanced, sorted class labels
    counts = np.bincount(y, minlength=n_classes)
    # position of each point along its arm, 0 at the centre to 1 at the tip
    along = np.concatenate([np.linspace(0.0, 1.0, c) for c in counts])
    theta = 4.0 * (y + along) + rng.normal(0.0, noise, n_samples)
    x = np.stack([along * np.sin(theta), along * np.cos(theta)], axis=1)
    return _finish(x, y, check_bool(shuffle, "shuffle", "make_spiral"), rng)


def make_moons(n_samples: int = 200, noise: float = 0.1, shuffle: bool = True, seed=None,
               generator=None):
    """Two interleaving half circles (as ``sklearn.datasets.make_moons``).

    Args:
        n_samples: total number of points; the upper moon (class 0) gets ``n_samples // 2``.
        noise: std of the Gaussian noise added to each coordinate.
        shuffle: shuffle the points (else class 0 comes first).
        seed: an int for a private generator; default: topograd's global generator.
        generator: a ``numpy.random.Generator`` instead (not with ``seed``).

    Returns:
        ``(X, y)``: float32 points ``(n_samples, 2)`` and int64 labels ``(n_samples,)``.

    Example:
        >>> X, y = make_moons(100, noise=0.1, seed=0)
        >>> X.shape, int(y.sum())
        ((100, 2), 50)
    """
    n_samples = check_positive_int(n_samples, "n_samples", "make_moons")
    if n_samples < 2:
        raise ValueError(f"make_moons expected n_samples >= 2, found {n_samples}")
    noise = _check_noise(noise, "make_moons")
    rng = resolve_generator(generator, seed, "make_moons")()
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out, t_in = np.linspace(0.0, np.pi, n_out), np.linspace(0.0, np.pi, n_in)
    x = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)])
    x = x + rng.normal(0.0, noise, x.shape)
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    return _finish(x, y, check_bool(shuffle, "shuffle", "make_moons"), rng)
