"""Shared helpers for topograd.data: argument checks, random generators, tensor conversion."""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np


def check_positive_int(value, name: str, owner: str) -> int:
    """Return ``value`` as an int, or raise if it is not a positive integer (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} expected a positive int, found {value!r} "
                        f"({type(value).__name__})")
    if value <= 0:
        raise ValueError(f"{owner}: {name} expected a positive int, found {value}")
    return int(value)


def check_bool(value, name: str, owner: str) -> bool:
    """Return ``value`` if it is a bool (or numpy bool), else raise TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} expected a bool, found {value!r} "
                        f"({type(value).__name__})")
    return bool(value)


def check_probability(value, name: str, owner: str) -> float:
    """Return ``value`` as a float in [0, 1], or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} expected a float in [0, 1], found {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{owner}: {name} expected a float in [0, 1], found {value}")
    return float(value)


def check_range(value, name: str, owner: str, *, low: float | None = None,
                symmetric: bool = True, center: float = 0.0) -> tuple[float, float]:
    """Turn a number ``v`` (meaning ``center -/+ v``) or a pair ``(lo, hi)`` into a float pair.

    ``low`` is an exclusive lower bound both ends must exceed.
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        v = float(value)
        if not symmetric or v < 0:
            raise ValueError(f"{owner}: {name} expected a non-negative number or a pair (lo, hi), "
                             f"found {value}")
        lo, hi = center - v, center + v
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value):
        lo, hi = float(value[0]), float(value[1])
        if lo > hi:
            raise ValueError(f"{owner}: {name} expected a pair (lo, hi) with lo <= hi, "
                             f"found ({lo}, {hi})")
    else:
        raise TypeError(f"{owner}: {name} expected a number or a pair (lo, hi), found {value!r}")
    if low is not None and lo <= low:
        raise ValueError(f"{owner}: {name} expected values > {low}, found range ({lo}, {hi})")
    return lo, hi


def resolve_generator(generator, seed, owner: str) -> Callable[[], np.random.Generator]:
    """Return a function giving the generator to draw from at use time.

    An explicit ``generator`` (a ``numpy.random.Generator``) wins; else ``seed`` makes a private
    generator once; else the global one is looked up on every call, so ``manual_seed`` applies.
    """
    if generator is not None and seed is not None:
        raise ValueError(f"{owner}: pass either generator or seed, not both")
    if generator is not None:
        if not isinstance(generator, np.random.Generator):
            raise TypeError(f"{owner}: generator expected a numpy.random.Generator, found "
                            f"{type(generator).__name__}")
        return lambda: generator
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise ValueError(f"{owner}: seed expected a non-negative int, found {seed!r}")
        private = np.random.default_rng(int(seed))
        return lambda: private
    from topograd.random import default_generator

    return default_generator


def as_array(x) -> np.ndarray:
    """The ndarray behind a topograd Tensor (``x.numpy()``, no copy), else ``np.asarray(x)``."""
    if isinstance(x, np.ndarray):
        return x
    to_numpy = getattr(x, "numpy", None)
    if callable(to_numpy):
        arr = to_numpy()
        if isinstance(arr, np.ndarray):
            return arr
    return np.asarray(x)


def to_tensor(array: np.ndarray):
    """Wrap an ndarray as a topograd Tensor, keeping its dtype."""
    from topograd.creation import from_numpy

    return from_numpy(array)


def map_structure(fn, batch):
    """Apply ``fn`` to every ndarray leaf of a (possibly nested) tuple/list/dict batch."""
    if isinstance(batch, np.ndarray):
        return fn(batch)
    if isinstance(batch, tuple):
        return tuple(map_structure(fn, b) for b in batch)
    if isinstance(batch, list):
        return [map_structure(fn, b) for b in batch]
    if isinstance(batch, dict):
        return {k: map_structure(fn, v) for k, v in batch.items()}
    return batch
