"""The one random generator every part of topograd draws from.

``topograd.manual_seed(n)`` reseeds it, so parameter initialization, dropout masks,
``randn``/``rand``/``randint``, DataLoader shuffling and data augmentation are all
reproducible from a single seed.

>>> import topograd
>>> _ = topograd.manual_seed(0)
>>> a = topograd.randn(2)
>>> _ = topograd.manual_seed(0)
>>> bool((topograd.randn(2) == a).all())
True
"""

from __future__ import annotations

import numpy as np

_generator: np.random.Generator = np.random.default_rng()
_seed: int | None = None


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator and return it.

    Args:
        seed: a non-negative integer.

    Returns:
        The (new) global ``numpy.random.Generator``.

    >>> import topograd
    >>> _ = topograd.manual_seed(3)
    >>> a = topograd.randint(0, 100, (3,)).tolist()
    >>> _ = topograd.manual_seed(3)
    >>> topograd.randint(0, 100, (3,)).tolist() == a
    True
    """
    global _generator, _seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed expected an int, found {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"manual_seed expected a non-negative seed, found {seed}")
    _seed = int(seed)
    _generator = np.random.default_rng(_seed)
    return _generator


def initial_seed() -> int | None:
    """The seed last given to :func:`manual_seed`, or None.

    >>> import topograd
    >>> _ = topograd.manual_seed(11)
    >>> topograd.initial_seed()
    11
    """
    return _seed


def default_generator() -> np.random.Generator:
    """The global ``numpy.random.Generator`` (a new object after each ``manual_seed``).

    >>> import topograd.random
    >>> float(topograd.random.default_generator().random()) < 1.0
    True
    """
    return _generator


def get_rng_state() -> dict:
    """The generator's state as a JSON-able dict (for checkpoints).

    Returns:
        The bit generator's state; give it to :func:`set_rng_state` to resume.

    >>> import topograd
    >>> sorted(topograd.get_rng_state())[:2]
    ['bit_generator', 'has_uint32']
    """
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state returned by :func:`get_rng_state`.

    Args:
        state: the dict :func:`get_rng_state` returned.

    >>> import topograd
    >>> state = topograd.get_rng_state()
    >>> a = topograd.rand(2).tolist()
    >>> topograd.set_rng_state(state)
    >>> topograd.rand(2).tolist() == a
    True
    """
    _generator.bit_generator.state = state
